// Mutant: returns nil instead of an empty slice when there are no tasks.
package spawnjoin

import "sync"

func RunAll[T any](tasks []func() T) []T {
	if len(tasks) == 0 { return nil }
	results := make([]T, len(tasks))
	var wg sync.WaitGroup
	for i, task := range tasks { wg.Go(func() { results[i] = task() }) }
	wg.Wait()
	return results
}
