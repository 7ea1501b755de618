package spawnjoin

import (
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// neverReturned is the hint shown when RunAll blocks although every task has returned.
const neverReturned = "RunAll never returned although every task had returned: does every goroutine call " +
	"wg.Done (defer wg.Done(), or use wg.Go), and is wg.Add called once per task, before the goroutine starts?"

// TestRunAllReturnsResultsInOrder checks results[i] == tasks[i]() for several sizes.
func TestRunAllReturnsResultsInOrder(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for _, n := range []int{0, 1, 2, 10, 1000} {
		if !t.Run(fmt.Sprintf("%d tasks", n), func(t *testing.T) {
			coursetest.Bubble(t, neverReturned, func(t *testing.T) {
				tasks := make([]func() string, n)
				want := make([]string, n)
				calls := make([]atomic.Int64, n)
				for i := range tasks {
					tasks[i] = func() string { calls[i].Add(1); return fmt.Sprintf("task %d", i) }
					want[i] = fmt.Sprintf("task %d", i)
				}
				got := RunAll(tasks)
				require.NotNil(t, got, "RunAll must return an empty slice, not nil, when there are no tasks")
				coursetest.EqualSlices(t, want, got, "RunAll must return results[i] = tasks[i](), in the order of tasks")
				for i := range calls {
					if c := calls[i].Load(); c != 1 {
						t.Errorf("RunAll must call every task exactly once, but tasks[%d] was called %d times: keep the "+
							"value its goroutine got (results[i] = task()) instead of calling the task again", i, c)
						break
					}
				}
			})
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
	t.Run("nil tasks", func(t *testing.T) {
		coursetest.Bubble(t, "RunAll(nil) never returned", func(t *testing.T) {
			got := RunAll[int](nil)
			assert.NotNil(t, got, "RunAll(nil) must return an empty slice, not nil")
			assert.Empty(t, got, "RunAll(nil) must return an empty slice")
		})
	})
}

// TestRunAllStartsEveryTaskBeforeAnyReturns proves the tasks run at the same time: every task blocks
// until the test releases it, and the test only releases them once all have started.
func TestRunAllStartsEveryTaskBeforeAnyReturns(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for _, n := range []int{2, 8, 100, 1000} {
		if !t.Run(fmt.Sprintf("%d tasks", n), func(t *testing.T) {
			coursetest.Bubble(t, "RunAll did not finish after all tasks were released", func(t *testing.T) {
				var started atomic.Int64
				release := make(chan struct{})
				tasks := make([]func() int, n)
				for i := range tasks {
					tasks[i] = func() int {
						started.Add(1)
						<-release
						return i
					}
				}
				done := make(chan []int)
				go func() { done <- RunAll(tasks) }()

				synctest.Wait() // every goroutine is now blocked: the started tasks wait for release
				assert.Equal(t, int64(n), started.Load(),
					"only %d of %d tasks had started while the first one was still running: RunAll must start "+
						"every task on its own goroutine (go func(){...}()) before waiting for any of them, "+
						"with no limit on how many run at once (no batches, no semaphore)",
					started.Load(), n)

				close(release)
				got := <-done
				assert.Len(t, got, n, "RunAll returned the wrong number of results")
			})
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// TestRunAllWaitsForEveryTask checks that RunAll does not return while any task is still running.
func TestRunAllWaitsForEveryTask(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, "RunAll did not return after every task had finished", func(t *testing.T) {
		const n = 5
		release := make([]chan struct{}, n)
		tasks := make([]func() int, n)
		for i := range tasks {
			release[i] = make(chan struct{})
			tasks[i] = func() int {
				<-release[i]
				return 10 * i
			}
		}
		done := make(chan []int, 1)
		go func() { done <- RunAll(tasks) }()

		for i := range n {
			synctest.Wait()
			select {
			case got := <-done:
				t.Errorf("RunAll returned %v while %d of %d tasks were still running: "+
					"it must wait (wg.Wait) for every goroutine it started", got, n-i, n)
				for _, ch := range release[i:] {
					close(ch)
				}
				synctest.Wait() // let the abandoned tasks finish
				return
			default:
			}
			close(release[i])
		}
		got := <-done
		assert.Equal(t, []int{0, 10, 20, 30, 40}, got, "RunAll must return every task's result in order")
	})
}

// TestRunAllResultsByIndexNotByFinishingOrder makes the tasks finish last-to-first and checks the
// results still come back in the order of tasks.
func TestRunAllResultsByIndexNotByFinishingOrder(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, "RunAll did not return after every task had finished", func(t *testing.T) {
		const n = 6
		release := make([]chan struct{}, n)
		tasks := make([]func() string, n)
		want := make([]string, n)
		for i := range tasks {
			release[i] = make(chan struct{})
			want[i] = fmt.Sprintf("result %d", i)
			tasks[i] = func() string {
				<-release[i]
				return fmt.Sprintf("result %d", i)
			}
		}
		done := make(chan []string, 1)
		go func() { done <- RunAll(tasks) }()

		for i := n - 1; i >= 0; i-- { // the last task finishes first
			close(release[i])
			synctest.Wait()
		}
		got := <-done
		assert.Equal(t, want, got, "tasks finished last-to-first but results must still be in the order "+
			"of tasks: store each result at its own index (results[i] = ...) instead of appending")
	})
}
