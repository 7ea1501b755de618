package errhandling

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

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errSentinel = errors.New("sentinel")

//go:noinline
func explode(v any) (int, error) { panic(v) }

//go:noinline
func indexOutOfRange() (int, error) {
	var s []int
	i := 3
	return s[i], nil
}

func TestSafe(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fn        func() (int, error)
		v         int
		err       error // for errors.Is, when not a panic
		panicText string
	}{
		{"value", func() (int, error) { return 42, nil }, 42, nil, ""},
		{"error", func() (int, error) { return 7, errSentinel }, 7, errSentinel, ""},
		{"panic with a string", func() (int, error) { return explode("kaboom") }, 0, nil, "kaboom"},
		{"panic with an error", func() (int, error) { return explode(errSentinel) }, 0, errSentinel, "sentinel"},
		{"runtime error", indexOutOfRange, 0, nil, "index out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Safe(tc.fn)
			assert.Equal(t, tc.v, v, "Safe must return fn's value (the zero value after a panic)")
			if tc.panicText == "" {
				assert.Equal(t, tc.err, err, "Safe must return fn's own error unchanged")
				return
			}
			var pe *PanicError
			require.ErrorAs(t, err, &pe, "a panic in fn must come back as a *PanicError")
			assert.Contains(t, pe.Error(), tc.panicText, "the PanicError's message must show the panic's value")
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err, "a panic with an error value: Unwrap must return it, so errors.Is sees it")
			}
			if tc.name == "runtime error" {
				var re runtime.Error
				assert.ErrorAs(t, err, &re, "a runtime panic's value is a runtime.Error: Unwrap must return it")
			}
			if tc.name == "panic with a string" {
				assert.NoError(t, pe.Unwrap(), "Unwrap of a panic whose value is not an error must return nil")
			}
		})
	}
}

func TestSafeKeepsTheStack(t *testing.T) {
	_, err := Safe(func() (int, error) { return explode("kaboom") })
	var pe *PanicError
	require.ErrorAs(t, err, &pe, "a panic in fn must come back as a *PanicError")
	stack := string(pe.Stack)
	assert.Contains(t, stack, "errhandling.explode",
		"PanicError.Stack must show the function that panicked: call debug.Stack() inside the deferred func "+
			"that recovers, while the panicking frames are still on the stack (got %d bytes of stack)", len(stack))
}

const groupHint = "tasks were left blocked for good: does the first error cancel the group's context, " +
	"and do the tasks receive that context?"

// gate counts the tasks that started and holds them until released.
type gate struct {
	hw      coursetest.HighWater
	started atomic.Int64
	release chan struct{}
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) task(ctx context.Context) error {
	g.hw.Enter()
	defer g.hw.Exit()
	g.started.Add(1)
	<-g.release
	return nil
}

func tasksOf(n int, f func(i int, ctx context.Context) error) []func(context.Context) error {
	ts := make([]func(context.Context) error, n)
	for i := range ts {
		ts[i] = func(ctx context.Context) error { return f(i, ctx) }
	}
	return ts
}

func TestLimit(t *testing.T) {
	runners := map[string]func(context.Context, int, []func(context.Context) error) error{"FirstError": FirstError, "All": All}
	for _, name := range []string{"FirstError", "All"} {
		for _, limit := range []int{1, 3, 0} {
			t.Run(fmt.Sprintf("%s/limit=%d", name, limit), func(t *testing.T) {
				coursetest.CheckLeaksIfPassing(t)
				coursetest.Bubble(t, name+" left tasks blocked for good", func(t *testing.T) {
					const n = 9
					g := newGate()
					res := make(chan error, 1)
					go func() {
						res <- runners[name](t.Context(), limit, tasksOf(n, func(_ int, ctx context.Context) error { return g.task(ctx) }))
					}()
					synctest.Wait()
					want := int64(limit)
					if limit < 1 {
						want = n
					}
					got := g.started.Load()
					close(g.release)
					synctest.Wait()
					if got != want {
						t.Fatalf("%s with limit %d: %d of %d blocking tasks had started, want exactly %d: %s", name, limit, got, n, want,
							limitHint(got, want))
					}
					select {
					case err := <-res:
						assert.NoError(t, err, "no task failed, so %s must return nil", name)
					default:
						t.Fatalf("%s still runs after every task returned", name)
					}
					assert.Equal(t, want, g.hw.Max(), "at most %d tasks may run at once", want)
				})
			})
		}
	}
}

