package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"runtime"
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

var errBoom = errors.New("boom")

// call is a method call running on its own goroutine, so the test can check whether it has returned.
type call struct {
	done chan struct{}
	err  error
}

func goCall(fn func() error) *call {
	c := &call{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.err = fn()
	}()
	return c
}

// returned reports, without blocking, whether the call has returned.
func (c *call) returned() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// wait waits for the call to return and returns its error.
func (c *call) wait() error {
	<-c.done
	return c.err
}

// TestWorkerLifeWhenFnReturnsOnItsOwn follows a worker from New to Stopped and checks Wait.
func TestWorkerLifeWhenFnReturnsOnItsOwn(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, "the worker got stuck: Start must run fn on a new goroutine and return at once, "+
		"and Wait must return once fn has returned", func(t *testing.T) {
		finish := make(chan struct{})
		w := NewWorker(func(ctx context.Context) error {
			<-finish
			return errBoom
		})
		assertState(t, New, w.State(), "a worker that was never started must be New")

		require.NoError(t, w.Start(context.Background()), "Start on a New worker must succeed")
		assertState(t, Running, w.State(), "after Start, while fn runs, the worker must be Running")

		waitCall := goCall(w.Wait)
		synctest.Wait()
		assert.False(t, waitCall.returned(), "Wait returned while fn was still running: it must block until the goroutine has returned")
		assertState(t, Running, w.State(), "the worker must stay Running until fn returns")

		close(finish) // fn returns errBoom
		err := waitCall.wait()
		assert.ErrorIs(t, err, errBoom, "Wait must return the error fn returned")
		assertState(t, Stopped, w.State(), "once fn has returned (and Wait has seen it) the worker must be Stopped")
		assert.ErrorIs(t, w.Wait(), errBoom, "a second Wait must return the same error at once")
	})
}

// TestStopCancelsAndWaitsForTheGoroutine checks Stop cancels fn's context, reports Stopping while fn
// winds down, and returns only after fn has returned.
func TestStopCancelsAndWaitsForTheGoroutine(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, "Stop never returned: it must cancel fn's context and wait for the goroutine", func(t *testing.T) {
		finish := make(chan struct{})
		var exited atomic.Bool
		w := NewWorker(func(ctx context.Context) error {
			<-ctx.Done() // asked to stop...
			<-finish     // ...but cleaning up takes a while
			exited.Store(true)
			return ctx.Err()
		})
		require.NoError(t, w.Start(context.Background()))

		stopCall := goCall(w.Stop)
		synctest.Wait() // fn has seen the cancellation and is blocked on finish
		assert.False(t, stopCall.returned(), "Stop returned while fn was still running: "+
			"Stop must wait until the goroutine has returned (a worker must never outlive its Stop)")
		assertState(t, Stopping, w.State(), "after Stop was called and before fn returned the worker must be Stopping")

		close(finish)
		err := stopCall.wait()
		assert.True(t, exited.Load(), "Stop returned before fn did")
		assert.ErrorIs(t, err, context.Canceled, "Stop must return fn's error (here ctx.Err(), context.Canceled)")
		assertState(t, Stopped, w.State(), "after Stop returns the worker must be Stopped")
		assert.ErrorIs(t, w.Wait(), context.Canceled, "Wait after Stop must return fn's error")
	})
}

