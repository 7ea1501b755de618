// Package spawnjoin is Day 1's first exercise: start goroutines and wait for them (Python's
// threading.Thread(...).start() and .join()).
package spawnjoin

import "sync"

// RunAll calls every task on its own goroutine, waits until all of them have returned, and returns
// their results in the order of tasks: results[i] is what tasks[i] returned, whichever task finished
// first.
//
// All tasks run at the same time: RunAll starts every goroutine before it waits for any of them, so a
// task may block until the others have started. RunAll returns only after every task has returned.
// For an empty or nil tasks it returns an empty (non-nil) slice.
func RunAll[T any](tasks []func() T) []T {
	results := make([]T, len(tasks))
	var wg sync.WaitGroup
	for i, task := range tasks {
		// Each goroutine writes only its own element, so no lock is needed; wg.Wait makes the writes
		// visible to the caller.
		wg.Go(func() { results[i] = task() })
	}
	wg.Wait()
	return results
}
