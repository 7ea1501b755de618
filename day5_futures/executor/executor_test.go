package executor

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const hangHint = "the executor left goroutines blocked for good: a worker that never exits after Shutdown, " +
	"a task that never runs, or a future nobody completes"

// isDone reports whether f is done, without waiting.
func isDone[T any](f *Future[T]) bool {
	select {
	case <-f.Done():
		return true
	default:
		return false
	}
}

func TestSubmitReturnsResults(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, hangHint, func(t *testing.T) {
		e := NewExecutor(3)
		defer e.Shutdown(true, false)
		boom := errors.New("boom")
		var futures []*Future[string]
		for i := range 10 {
			f, err := Submit(e, func() (string, error) {
				if i == 4 {
					return "four", boom
				}
				return fmt.Sprint(i * i), nil
			})
			require.NoError(t, err, "Submit on a running executor must not fail")
			require.NotNil(t, f, "Submit must return a future")
			futures = append(futures, f)
		}
		for i, f := range futures {
			v, err := f.Result(t.Context())
			if i == 4 {
				assert.Equal(t, boom, err, "a task's error must reach its future")
				assert.Equal(t, "four", v, "a task's value must reach its future even with an error")
				continue
			}
			assert.NoError(t, err)
			assert.Equal(t, fmt.Sprint(i*i), v, "future %d has another task's result", i)
		}
	})
}

// TestResultOfADoneFuture checks the given future through Submit, so that a change to it cannot go
// unnoticed: a done future's outcome wins over an ended ctx, and completing twice panics.
func TestResultOfADoneFuture(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	e := NewExecutor(1)
	defer e.Shutdown(true, false)
	f, err := Submit(e, func() (int, error) { return 3, nil })
	require.NoError(t, err)
	var v int
	coursetest.Within(t, func() { v, err = f.Result(context.Background()) }, "the future of a task never became done")
	require.NoError(t, err)
	require.Equal(t, 3, v)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 200 {
		v, err := f.Result(ctx)
		require.NoError(t, err, "Result of a done future returns its outcome even when ctx has ended")
		require.Equal(t, 3, v)
	}
	assert.Panics(t, func() { f.complete(4, nil) }, "completing a future twice is an executor bug and panics")
}

func TestNewExecutorRejectsNoWorkers(t *testing.T) {
	for _, n := range []int{0, -1} {
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			NewExecutor(n).Shutdown(true, false)
		}()
		require.NotNil(t, recovered, "NewExecutor(%d) must panic: an executor needs at least one worker", n)
		if strings.HasPrefix(fmt.Sprint(recovered), "TODO:") {
			panic(recovered)
		}
	}
}

// TestExactlyWorkersAtOnce submits three times as many blocking tasks as there are workers and then
// lets them finish one at a time: exactly `workers` must be running at every moment there is work
// for them, never more.
func TestExactlyWorkersAtOnce(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			coursetest.Bubble(t, hangHint, func(t *testing.T) {
				e := NewExecutor(workers)
				total := 3 * workers
				var hw coursetest.HighWater
				var started atomic.Int64
				release := make(chan struct{})
				for range total {
					_, err := Submit(e, func() (int, error) {
						hw.Enter()
						defer hw.Exit()
						started.Add(1)
						<-release
						return 0, nil
					})
					require.NoError(t, err)
				}
				synctest.Wait()
				for finished := 0; finished <= total; finished++ {
					want := min(int64(workers+finished), int64(total))
					if got := started.Load(); got != want {
						e.Shutdown(false, true)
						close(release)
						t.Fatalf("after %d of %d tasks finished, %d had started, want %d with %d workers: %s",
							finished, total, got, want, workers, startedHint(got, want))
					}
					if running := hw.Current(); running != want-int64(finished) {
						t.Fatalf("%d tasks running at once, want %d", running, want-int64(finished))
					}
					if finished < total {
						release <- struct{}{} // one task finishes
						synctest.Wait()
					}
				}
				e.Shutdown(true, false)
				assert.EqualValues(t, workers, hw.Max(), "at most %d tasks may run at once", workers)
			})
		})
	}
}

func startedHint(got, want int64) string {
	if got > want {
		return "more tasks ran at once than there are workers: do not start a goroutine per task"
	}
	return "fewer tasks ran than there are free workers: start every worker, and wake one for every queued task"
}

