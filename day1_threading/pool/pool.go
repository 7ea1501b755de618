// Package pool is Day 1's fourth exercise: a fixed pool of worker goroutines with bounded concurrency
// (Python's ThreadPoolExecutor(max_workers=N).map).
package pool

// Run calls fn on every job using at most workers goroutines at once, and returns the results in the
// order of jobs: results[i] is what fn(jobs[i]) returned, whichever job finished first.
//
// Exactly min(workers, len(jobs)) worker goroutines run, each taking the next job as soon as it has
// finished the previous one, so while jobs remain, workers of them are in flight. workers < 1 counts
// as 1. Every job runs, even after an error: Run returns errors.Join of every non-nil error in job
// order (nil if there were none), and results[i] holds whatever fn returned with its error. When Run
// returns, every worker goroutine has returned.
func Run[J, R any](workers int, jobs []J, fn func(J) (R, error)) ([]R, error) {
	// TODO: feed job indexes into a channel that you close after the last one, start the workers
	// (each ranges over the channel and stores results[i] and errs[i]), wait for them with a
	// sync.WaitGroup, then return results and errors.Join(errs...).
	panic("TODO: implement Run (day1_threading/pool)")
}
