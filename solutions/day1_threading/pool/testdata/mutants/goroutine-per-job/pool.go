// Mutant: starts a goroutine per job and bounds only how many run fn at once with a semaphore, so len(jobs) goroutines exist instead of workers.
package pool

import (
	"errors"
	"sync"
)

// Run starts a goroutine per job; a semaphore lets workers of them run fn at once.
func Run[J, R any](workers int, jobs []J, fn func(J) (R, error)) ([]R, error) {
	results := make([]R, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, max(1, workers))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = fn(job)
		})
	}
	wg.Wait()
	return results, errors.Join(errs...)
}