// TestNoGoroutinePerTask submits many tasks that block: the executor must queue them, not start a
// goroutine for each one (even one that waits for a free worker).
func TestNoGoroutinePerTask(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, hangHint, func(t *testing.T) {
		const workers, tasks = 2, 200
		e := NewExecutor(workers)
		release := make(chan struct{})
		for range tasks {
			_, err := Submit(e, func() (int, error) { <-release; return 0, nil })
			require.NoError(t, err)
		}
		synctest.Wait()
		extra := bubbleGoroutines()
		close(release)
		e.Shutdown(true, false)
		assert.LessOrEqual(t, extra, workers+1,
			"with %d workers and %d tasks queued, the executor runs %d goroutines: Submit must queue the task for a "+
				"worker, not start a goroutine for it (even one that waits for a free worker costs memory for every queued task)", workers, tasks, extra)
	})
}

// bubbleGoroutines counts the goroutines inside a synctest bubble that the test and the code under
// test started, not counting synctest's own and the test's. The tests of this package run one at a
// time, so there is only one bubble.
func bubbleGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, block := range strings.Split(string(buf), "\n\n") {
		header, _, _ := strings.Cut(block, "\n")
		if strings.Contains(header, "synctest bubble") && !strings.Contains(block, "testing/synctest") {
			count++
		}
	}
	return count
}

func TestSubmitDoesNotWaitForAWorker(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, hangHint, func(t *testing.T) {
		e := NewExecutor(1)
		release := make(chan struct{})
		submitted := make(chan struct{})
		go func() {
			defer close(submitted)
			for range 5 {
				if _, err := Submit(e, func() (int, error) { <-release; return 0, nil }); err != nil {
					t.Errorf("Submit: %v", err)
				}
			}
		}()
		synctest.Wait()
		if !isClosedChan(submitted) {
			close(release)
			<-submitted
			e.Shutdown(true, false)
			t.Fatal("Submit blocked while every worker was busy: it must queue the task and return at once")
		}
		close(release)
		e.Shutdown(true, false)
	})
}

func isClosedChan(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestMapKeepsInputOrder(t *testing.T) {
	const n = 6
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, hangHint, func(t *testing.T) {
		e := NewExecutor(n)
		defer e.Shutdown(true, false)
		// Item i finishes only after item i+1 has finished: they complete in reverse order.
		finished := make([]chan struct{}, n+1)
		for i := range finished {
			finished[i] = make(chan struct{})
		}
		close(finished[n])
		var completion []int
		var mu sync.Mutex
		items := []int{0, 1, 2, 3, 4, 5}
		got, err := Map(t.Context(), e, items, func(i int) (string, error) {
			<-finished[i+1]
			mu.Lock()
			completion = append(completion, i)
			mu.Unlock()
			close(finished[i])
			return fmt.Sprintf("item %d", i), nil
		})
		require.NoError(t, err)
		assert.Equal(t, []int{5, 4, 3, 2, 1, 0}, completion, "test setup: the tasks should have finished in reverse order")
		assert.Equal(t, []string{"item 0", "item 1", "item 2", "item 3", "item 4", "item 5"}, got,
			"Map must return the results in the order of the items, not the order the tasks finished in")
	})
}

func TestMapErrors(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, hangHint, func(t *testing.T) {
		e := NewExecutor(4)
		defer e.Shutdown(true, false)
		err1, err3 := errors.New("item 1 failed"), errors.New("item 3 failed")
		item1 := make(chan struct{})
		got, err := Map(t.Context(), e, []int{0, 1, 2, 3}, func(i int) (int, error) {
			switch i {
			case 1:
				<-item1 // fails after item 3 has failed
				return 0, err1
			case 3:
				defer close(item1)
				return 0, err3
			}
			return i, nil
		})
		assert.Nil(t, got, "Map must return no results when a task fails")
		assert.Equal(t, err1, err, "Map must return the error of the first failing item in input order "+
			"(item 1), even when a later item (3) failed first")
	})
}

func TestMapHonoursContext(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, hangHint, func(t *testing.T) {
		e := NewExecutor(2)
		release := make(chan struct{})
		ctx, cancel := context.WithCancel(t.Context())
		type res struct {
			v   []int
			err error
		}
		out := make(chan res, 1)
		go func() {
			v, err := Map(ctx, e, []int{1, 2, 3}, func(i int) (int, error) { <-release; return i, nil })
			out <- res{v, err}
		}()
		synctest.Wait()
		cancel()
		synctest.Wait()
		select {
		case r := <-out:
			assert.ErrorIs(t, r.err, context.Canceled, "Map must return ctx.Err() when ctx ends before the results")
			close(release)
		default:
			close(release)
			<-out
			t.Error("Map kept waiting after its ctx was cancelled: wait for each result with Result(ctx)")
		}
		e.Shutdown(true, false)
	})
	t.Run("empty", func(t *testing.T) {
		e := NewExecutor(1)
		defer e.Shutdown(true, false)
		got, err := Map(context.Background(), e, nil, func(i int) (int, error) { return i, nil })
		assert.NoError(t, err)
		assert.Empty(t, got, "Map of no items returns no results")
	})
}

