// Mutant: deals the jobs out to the workers in advance (worker w takes jobs w, w+workers, ...), so a worker whose jobs are done sits idle while another worker's jobs still wait.
package pool

import (
	"errors"
	"sync"
)

// Run gives worker w the jobs w, w+workers, w+2*workers, ...
func Run[J, R any](workers int, jobs []J, fn func(J) (R, error)) ([]R, error) {
	results := make([]R, len(jobs))
	errs := make([]error, len(jobs))
	workers = max(1, min(workers, len(jobs)))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(jobs); i += workers {
				results[i], errs[i] = fn(jobs[i])
			}
		})
	}
	wg.Wait()
	return results, errors.Join(errs...)
}
