// Mutant: starts every goroutine but never waits for them, so it returns before the tasks have finished.
package spawnjoin

import "sync"

// RunAll calls every task on its own goroutine and returns their results in order.
func RunAll[T any](tasks []func() T) []T {
	results := make([]T, len(tasks))
	var wg sync.WaitGroup
	for i, task := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = task()
		}()
	}
	return results
}