func limitHint(got, want int64) string {
	if got > want {
		return "call g.SetLimit(limit) before the first g.Go"
	}
	return "tasks must run on their own goroutines, all at once when there is no limit (limit < 1)"
}

func TestFirstErrorReturnsNilWhenAllSucceed(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	var runs [20]atomic.Int32
	var err error
	coursetest.Within(t, func() {
		err = FirstError(context.Background(), 4, tasksOf(20, func(i int, _ context.Context) error { runs[i].Add(1); return nil }))
	}, "FirstError never returned")
	assert.NoError(t, err)
	for i := range runs {
		assert.EqualValues(t, 1, runs[i].Load(), "task %d must run exactly once", i)
	}
}

func TestFirstErrorCancelsTheOthers(t *testing.T) {
	for _, failure := range []string{"error", "panic"} {
		t.Run(failure, func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			coursetest.Bubble(t, "the other tasks were still waiting for their context to end after a task failed: "+
				"use errgroup.WithContext and give the tasks the context it returns", func(t *testing.T) {
				boom := errors.New("boom")
				var sawCancel atomic.Int32
				var others sync.WaitGroup
				others.Add(3)
				tasks := tasksOf(4, func(i int, ctx context.Context) error {
					if i == 2 {
						others.Wait() // fail once the other three are running
						if failure == "panic" {
							_, err := explode("kaboom")
							return err
						}
						return boom
					}
					others.Done()
					<-ctx.Done() // waits until a failure cancels the group
					sawCancel.Add(1)
					return ctx.Err()
				})
				err := FirstError(t.Context(), 0, tasks)
				if failure == "panic" {
					var pe *PanicError
					assert.ErrorAs(t, err, &pe, "a task that panicked must make FirstError return a *PanicError")
				} else {
					assert.Equal(t, boom, err, "FirstError must return the first task error, not the cancellation it caused")
				}
				assert.EqualValues(t, 3, sawCancel.Load(), "every other task must see its context cancelled")
			})
		})
	}
}

func TestFirstErrorSkipsTasksNotStarted(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, groupHint, func(t *testing.T) {
		boom := errors.New("boom")
		var ran atomic.Int32
		err := FirstError(t.Context(), 1, tasksOf(6, func(i int, _ context.Context) error {
			if i == 0 {
				return boom
			}
			ran.Add(1)
			return nil
		}))
		assert.Equal(t, boom, err)
		assert.Zero(t, ran.Load(), "with limit 1 the first task failed before any other started, yet %d others ran: "+
			"a task that gets its slot after the group's context was cancelled must not run", ran.Load())
	})
}

func TestFirstErrorWaitsForStartedTasks(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, groupHint, func(t *testing.T) {
		boom := errors.New("boom")
		release := make(chan struct{})
		var finished atomic.Bool
		started := make(chan struct{})
		res := make(chan error, 1)
		go func() {
			res <- FirstError(t.Context(), 0, tasksOf(2, func(i int, _ context.Context) error {
				if i == 0 {
					<-started // fail once task 1 is running
					return boom
				}
				close(started)
				<-release // a task that does not watch its context: it still runs to the end
				finished.Store(true)
				return nil
			}))
		}()
		synctest.Wait()
		select {
		case <-res:
			close(release)
			t.Fatal("FirstError returned while a task it started was still running: the owner of the goroutines " +
				"must wait for them (g.Wait()), not return at the first error")
		default:
		}
		close(release)
		synctest.Wait()
		select {
		case err := <-res:
			assert.Equal(t, boom, err)
			assert.True(t, finished.Load())
		default:
			t.Fatal("FirstError still waits after every task returned")
		}
	})
}

