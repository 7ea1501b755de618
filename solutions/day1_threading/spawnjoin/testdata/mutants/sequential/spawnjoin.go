// Mutant: runs the tasks one after another on the caller's goroutine, so they never run at the same time.
package spawnjoin

// RunAll calls every task and returns their results in order.
func RunAll[T any](tasks []func() T) []T {
	results := make([]T, len(tasks))
	for i, task := range tasks {
		results[i] = task()
	}
	return results
}