func TestSubmitAfterShutdown(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, hangHint, func(t *testing.T) {
		e := NewExecutor(2)
		e.Shutdown(true, false)
		ran := false
		f, err := Submit(e, func() (int, error) { ran = true; return 1, nil })
		assert.ErrorIs(t, err, ErrShutdown, "Submit after Shutdown must return ErrShutdown")
		assert.Nil(t, f, "Submit after Shutdown must return no future")
		_, err = Map(t.Context(), e, []int{1}, func(i int) (int, error) { ran = true; return i, nil })
		assert.ErrorIs(t, err, ErrShutdown, "Map after Shutdown must return ErrShutdown")
		synctest.Wait()
		assert.False(t, ran, "a task submitted after Shutdown ran")
		e.Shutdown(true, true) // a second Shutdown is allowed
	})
}

func TestShutdownWaits(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, hangHint, func(t *testing.T) {
		e := NewExecutor(1)
		release := make(chan struct{})
		running, err := Submit(e, func() (int, error) { <-release; return 1, nil })
		require.NoError(t, err)
		queued, err := Submit(e, func() (int, error) { return 2, nil })
		require.NoError(t, err)
		synctest.Wait()
		returned := make(chan struct{})
		go func() { e.Shutdown(true, false); close(returned) }()
		synctest.Wait()
		if isClosedChan(returned) {
			close(release)
			t.Fatal("Shutdown(wait=true) returned while a task was still running: wait for the workers to exit")
		}
		close(release)
		synctest.Wait()
		require.True(t, isClosedChan(returned), "Shutdown(wait=true) still waits after every task finished: "+
			"did every worker exit? Wake them all (Broadcast) when shutting down")
		assert.True(t, isDone(running), "Shutdown(wait=true) returned before the running task's future was done")
		require.True(t, isDone(queued), "a task queued before Shutdown(cancelPending=false) must still run, "+
			"and be done when Shutdown(wait=true) returns: workers exit only when the queue is empty")
		v, err := queued.Result(t.Context())
		assert.NoError(t, err)
		assert.Equal(t, 2, v)
	})
}

// TestShutdownRightAfterStart shuts the executor down right after NewExecutor and one Submit, before
// its workers have had a chance to start, round after round: Shutdown(wait=true) must still wait for
// every worker, and so for the task.
func TestShutdownRightAfterStart(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for r := range 100 {
		e := NewExecutor(2)
		f, err := Submit(e, func() (int, error) { return 1, nil })
		require.NoError(t, err)
		if !coursetest.Within(t, func() { e.Shutdown(true, false) }, "round %d: Shutdown(wait=true) blocked", r) {
			return
		}
		if !isDone(f) {
			select { // let a late worker finish before the leak check (a task that never runs fails the same)
			case <-f.Done():
			case <-time.After(coursetest.Hurried):
			}
			t.Fatalf("round %d: Shutdown(wait=true) returned before the task submitted just before it had run: "+
				"count every worker in the WaitGroup before its goroutine starts (wg.Go, or wg.Add before go), "+
				"not from inside it", r)
		}
	}
}

func TestShutdownCancelsPending(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, hangHint, func(t *testing.T) {
		e := NewExecutor(1)
		release := make(chan struct{})
		running, err := Submit(e, func() (int, error) { <-release; return 1, nil })
		require.NoError(t, err)
		var ran atomic.Int32
		var pending []*Future[int]
		for range 3 {
			f, err := Submit(e, func() (int, error) { ran.Add(1); return 2, nil })
			require.NoError(t, err)
			pending = append(pending, f)
		}
		synctest.Wait()
		returned := make(chan struct{})
		go func() { e.Shutdown(true, true); close(returned) }()
		synctest.Wait()
		for i, f := range pending {
			if !isDone(f) {
				close(release)
				t.Fatalf("pending task %d is not done right after Shutdown(cancelPending=true), while another task "+
					"still runs: cancel the queued tasks' futures at once", i)
			}
			_, err := f.Result(t.Context())
			assert.ErrorIs(t, err, ErrCancelled, "a task cancelled by Shutdown must fail with ErrCancelled")
		}
		assert.False(t, isDone(running), "Shutdown must not cancel a task that is already running")
		assert.False(t, isClosedChan(returned), "Shutdown(wait=true) returned while a task was still running")
		close(release)
		synctest.Wait()
		assert.True(t, isClosedChan(returned), "Shutdown(wait=true) still waits after the running task finished")
		v, err := running.Result(t.Context())
		assert.NoError(t, err, "the running task must finish normally")
		assert.Equal(t, 1, v)
		assert.Zero(t, ran.Load(), "tasks cancelled by Shutdown must never run")
	})
}