// TestStartTwiceIsAnError checks a worker runs fn at most once, whoever calls Start.
func TestStartTwiceIsAnError(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	t.Run("one after the other", func(t *testing.T) {
		coursetest.Bubble(t, "the worker got stuck (Start or Stop never returned)", func(t *testing.T) {
			var calls atomic.Int64
			w := NewWorker(func(ctx context.Context) error { calls.Add(1); <-ctx.Done(); return nil })
			require.NoError(t, w.Start(context.Background()))
			assert.ErrorIs(t, w.Start(context.Background()), ErrStarted, "a second Start must return ErrStarted")
			assertState(t, Running, w.State(), "a failed Start must not change the state")
			assert.NoError(t, w.Stop())
			assert.ErrorIs(t, w.Start(context.Background()), ErrStarted, "Start after Stop must return ErrStarted")
			assertState(t, Stopped, w.State(), "a failed Start must not change the state")
			assert.Equal(t, int64(1), calls.Load(), "fn must run exactly once")
		})
	})
	t.Run("from many goroutines at once", func(t *testing.T) {
		coursetest.Bubble(t, "the worker got stuck (Start or Stop never returned)", func(t *testing.T) {
			var calls atomic.Int64
			w := NewWorker(func(ctx context.Context) error { calls.Add(1); <-ctx.Done(); return nil })
			const n = 8
			var ok, already atomic.Int64
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					switch err := w.Start(context.Background()); {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, ErrStarted):
						already.Add(1)
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int64(1), ok.Load(), "exactly one of %d concurrent Starts must succeed: check and set the state under one lock", n)
			assert.Equal(t, int64(n-1), already.Load(), "the other Starts must return ErrStarted")
			assert.NoError(t, w.Stop())
			assert.Equal(t, int64(1), calls.Load(), "fn must run exactly once")
		})
	})
}

// stopNoPanic calls w.Stop and turns a panic into a test error, so that one broken Stop does not end
// the whole test binary.
func stopNoPanic(t *testing.T, w *Worker) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Stop panicked: %v\n(Stop must be idempotent: cancel a context or guard the close with the state, "+
				"never close the same channel twice)", r)
		}
	}()
	return w.Stop()
}

// TestStopIsIdempotent checks Stop can be called again, concurrently, and before Start.
func TestStopIsIdempotent(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	t.Run("twice", func(t *testing.T) {
		coursetest.Bubble(t, "Stop never returned", func(t *testing.T) {
			w := NewWorker(func(ctx context.Context) error { <-ctx.Done(); return errBoom })
			require.NoError(t, w.Start(context.Background()))
			assert.ErrorIs(t, stopNoPanic(t, w), errBoom, "Stop must return fn's error")
			assert.ErrorIs(t, stopNoPanic(t, w), errBoom, "a second Stop must return fn's error again")
			assertState(t, Stopped, w.State(), "after Stop has returned twice the worker must be Stopped")
		})
	})
	t.Run("from many goroutines at once", func(t *testing.T) {
		coursetest.Bubble(t, "Stop never returned", func(t *testing.T) {
			finish := make(chan struct{})
			var exited atomic.Bool
			w := NewWorker(func(ctx context.Context) error {
				<-ctx.Done()
				<-finish
				exited.Store(true)
				return nil
			})
			require.NoError(t, w.Start(context.Background()))
			const n = 8
			var early atomic.Int64
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					stopNoPanic(t, w)
					if !exited.Load() {
						early.Add(1)
					}
				})
			}
			synctest.Wait()
			close(finish)
			wg.Wait()
			assert.Zero(t, early.Load(), "%d of %d concurrent Stops returned while fn was still running: every Stop must wait for the goroutine", early.Load(), n)
			assertState(t, Stopped, w.State(), "once every Stop has returned the worker must be Stopped")
		})
	})
	t.Run("before Start", func(t *testing.T) {
		coursetest.Bubble(t, "Stop or Wait on a worker that was never started blocked: Stop must move a New worker straight to Stopped", func(t *testing.T) {
			var calls atomic.Int64
			w := NewWorker(func(ctx context.Context) error { calls.Add(1); return errBoom })
			assert.NoError(t, stopNoPanic(t, w), "Stop on a New worker must return nil: fn never ran")
			assertState(t, Stopped, w.State(), "Stop on a New worker must make it Stopped")
			assert.NoError(t, w.Wait(), "Wait on a worker stopped before Start must return nil at once")
			assert.ErrorIs(t, w.Start(context.Background()), ErrStarted, "a stopped worker cannot be started")
			assert.NoError(t, stopNoPanic(t, w), "Stop again must still return nil")
			synctest.Wait()
			assert.Zero(t, calls.Load(), "fn must never run on a worker stopped before Start")
		})
	})
}

