// Package spawnjoin is Day 1's first exercise: start goroutines and wait for them (Python's
// threading.Thread(...).start() and .join()).
package spawnjoin

// RunAll calls every task on its own goroutine, waits until all of them have returned, and returns
// their results in the order of tasks: results[i] is what tasks[i] returned, whichever task finished
// first.
//
// All tasks run at the same time: RunAll starts every goroutine before it waits for any of them, so a
// task may block until the others have started. RunAll returns only after every task has returned.
// For an empty or nil tasks it returns an empty (non-nil) slice.
func RunAll[T any](tasks []func() T) []T {
	// TODO: make a results slice of len(tasks); for each task, wg.Add(1) and start a goroutine that
	// stores its result at its own index and calls wg.Done; then wg.Wait (or use sync.WaitGroup.Go).
	panic("TODO: implement RunAll (day1_threading/spawnjoin)")
}
