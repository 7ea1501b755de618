package event

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSetWakesEveryWaiter(t *testing.T) {
	for _, waiters := range []int{1, 3, 10} {
		t.Run(fmt.Sprintf("%d waiters", waiters), func(t *testing.T) {
			coursetest.CheckLeaksBriefly(t)
			coursetest.BubbleWatchingLocks(t, "Wait calls were left blocked after Set: Set must wake every waiter", func(t *testing.T) {
				e := New()
				require.False(t, e.IsSet(), "a new Event is not set")
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel() // on failure, free the waiters Set did not wake
				calls := make([]*call, waiters)
				for i := range calls {
					calls[i] = waitAsync(e, ctx)
				}
				synctest.Wait()
				for i, c := range calls {
					require.False(t, c.returned(), "Wait #%d returned (%v) before Set: Wait must block while the event is not set", i, c.err)
				}
				e.Set()
				synctest.Wait()
				woken := 0
				for _, c := range calls {
					if c.returned() {
						woken++
						assert.NoError(t, c.err, "Wait woken by Set")
					}
				}
				require.Equal(t, waiters, woken, "Set woke %d of %d waiting goroutines: it must wake all of them "+
					"(closing a channel wakes every receiver; sending a value wakes only one)", woken, waiters)
				assert.True(t, e.IsSet(), "IsSet after Set")
			})
		})
	}
}

// TestSetThenClearWakesEveryWaiter calls Clear right after Set, before the woken waiters have run. Set
// woke them: they must return, not look at the event again and go back to sleep because it is clear.
func TestSetThenClearWakesEveryWaiter(t *testing.T) {
	const waiters = 3
	coursetest.CheckLeaksBriefly(t)
	coursetest.BubbleWatchingLocks(t, "Wait calls were left blocked after Set", func(t *testing.T) {
		e := New()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // on failure, free the waiters Set did not wake

		// The waiters must not run between Set and Clear. They almost never do; 20 rounds make sure.
		for round := range 20 {
			calls := make([]*call, waiters)
			for i := range calls {
				calls[i] = waitAsync(e, ctx)
			}
			synctest.Wait()
			e.Set()
			e.Clear() // at once, before the woken waiters have run
			synctest.Wait()
			woken := 0
			for _, c := range calls {
				if c.returned() {
					woken++
					assert.NoError(t, c.err, "round %d: Wait woken by Set", round)
				}
			}
			require.Equal(t, waiters, woken, "round %d: Set then Clear, called at once, woke %d of %d waiting goroutines: "+
				"Set wakes every goroutine that is waiting, and those must return nil even if the event is clear again "+
				"by the time they run. Don't check the event again after the wake-up: wait on the channel that was "+
				"current when Wait started, which Set closed", round, woken, waiters)
			assert.False(t, e.IsSet(), "round %d: IsSet after Set, Clear", round)
		}
	})
}

func TestSetIsIdempotent(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	coursetest.BubbleWatchingLocks(t, "Wait blocked on an event that is set", func(t *testing.T) {
		e := New()
		e.Set()
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("a second Set panicked (%v): Set on an event that is already set must do nothing — "+
						"close the channel only if it is not closed yet", r)
				}
			}()
			e.Set()
			e.Set()
		}()
		assert.True(t, e.IsSet(), "IsSet after Set, Set, Set")
		c := waitAsync(e, context.Background())
		synctest.Wait()
		require.True(t, c.returned(), "Wait on an event that is set must return at once")
		assert.NoError(t, c.err, "Wait on a set event")
	})
}

