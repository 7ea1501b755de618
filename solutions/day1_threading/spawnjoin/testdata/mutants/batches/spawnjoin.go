// Mutant: starts the tasks in batches of 128 and waits for each batch before the next, so with more tasks than that they do not all run at the same time.
package spawnjoin

import "sync"

// RunAll calls every task on its own goroutine, at most 128 at a time, and returns their results in order.
func RunAll[T any](tasks []func() T) []T {
	const batch = 128
	results := make([]T, len(tasks))
	for start := 0; start < len(tasks); start += batch {
		var wg sync.WaitGroup
		for i := start; i < min(start+batch, len(tasks)); i++ {
			wg.Go(func() { results[i] = tasks[i]() })
		}
		wg.Wait()
	}
	return results
}
