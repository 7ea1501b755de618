// Mutant: never closes the jobs channel and counts finished jobs instead, so the workers stay blocked forever after the last job.
package pool

import "errors"

// Run calls fn on every job using at most workers goroutines and returns the results in order.
func Run[J, R any](workers int, jobs []J, fn func(J) (R, error)) ([]R, error) {
	results := make([]R, len(jobs))
	errs := make([]error, len(jobs))
	workers = max(1, min(workers, len(jobs)))

	next := make(chan int)
	finished := make(chan struct{})
	for range workers {
		go func() {
			for i := range next {
				results[i], errs[i] = fn(jobs[i])
				finished <- struct{}{}
			}
		}()
	}
	go func() {
		for i := range jobs {
			next <- i
		}
	}()
	for range jobs {
		<-finished
	}
	return results, errors.Join(errs...)
}