func TestClearMakesWaitBlockAgain(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	coursetest.BubbleWatchingLocks(t, "Wait calls were left blocked", func(t *testing.T) {
		e := New()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // on failure, free any waiter left behind

		e.Clear() // clearing an event that is not set changes nothing
		assert.False(t, e.IsSet(), "IsSet after Clear on a new event")
		e.Set()
		e.Clear()
		assert.False(t, e.IsSet(), "IsSet after Set then Clear")
		c := waitAsync(e, ctx)
		synctest.Wait()
		require.False(t, c.returned(), "Wait after Set, Clear returned at once (%v): Clear must reset the event "+
			"so that later Waits block until the next Set (a closed channel stays closed: make a new one)", c.err)

		e.Clear() // not set: the waiter must stay registered, so the next Set still wakes it
		e.Set()
		synctest.Wait()
		require.True(t, c.returned(), "Set after Clear did not wake a goroutine that was waiting: did Clear replace "+
			"the channel it was waiting on although the event was not set?")
		assert.NoError(t, c.err, "Wait woken by Set")

		for round := range 3 { // set and clear, again and again
			e.Clear()
			c := waitAsync(e, ctx)
			synctest.Wait()
			require.False(t, c.returned(), "round %d: Wait after Clear returned at once", round)
			e.Set()
			synctest.Wait()
			require.True(t, c.returned(), "round %d: Set did not wake the waiter", round)
			assert.NoError(t, c.err, "round %d: Wait", round)
		}
	})
}

func TestWaitHonorsContext(t *testing.T) {
	tests := []struct {
		name    string
		set     bool
		ctx     func() (context.Context, context.CancelFunc)
		cancel  bool          // cancel while waiting
		after   time.Duration // fake time before Wait must have returned
		wantErr error
	}{
		{name: "cancelled while waiting", ctx: withCancel, cancel: true, wantErr: context.Canceled},
		{name: "deadline while waiting", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Second)
		}, after: time.Second, wantErr: context.DeadlineExceeded},
		{name: "already cancelled", ctx: cancelled, wantErr: context.Canceled},
		{name: "already cancelled but set", set: true, ctx: cancelled, wantErr: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			coursetest.CheckLeaksBriefly(t)
			coursetest.BubbleWatchingLocks(t, "Wait stayed blocked after its context was done: select on ctx.Done() too", func(t *testing.T) {
				e := New()
				if tt.set {
					e.Set()
				}
				ctx, cancel := tt.ctx()
				defer cancel()
				start := time.Now()
				for range 20 { // select picks a ready case at random: one lucky run proves nothing
					c := waitAsync(e, ctx)
					synctest.Wait()
					if tt.cancel {
						cancel()
					}
					time.Sleep(tt.after - time.Since(start)) // fake time: up to the deadline
					synctest.Wait()
					if !c.returned() {
						e.Set() // free it, so the test leaves no goroutine behind
						synctest.Wait()
						t.Fatalf("Wait was still blocked after its context was done: it must return ctx.Err() (%v)", tt.wantErr)
					}
					require.ErrorIs(t, c.err, tt.wantErr, "Wait's error (the event is set: %v); "+
						"a set event wins over a done context", tt.set)
					assert.Equal(t, tt.after, time.Since(start), "Wait must return as soon as ctx is done")
				}
			})
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	const goroutines, rounds = 8, 300
	e := New()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for i := range rounds {
				switch (g + i) % 4 {
				case 0:
					e.Set()
				case 1:
					e.Clear()
				case 2:
					e.IsSet()
				case 3:
					ctx, cancel := context.WithCancel(context.Background())
					wg.Go(cancel) // a cancellation racing with Set
					if err := e.Wait(ctx); err != nil && err != context.Canceled {
						t.Errorf("Wait = %v, want nil or context.Canceled", err)
					}
				}
			}
		})
	}
	close(start)
	coursetest.Within(t, wg.Wait, "%d goroutines calling Set, Clear, IsSet and Wait at once never finished", goroutines)
	e.Set()
	var err error
	coursetest.Within(t, func() { err = e.Wait(context.Background()) }, "Wait blocked right after Set")
	assert.NoError(t, err, "Wait after Set")
	assert.True(t, e.IsSet(), "IsSet after Set")
}

func withCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func cancelled() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx, cancel
}

// call is a Wait running on its own goroutine inside a synctest bubble.
type call struct {
	res  chan error
	done bool
	err  error
}

func waitAsync(e *Event, ctx context.Context) *call {
	c := &call{res: make(chan error, 1)}
	go func() { c.res <- e.Wait(ctx) }()
	return c
}

// returned reports whether the Wait has returned, and if so records its error. Call it after
// synctest.Wait.
func (c *call) returned() bool {
	if !c.done {
		select {
		case c.err = <-c.res:
			c.done = true
		default:
		}
	}
	return c.done
}