func TestFirstErrorSeesParentCancel(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, "tasks waiting for their context never saw the parent ctx cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		res := make(chan error, 1)
		go func() {
			res <- FirstError(ctx, 2, tasksOf(5, func(_ int, ctx context.Context) error { <-ctx.Done(); return ctx.Err() }))
		}()
		synctest.Wait()
		cancel()
		synctest.Wait()
		select {
		case err := <-res:
			assert.ErrorIs(t, err, context.Canceled, "when the parent ctx is cancelled, FirstError returns the tasks' ctx.Err()")
		default:
			t.Fatal("FirstError still waits after its ctx was cancelled")
		}
	})
}

func TestAllReportsEveryError(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, "All left tasks blocked for good", func(t *testing.T) {
		err1, err3 := errors.New("task 1 failed"), errors.New("task 3 failed")
		task3Done := make(chan struct{})
		release := make(chan struct{})
		var ctxErrSeen atomic.Value
		res := make(chan error, 1)
		go func() {
			res <- All(t.Context(), 0, tasksOf(6, func(i int, ctx context.Context) error {
				switch i {
				case 1:
					<-task3Done // fails after task 3: the report must still list task 1 first
					return err1
				case 3:
					close(task3Done)
					return err3
				case 4:
					_, err := explode("task 4 exploded")
					return err
				case 5:
					<-release // the test releases it after the others failed
					ctxErrSeen.Store(fmt.Sprint(ctx.Err()))
					return nil
				}
				return nil
			}))
		}()
		synctest.Wait()
		close(release)
		synctest.Wait()
		var err error
		select {
		case err = <-res:
		default:
			t.Fatal("All still waits after every task returned")
		}
		assert.Equal(t, "<nil>", ctxErrSeen.Load(), "All must not cancel the other tasks when one fails: give them ctx itself")
		require.Error(t, err, "three tasks failed: All must return an error")
		assert.ErrorIs(t, err, err1, "All lost task 1's error: join every task's error with errors.Join")
		assert.ErrorIs(t, err, err3, "All lost task 3's error: join every task's error with errors.Join")
		var pe *PanicError
		assert.ErrorAs(t, err, &pe, "All lost the panic of task 4: it must be in the joined error as a *PanicError")
		msg := err.Error()
		i1, i3, i4 := strings.Index(msg, "task 1"), strings.Index(msg, "task 3"), strings.Index(msg, "task 4")
		assert.True(t, i1 >= 0 && i1 < i3 && i3 < i4, "All must report the errors in the order of the tasks (1, 3, 4), "+
			"not the order they failed in; got:\n%s", msg)
	})
}

func TestAllReturnsNilWithoutFailures(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for _, n := range []int{0, 1, 5} {
		var runs atomic.Int32
		var err error
		coursetest.Within(t, func() {
			err = All(context.Background(), 2, tasksOf(n, func(int, context.Context) error { runs.Add(1); return nil }))
		}, "All with %d tasks never returned", n)
		assert.NoError(t, err, "All with %d tasks that all succeed must return nil (errors.Join of only nils is nil)", n)
		assert.EqualValues(t, n, runs.Load(), "All must run every task exactly once")
	}
}

// TestFirstErrorManyRounds races many failing and succeeding tasks, round after round: the result is
// always one of the tasks' errors, and every started task has returned when FirstError does.
func TestFirstErrorManyRounds(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	errs := []error{errors.New("a"), errors.New("b"), errors.New("c")}
	for r := range 100 {
		var running atomic.Int32
		var mu sync.Mutex
		shared := 0
		var err error
		ok := coursetest.Within(t, func() {
			err = FirstError(context.Background(), 3, tasksOf(12, func(i int, ctx context.Context) error {
				running.Add(1)
				defer running.Add(-1)
				mu.Lock() // a little shared work, so the race detector sees the tasks overlap
				shared++
				mu.Unlock()
				if i%4 == 3 {
					return errs[i%3]
				}
				return nil
			}))
		}, "round %d: FirstError never returned", r)
		if !ok {
			return
		}
		mu.Lock()
		if shared > 12 {
			t.Fatalf("round %d: tasks ran %d times, but there are only 12", r, shared)
		}
		mu.Unlock()
		if err != errs[0] && err != errs[1] && err != errs[2] {
			t.Fatalf("round %d: FirstError returned %v, want one of the tasks' errors", r, err)
		}
		if n := running.Load(); n != 0 {
			t.Fatalf("round %d: %d tasks were still running when FirstError returned", r, n)
		}
	}
}
