// Mutant: appends the errors under a mutex as jobs finish, so errors.Join lists them in finishing order instead of job order.
// Package pool is Day 1's fourth exercise: a fixed pool of worker goroutines with bounded concurrency
// (Python's ThreadPoolExecutor(max_workers=N).map).
package pool

import (
	"errors"
	"sync"
)

// Run calls fn on every job using at most workers goroutines at once, and returns the results in the
// order of jobs: results[i] is what fn(jobs[i]) returned, whichever job finished first.
//
// Exactly min(workers, len(jobs)) worker goroutines run, each taking the next job as soon as it has
// finished the previous one, so while jobs remain, workers of them are in flight. workers < 1 counts
// as 1. Every job runs, even after an error: Run returns errors.Join of every non-nil error in job
// order (nil if there were none), and results[i] holds whatever fn returned with its error. When Run
// returns, every worker goroutine has returned.
func Run[J, R any](workers int, jobs []J, fn func(J) (R, error)) ([]R, error) {
	results := make([]R, len(jobs))
	var errs []error
	var mu sync.Mutex
	workers = max(1, min(workers, len(jobs)))

	next := make(chan int) // job indexes; closed when all are handed out, which ends the workers
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				r, err := fn(jobs[i])
				results[i] = r
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results, errors.Join(errs...)
}