func TestShutdownWithoutWait(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, hangHint, func(t *testing.T) {
		e := NewExecutor(2)
		release := make(chan struct{})
		f, err := Submit(e, func() (int, error) { <-release; return 7, nil })
		require.NoError(t, err)
		queued, err := Submit(e, func() (int, error) { <-release; return 8, nil })
		require.NoError(t, err)
		returned := make(chan struct{})
		go func() { e.Shutdown(false, false); close(returned) }()
		synctest.Wait()
		require.True(t, isClosedChan(returned), "Shutdown(wait=false) must return at once, even while tasks run")
		_, err = Submit(e, func() (int, error) { return 0, nil })
		assert.ErrorIs(t, err, ErrShutdown, "Submit after Shutdown(wait=false) must return ErrShutdown")
		close(release)
		v, err := f.Result(t.Context())
		assert.NoError(t, err)
		assert.Equal(t, 7, v)
		v, err = queued.Result(t.Context())
		assert.NoError(t, err)
		assert.Equal(t, 8, v)
		// No second Shutdown here: the workers must exit on their own once the work is done, or the
		// bubble reports them as left behind.
	})
}

// TestWorkersSurviveABusyQueue runs many tiny tasks from several submitters, so that a worker woken
// for a task often finds that another worker took it first; then it checks that every worker is still
// there, by giving them as many blocking tasks as there are workers.
func TestWorkersSurviveABusyQueue(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for round := range 4 {
		if !workersSurvive(t, round) {
			return
		}
	}
}

func workersSurvive(t *testing.T, round int) bool {
	t.Helper()
	const workers, submitters, perSubmitter = 4, 4, 500
	e := NewExecutor(workers)
	defer e.Shutdown(true, false)
	var wg sync.WaitGroup
	for range submitters {
		wg.Go(func() {
			for range perSubmitter {
				if _, err := Submit(e, func() (int, error) { return 0, nil }); err != nil {
					t.Errorf("Submit: %v", err)
					return
				}
			}
		})
	}
	if !coursetest.Within(t, wg.Wait, "round %d: Submit blocked", round) {
		return false
	}
	started := make(chan struct{}, workers)
	release := make(chan struct{})
	defer close(release)
	for range workers {
		_, err := Submit(e, func() (int, error) { started <- struct{}{}; <-release; return 0, nil })
		require.NoError(t, err)
	}
	deadline := coursetest.After()
	for i := range workers {
		select {
		case <-started:
		case <-deadline:
			t.Fatalf("round %d: after a burst of tiny tasks only %d of %d workers were left to run blocking tasks: a "+
				"worker woken with an empty queue must wait again (a for loop around cond.Wait, not an if), not exit",
				round, i, workers)
		}
	}
	return true
}

// TestSubmitRacesShutdown submits from many goroutines while another shuts the executor down, round
// after round: every Submit either fails with ErrShutdown or its task runs, and Shutdown(wait=true)
// returns only after every accepted task has finished.
func TestSubmitRacesShutdown(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for r := range 200 {
		e := NewExecutor(2)
		start := make(chan struct{})
		var accepted, ran atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				<-start
				_, err := Submit(e, func() (int, error) { ran.Add(1); return 0, nil })
				if err == nil {
					accepted.Add(1)
				} else if !errors.Is(err, ErrShutdown) {
					t.Errorf("Submit returned %v, want nil or ErrShutdown", err)
				}
			})
		}
		shut := make(chan struct{})
		go func() { <-start; e.Shutdown(true, false); close(shut) }()
		close(start)
		if !coursetest.Within(t, func() { wg.Wait(); <-shut }, "round %d: Submit or Shutdown(wait=true) blocked", r) {
			return
		}
		if a, n := accepted.Load(), ran.Load(); a != n {
			t.Fatalf("round %d: %d tasks were accepted by Submit but %d had run when Shutdown(wait=true) returned: "+
				"decide under the lock whether the executor is open, and let workers exit only when the queue is empty", r, a, n)
		}
	}
}