// TestCancellingTheParentContextStopsTheWorker checks the owner's context bounds the worker's life.
func TestCancellingTheParentContextStopsTheWorker(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, "the worker did not stop when the context given to Start was cancelled: "+
		"derive fn's context from it (context.WithCancel(ctx))", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		w := NewWorker(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
		require.NoError(t, w.Start(ctx))
		synctest.Wait()
		assertState(t, Running, w.State(), "until the context given to Start is cancelled, the worker must be Running")

		cancel()
		assert.ErrorIs(t, w.Wait(), context.Canceled, "Wait must return fn's error after the parent context is cancelled")
		assertState(t, Stopped, w.State(), "the worker must be Stopped once fn has returned")
		assert.ErrorIs(t, stopNoPanic(t, w), context.Canceled, "Stop on a Stopped worker must return fn's error")
	})
}

// opaqueCtx is a parent context the context package cannot see inside (like many wrapped contexts):
// context.WithCancel(opaqueCtx{...}) starts a goroutine that watches both contexts and lives until the
// parent is done or the derived context is cancelled.
type opaqueCtx struct {
	context.Context // Deadline and Value
	done            chan struct{}
}

func (c opaqueCtx) Done() <-chan struct{} { return c.done }

func (c opaqueCtx) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

// TestWorkerReleasesItsContextWhenFnReturns checks the context Start derives is cancelled once fn has
// returned on its own, so nothing the context holds (here, a watcher goroutine) outlives the worker.
func TestWorkerReleasesItsContextWhenFnReturns(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, "Wait never returned although fn returned at once, or a goroutine outlived the worker: "+
		"the context Start derived with context.WithCancel was never cancelled. Call its cancel function once fn "+
		"has returned, not only in Stop (go vet's lostcancel rule): until then the context holds resources, here "+
		"a goroutine watching the parent", func(t *testing.T) {
		parent := opaqueCtx{Context: context.Background(), done: make(chan struct{})}
		w := NewWorker(func(ctx context.Context) error { return errBoom })
		require.NoError(t, w.Start(parent))
		assert.ErrorIs(t, w.Wait(), errBoom, "Wait must return the error fn returned")
		// The bubble ends here: if the goroutine watching parent is still blocked, it reports it.
	})
}

// TestStateIsSafeForConcurrentUse reads the state from several goroutines while the worker starts,
// stops and ends; run it with -race. The states each reader sees must only move forward.
func TestStateIsSafeForConcurrentUse(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, "the worker got stuck (Stop never returned)", func(t *testing.T) {
		w := NewWorker(func(ctx context.Context) error { <-ctx.Done(); return nil })
		const readers = 4
		seen := make([][]State, readers)
		var wg sync.WaitGroup
		for r := range readers {
			wg.Go(func() {
				for range 200 {
					seen[r] = append(seen[r], w.State())
				}
			})
		}
		require.NoError(t, w.Start(context.Background()))
		assert.NoError(t, w.Stop())
		wg.Wait()
		for r, states := range seen {
			for i := 1; i < len(states); i++ {
				if states[i] < states[i-1] {
					assert.Fail(t, fmt.Sprintf("reader %d saw the state go backwards: %v then %v", r, states[i-1], states[i]),
						"a worker's state only moves forward: New → Running → Stopping → Stopped")
					break
				}
			}
		}
		assertState(t, Stopped, w.State(), "after Stop returns the worker must be Stopped")
	})
}

