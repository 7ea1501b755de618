package background

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// stuck is the hint shown when a fake-time test ends with goroutines still blocked.
const stuck = "the loop got stuck or left a goroutine behind: Stop and cancelling ctx must end the loop's " +
	"goroutine (and any helper goroutine it started), and Stop must return once it has"

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestLoopCallsFnEveryInterval checks, in fake time, that fn is called exactly once per interval,
// starting one interval after Start, however long each call takes; and that Start rejects an interval
// that is not positive.
func TestLoopCallsFnEveryInterval(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
cases:
	for _, interval := range []time.Duration{time.Millisecond, time.Second, 5 * time.Minute} {
		for _, work := range []time.Duration{0, interval / 4} {
			if !t.Run(fmt.Sprintf("%v, fn takes %v", interval, work), func(t *testing.T) {
				coursetest.Bubble(t, stuck, func(t *testing.T) {
					var calls atomic.Int64
					l := Start(context.Background(), interval, func(ctx context.Context) {
						calls.Add(1)
						if ctx.Err() != nil {
							t.Errorf("fn was called with a context that is already cancelled")
						}
						time.Sleep(work)
					})
					defer l.Stop()

					time.Sleep(interval / 2)
					synctest.Wait()
					assert.Zero(t, calls.Load(), "fn was called before one interval had passed: "+
						"the first call comes one interval after Start (use a time.Ticker)")
					for k := int64(1); k <= 10; k++ {
						time.Sleep(interval)
						synctest.Wait()
						if !assert.Equal(t, k, calls.Load(), "after %v + %v/2 of (fake) time fn must have been called exactly %d times "+
							"(each call took %v): the calls must keep the rhythm of a time.Ticker, not drift by fn's duration "+
							"as time.After or a timer reset after each call do", time.Duration(k)*interval, interval, k, work) {
							return
						}
					}
				})
			}) {
				break cases // one failing case is enough to read; the others fail the same way
			}
		}
	}
	for _, bad := range []time.Duration{0, -time.Second} {
		if !t.Run(fmt.Sprintf("interval %v", bad), func(t *testing.T) {
			coursetest.Bubble(t, stuck, func(t *testing.T) {
				var l *Loop
				r := panicValue(func() { l = Start(context.Background(), bad, func(context.Context) {}) })
				if s, ok := r.(string); ok && strings.HasPrefix(s, "TODO:") {
					panic(r) // not started yet
				}
				if l != nil {
					l.Stop()
				}
				assert.NotNil(t, r, "Start(ctx, %v, fn) returned normally, but it must panic when interval <= 0, "+
					"a bug in the caller (time.NewTicker panics on it too)", bad)
			})
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// panicValue calls f and returns what it panicked with, or nil.
func panicValue(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

// TestStopEndsTheLoop checks nothing runs after Stop, Done is closed, and fn's context is cancelled.
func TestStopEndsTheLoop(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, stuck, func(t *testing.T) {
		const interval = time.Second
		var calls atomic.Int64
		var fnCtx context.Context
		l := Start(context.Background(), interval, func(ctx context.Context) {
			calls.Add(1)
			fnCtx = ctx
		})
		time.Sleep(3*interval + interval/2)
		synctest.Wait()
		assert.Equal(t, int64(3), calls.Load(), "after 3.5 intervals fn must have been called 3 times")
		assert.False(t, closed(l.Done()), "Done was closed while the loop was still running")

		l.Stop()
		assert.True(t, closed(l.Done()), "Done must be closed once Stop has returned")
		if assert.NotNil(t, fnCtx, "fn was never called") {
			assert.Error(t, fnCtx.Err(), "the context passed to fn must be cancelled by Stop")
		}

		time.Sleep(10 * interval)
		synctest.Wait()
		assert.Equal(t, int64(3), calls.Load(), "fn was called after Stop returned: "+
			"the loop must return as soon as its context is cancelled")
	})
}

// TestStopWaitsForARunningCall checks that Stop, called from several goroutines while fn is running
// and a tick is waiting, returns only once fn has returned, and that fn is not called again.
func TestStopWaitsForARunningCall(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, stuck, func(t *testing.T) {
		const interval = time.Second
		// When fn returns, both the cancelled context and the waiting tick are ready, and select picks
		// one of them at random: repeat, so that a loop that may take the tick is caught every time.
		const rounds, stoppers = 40, 3
		for range rounds {
			finish := make(chan struct{})
			var calls, finished atomic.Int64
			l := Start(context.Background(), interval, func(context.Context) {
				calls.Add(1)
				<-finish // a long call, still running when Stop is called
				finished.Add(1)
			})
			time.Sleep(2*interval + interval/2)
			synctest.Wait() // fn is running its first call, and the tick of 2 intervals waits for it
			if !assert.Equal(t, int64(1), calls.Load(), "fn must have been called once after 1 interval, "+
				"and not again while that call still runs") {
				close(finish)
				l.Stop()
				return
			}

			stopped := make([]chan struct{}, stoppers)
			for i := range stopped {
				stopped[i] = make(chan struct{})
				go func() { l.Stop(); close(stopped[i]) }()
			}
			synctest.Wait()
			early := 0
			for _, ch := range stopped {
				if closed(ch) {
					early++
				}
			}
			assert.Zero(t, early, "%d of %d concurrent calls to Stop returned while fn was still running: "+
				"every Stop, not only the first, must wait until the loop's goroutine has returned, so nothing "+
				"outlives its owner", early, stoppers)

			close(finish)
			for _, ch := range stopped {
				<-ch
			}
			assert.Equal(t, calls.Load(), finished.Load(), "Stop returned before fn did")
			time.Sleep(10 * interval)
			synctest.Wait()
			if !assert.Equal(t, int64(1), calls.Load(), "fn was called again after Stop had cancelled its context: "+
				"when fn returned, a tick was waiting too, and select picks at random among ready cases; check "+
				"ctx.Err() after a tick, before calling fn") || early > 0 {
				return
			}
		}
	})
}

// TestCancellingCtxEndsTheLoop checks the owner's context ends the loop without Stop.
func TestCancellingCtxEndsTheLoop(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, stuck, func(t *testing.T) {
		const interval = time.Minute
		var calls atomic.Int64
		ctx, cancel := context.WithCancel(context.Background())
		l := Start(ctx, interval, func(context.Context) { calls.Add(1) })
		defer l.Stop()

		time.Sleep(2*interval + interval/2)
		cancel()
		synctest.Wait()
		assert.True(t, closed(l.Done()), "the loop was still running after the context given to Start was "+
			"cancelled: select on ctx.Done() in the loop (a goroutine whose owner is gone must end)")
		time.Sleep(10 * interval)
		synctest.Wait()
		assert.Equal(t, int64(2), calls.Load(), "fn must have been called twice before the cancel at 2.5 intervals and never after")
	})
}

// TestStopIsIdempotent checks Stop can be called again, concurrently, and before the first tick.
func TestStopIsIdempotent(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, stuck, func(t *testing.T) {
		var calls atomic.Int64
		l := Start(context.Background(), time.Second, func(context.Context) { calls.Add(1) })
		l.Stop() // before the first tick
		l.Stop()
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(l.Stop)
		}
		wg.Wait()
		assert.True(t, closed(l.Done()), "Done must be closed after Stop")
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.Zero(t, calls.Load(), "fn was called although Stop came before the first interval ended")
	})
}

