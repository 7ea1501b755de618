// Mutant: always uses a single worker, so jobs run one at a time whatever workers says.
package pool

import (
	"errors"
	"sync"
)

// Run calls fn on every job and returns the results in order.
func Run[J, R any](workers int, jobs []J, fn func(J) (R, error)) ([]R, error) {
	results := make([]R, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range next {
			results[i], errs[i] = fn(jobs[i])
		}
	})
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results, errors.Join(errs...)
}