// TestWaitBeforeStartBlocks checks that Wait on a New worker waits for the worker to be Stopped,
// whether fn then runs or Stop comes first.
func TestWaitBeforeStartBlocks(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	t.Run("then Start", func(t *testing.T) {
		coursetest.Bubble(t, "Wait never returned after fn returned", func(t *testing.T) {
			finish := make(chan struct{})
			w := NewWorker(func(ctx context.Context) error { <-finish; return errBoom })
			waitCall := goCall(w.Wait)
			synctest.Wait()
			if waitCall.returned() {
				t.Fatalf("Wait on a New worker returned at once: Wait blocks until the worker is Stopped, " +
					"and a New worker will still run fn (wait on the done channel, whatever the state)")
			}
			require.NoError(t, w.Start(context.Background()))
			synctest.Wait()
			assert.False(t, waitCall.returned(), "Wait returned while fn was still running")
			close(finish)
			assert.ErrorIs(t, waitCall.wait(), errBoom, "Wait called before Start must return fn's error once fn has returned")
		})
	})
	t.Run("then Stop", func(t *testing.T) {
		coursetest.Bubble(t, "Wait never returned after Stop on a New worker", func(t *testing.T) {
			w := NewWorker(func(ctx context.Context) error { return errBoom })
			waitCall := goCall(w.Wait)
			synctest.Wait()
			if waitCall.returned() {
				t.Fatalf("Wait on a New worker returned at once: Wait blocks until the worker is Stopped")
			}
			assert.NoError(t, stopNoPanic(t, w), "Stop on a New worker must return nil")
			assert.NoError(t, waitCall.wait(), "Wait must return nil when the worker was stopped before it ever ran")
		})
	})
}

// TestAFailedStartChangesNothing checks that a Start that returns ErrStarted leaves the running worker
// alone: it does not cancel fn, replace its context, or start fn again.
func TestAFailedStartChangesNothing(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, "the worker got stuck (Start or Stop never returned)", func(t *testing.T) {
		var calls atomic.Int64
		var cancelled atomic.Bool
		w := NewWorker(func(ctx context.Context) error {
			calls.Add(1)
			<-ctx.Done()
			cancelled.Store(true)
			return ctx.Err()
		})
		require.NoError(t, w.Start(context.Background()))
		second, cancelSecond := context.WithCancel(context.Background())
		assert.ErrorIs(t, w.Start(second), ErrStarted, "a second Start must return ErrStarted")
		cancelSecond() // the failed Start's context has nothing to do with the worker
		synctest.Wait()
		assert.False(t, cancelled.Load(), "fn's context was cancelled by a failed Start (or by cancelling the "+
			"context given to it): a Start that returns ErrStarted must do nothing else")
		assertState(t, Running, w.State(), "a failed Start must not change the state")
		assert.ErrorIs(t, w.Stop(), context.Canceled, "Stop must still stop the worker started first")
		assert.Equal(t, int64(1), calls.Load(), "fn must run exactly once")
	})
}