// TestFnNeverRunsConcurrentlyWithItself uses a fn slower than the interval.
func TestFnNeverRunsConcurrentlyWithItself(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, stuck, func(t *testing.T) {
		const interval = time.Second
		var hw coursetest.HighWater
		var calls atomic.Int64
		l := Start(context.Background(), interval, func(context.Context) {
			hw.Enter()
			defer hw.Exit()
			calls.Add(1)
			time.Sleep(5 * interval / 2) // slower than the ticker
		})
		time.Sleep(20 * interval)
		l.Stop()
		assert.Equal(t, int64(1), hw.Max(), "fn ran %d times at once: call fn on the loop's goroutine, not in a new goroutine per tick", hw.Max())
		assert.GreaterOrEqual(t, calls.Load(), int64(5), "a fn slower than the interval must still be called again as soon as it returns (missed ticks are dropped, not all)")
	})
}

// TestStopLeavesNoGoroutineBehind checks that Stop leaves nothing running: no loop goroutine, no helper
// goroutine feeding it ticks. The bubble reports any goroutine still blocked when the test ends.
func TestStopLeavesNoGoroutineBehind(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for _, n := range []int{1, 3} {
		if !t.Run(fmt.Sprintf("%d loops", n), func(t *testing.T) {
			coursetest.Bubble(t, "Stop never returned, or a goroutine outlived Stop: the loop must use one goroutine "+
				"and a time.Ticker it stops (defer ticker.Stop()), not time.Tick behind a helper goroutine", func(t *testing.T) {
				loops := make([]*Loop, n)
				for i := range loops {
					loops[i] = Start(context.Background(), time.Hour, func(context.Context) {})
				}
				time.Sleep(3 * time.Hour)
				for _, l := range loops {
					l.Stop()
				}
			})
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// TestMissedTicksAreDropped makes the first call slow (4.5 intervals) and the later ones quick: the
// ticks missed meanwhile must be dropped, not delivered in a burst once fn returns, and the loop must
// then keep the rhythm of the ticker. A time.Ticker keeps at most one waiting tick, so one call may
// follow right after the slow one.
func TestMissedTicksAreDropped(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, stuck, func(t *testing.T) {
		const interval = time.Second
		var calls atomic.Int64
		l := Start(context.Background(), interval, func(context.Context) {
			if calls.Add(1) == 1 {
				time.Sleep(9 * interval / 2) // the first call ends at 5.5 intervals
			}
		})
		defer l.Stop()

		time.Sleep(5*interval + 3*interval/4) // 5.75 intervals: the slow call has just returned
		synctest.Wait()
		afterSlow := calls.Load()
		if afterSlow > 2 {
			t.Fatalf("fn's first call took 4.5 intervals, and right after it returned fn had been called %d times: "+
				"the ticks missed while fn ran must be dropped (a time.Ticker keeps at most one), not saved up "+
				"and delivered in a burst", afterSlow)
		}
		time.Sleep(5 * interval) // 10.75 intervals: ticks at 6, 7, 8, 9 and 10
		synctest.Wait()
		assert.Equal(t, int64(5), calls.Load()-afterSlow, "between 5.75 and 10.75 intervals after Start fn must "+
			"have been called 5 times (at 6, 7, 8, 9 and 10 intervals): after a slow call the loop keeps the "+
			"ticker's rhythm")
	})
}

// TestStopWaitsAfterTheParentWasCancelled cancels the owner's context while fn is busy, then calls
// Stop: Stop must still wait until fn has returned, although the loop was already asked to end.
func TestStopWaitsAfterTheParentWasCancelled(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, stuck, func(t *testing.T) {
		const interval = time.Second
		finish := make(chan struct{})
		var running atomic.Bool
		ctx, cancel := context.WithCancel(context.Background())
		l := Start(ctx, interval, func(context.Context) {
			running.Store(true)
			<-finish
			running.Store(false)
		})
		time.Sleep(interval + interval/2)
		synctest.Wait() // fn is running
		cancel()
		stopped := make(chan struct{})
		go func() { l.Stop(); close(stopped) }()
		synctest.Wait()
		early := closed(stopped)
		close(finish)
		<-stopped
		if early {
			t.Fatalf("Stop returned while fn was still running, because the context given to Start had " +
				"already been cancelled: whatever ended the loop, Stop must wait until its goroutine has returned")
		}
		assert.False(t, running.Load(), "fn was still running when Stop returned")
	})
}
