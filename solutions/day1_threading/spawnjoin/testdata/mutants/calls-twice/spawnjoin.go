// Mutant: runs every task on its own goroutine but throws the results away, then calls every task a second time on the caller's goroutine to collect them.
package spawnjoin

import "sync"

// RunAll calls every task on its own goroutine, waits for all, then collects the results in order.
func RunAll[T any](tasks []func() T) []T {
	var wg sync.WaitGroup
	for _, task := range tasks {
		wg.Go(func() { task() })
	}
	wg.Wait()
	results := make([]T, 0, len(tasks))
	for _, task := range tasks {
		results = append(results, task())
	}
	return results
}
