// Mutant: starts one goroutine per job, so far more than workers jobs run at once.
package pool

import (
	"errors"
	"sync"
)

// Run calls fn on every job and returns the results in order.
func Run[J, R any](workers int, jobs []J, fn func(J) (R, error)) ([]R, error) {
	results := make([]R, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Go(func() { results[i], errs[i] = fn(jobs[i]) })
	}
	wg.Wait()
	return results, errors.Join(errs...)
}