// TestConcurrentCallsOnANewWorker races the first calls on a New worker against each other, many
// times over with several cores and the callers released at the same instant, so that a state checked
// under one lock and acted on under another (check-then-act) is caught: Start racing Start, Stop racing
// Stop, and Start racing Stop.
func TestConcurrentCallsOnANewWorker(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	const rounds, callers = 300, 4
	for _, tc := range []struct {
		name   string
		starts int // how many of the callers call Start; the others call Stop
	}{
		{"Start racing Start", callers},
		{"Stop racing Stop", 0},
		{"Start racing Stop", callers / 2},
	} {
		if !t.Run(tc.name, func(t *testing.T) {
			// One round in a bubble first, where a worker that gets stuck is reported at once; then the
			// rounds for real, outside the bubble, where the callers run truly in parallel.
			coursetest.Bubble(t, "the worker got stuck: a Start or a Stop never returned ("+tc.name+")", func(t *testing.T) {
				raceOnANewWorker(t, 0, callers, tc.starts)
			})
			if t.Failed() {
				return
			}
			patiently(t, func() {
				for round := range rounds {
					if !raceOnANewWorker(t, round, callers, tc.starts) {
						return
					}
				}
			}, "the worker got stuck: a Start or a Stop never returned ("+tc.name+")")
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// patiently runs fn on a new goroutine and fails t with msg if it has not returned after
// coursetest.Patience. It is coursetest.Within with a stopped timer: Within's guard fires (and hurries
// every later guard of the binary to one second) even when fn returned long before, and these rounds
// may legitimately take more than a second on a busy machine.
func patiently(t *testing.T, fn func(), msg string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	timer := time.NewTimer(coursetest.Patience)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("%s\n(still blocked after %v)", msg, coursetest.Patience)
	}
}

// yieldingCtx is a context that is never cancelled and whose Done lets other goroutines run before it
// returns. context.WithCancel calls its parent's Done, so a Start that derives fn's context between
// checking the state and setting it gives the other callers time to check the state too.
type yieldingCtx struct{ context.Context }

func (yieldingCtx) Done() <-chan struct{} {
	for range 20 {
		runtime.Gosched()
	}
	return nil
}

// raceOnANewWorker makes callers goroutines call Start (the first starts of them) or Stop on one New
// worker at the same time, then checks the outcome. It reports whether the round went well.
func raceOnANewWorker(t *testing.T, round, callers, starts int) bool {
	t.Helper()
	var calls atomic.Int64
	w := NewWorker(func(ctx context.Context) error { calls.Add(1); <-ctx.Done(); return nil })
	var started, panics atomic.Int64
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			defer func() {
				if recover() != nil {
					panics.Add(1)
				}
			}()
			<-gate
			if c < starts {
				if w.Start(yieldingCtx{context.Background()}) == nil {
					started.Add(1)
				}
			} else {
				_ = w.Stop()
			}
		})
	}
	// Readers keep the worker's lock busy meanwhile, so that a caller that checked the state and released
	// the lock often has to wait before it can take the lock again to act on what it saw.
	for range 2 {
		wg.Go(func() {
			<-gate
			for range 50 {
				_ = w.State()
			}
		})
	}
	close(gate)
	wg.Wait()
	switch {
	case panics.Load() > 0:
		t.Errorf("in round %d, %d concurrent calls on a New worker panicked (close of a closed channel?): "+
			"decide what to do under the lock, and close the done channel only where the state changes", round, panics.Load())
	case started.Load() > 1:
		t.Errorf("in round %d, %d of %d concurrent Starts on a New worker succeeded, want at most 1: check the "+
			"state and set it to Running in one critical section, under one lock", round, started.Load(), starts)
	case starts == callers && started.Load() != 1:
		t.Errorf("in round %d, none of %d concurrent Starts on a New worker succeeded, want exactly 1", round, starts)
	}
	if t.Failed() {
		_ = w.Stop()
		return false
	}
	if err := w.Stop(); err != nil {
		t.Errorf("in round %d Stop returned %v, want nil (fn returned nil)", round, err)
	}
	if s := w.State(); s != Stopped {
		t.Errorf("in round %d the worker was %v after Stop returned, want Stopped", round, s)
	}
	if c := calls.Load(); c != started.Load() {
		t.Errorf("in round %d fn ran %d times, but %d Starts succeeded: fn runs once per successful Start, and "+
			"never on a worker stopped before Start", round, c, started.Load())
	}
	return !t.Failed()
}

// TestStoppedAsSoonAsWaitOrStopReturns checks, many times over with several cores, that the state is
// already Stopped when Wait or Stop returns: set Stopped before closing the channel they wait on.
func TestStoppedAsSoonAsWaitOrStopReturns(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, method := range []string{"Wait", "Stop"} {
		if !t.Run(method, func(t *testing.T) {
			coursetest.Bubble(t, "the worker got stuck: "+method+" never returned", func(t *testing.T) {
				for round := range 300 {
					w := NewWorker(func(ctx context.Context) error {
						if method == "Stop" {
							<-ctx.Done()
						}
						return nil
					})
					require.NoError(t, w.Start(context.Background()))
					if method == "Wait" {
						_ = w.Wait()
					} else {
						_ = w.Stop()
					}
					if s := w.State(); s != Stopped {
						t.Fatalf("in round %d the worker was %v just after %s returned, want Stopped: set the state to "+
							"Stopped before you close the channel %s waits on", round, s, method, method)
					}
				}
			})
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// assertState checks got == want and prints both states by name.
func assertState(t *testing.T, want, got State, msg string) bool {
	t.Helper()
	if got == want {
		return true
	}
	t.Errorf("%s\n(the worker is %v, want %v)", msg, got, want)
	return false
}
