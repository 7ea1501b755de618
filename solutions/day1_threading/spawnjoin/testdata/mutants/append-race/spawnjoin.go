// Mutant: goroutines append their results to a shared slice without a lock: a data race, and the results come out in finishing order.
package spawnjoin

import "sync"

// RunAll calls every task on its own goroutine and returns their results.
func RunAll[T any](tasks []func() T) []T {
	results := []T{}
	var wg sync.WaitGroup
	for _, task := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results = append(results, task())
		}()
	}
	wg.Wait()
	return results
}
