package pitfalls

import (
	"context"
	"fmt"
	"slices"
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

// firstMatchLeak is the hint for goroutines FirstMatch left behind.
const firstMatchLeak = "FirstMatch left goroutines behind: after it returned, the checks still running " +
	"blocked for good, sending a result nobody receives. Give every goroutine a place to put its result " +
	"that needs no reader (a channel with room for every result)"

func TestFirstMatch(t *testing.T) {
	isSeven := func(n int) bool { return n == 7 }
	t.Run("finds the match", func(t *testing.T) {
		coursetest.CheckLeaksHint(t, firstMatchLeak)
		var got int
		var ok bool
		coursetest.Within(t, func() { got, ok = FirstMatch([]int{1, 7, 3}, isSeven) },
			"FirstMatch([1 7 3], n == 7) did not return although item 1 matches")
		assert.True(t, ok, "FirstMatch([1 7 3], n == 7) must report a match")
		assert.Equal(t, 7, got, "FirstMatch must return the item that matched")
	})
	t.Run("no match", func(t *testing.T) {
		coursetest.CheckLeaksHint(t, firstMatchLeak)
		var got int
		var ok, okNone bool
		coursetest.Within(t, func() { got, ok = FirstMatch([]int{1, 2, 3}, isSeven); _, okNone = FirstMatch(nil, isSeven) },
			"FirstMatch with no matching item did not return: it must wait for every check's result, then report "+
				"false (a check that does not match must deliver its result too, or nobody knows it is done)")
		assert.False(t, ok, "FirstMatch must report false when no item matches")
		assert.Zero(t, got, "FirstMatch returns the zero value when no item matches")
		assert.False(t, okNone, "FirstMatch of no items reports false")
	})
	t.Run("leaves no goroutine behind after an early return", func(t *testing.T) {
		coursetest.CheckLeaksHint(t, firstMatchLeak)
		// Item 0 matches at once; the other checks finish only after FirstMatch has returned.
		release := make(chan struct{})
		match := func(n int) bool {
			if n == 0 {
				return true
			}
			<-release
			return false
		}
		var got int
		var ok bool
		coursetest.Within(t, func() { got, ok = FirstMatch([]int{0, 1, 2, 3, 4}, match) },
			"FirstMatch did not return although item 0 matched at once: it must return at the first match")
		require.True(t, ok)
		require.Equal(t, 0, got)
		close(release) // the four late checks finish now: each must be able to deliver its result and end
	})
}

func TestFetchWithin(t *testing.T) {
	t.Run("returns the result in time", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		coursetest.Bubble(t, "FetchWithin did not return a fast fetch's result", func(t *testing.T) {
			start := time.Now()
			v, err := FetchWithin(time.Second, func() string { time.Sleep(100 * time.Millisecond); return "page" })
			require.NoError(t, err, "a fetch that takes 100ms must beat a 1s timeout")
			assert.Equal(t, "page", v)
			assert.Equal(t, 100*time.Millisecond, time.Since(start), "FetchWithin returns as soon as the result is there")
		})
	})
	t.Run("an instant result is never lost", func(t *testing.T) {
		// A fetch that returns at once may send before FetchWithin waits for it: the send must still
		// arrive (a sender that gives up when nobody is receiving yet loses it). The window is short,
		// so many calls, on several Ps.
		coursetest.Procs(t, 4)
		coursetest.CheckLeaks(t)
		coursetest.Bubble(t, "FetchWithin did not return", func(t *testing.T) {
			for i := range 2000 {
				v, err := FetchWithin(time.Second, func() int { return i })
				if err != nil || v != i {
					t.Fatalf("call %d: FetchWithin(1s, an instant fetch) = %d, %v; want %d, nil: the result was "+
						"lost, so the call timed out. The goroutine must hand its result over even if FetchWithin "+
						"is not waiting yet (a buffered channel), not drop it", i, v, err, i)
				}
			}
		})
	})
	t.Run("times out, and the late fetch still ends", func(t *testing.T) {
		const hint = "after the timeout, the goroutine running the late fetch never ended: it is blocked " +
			"handing over a result nobody reads (a leak). Give it somewhere to put the result that needs no reader"
		coursetest.CheckLeaksHint(t, hint)
		coursetest.Bubble(t, hint, func(t *testing.T) {
			release := make(chan struct{})
			start := time.Now()
			v, err := FetchWithin(time.Second, func() string { <-release; return "late" })
			assert.ErrorIs(t, err, ErrTimeout, "a fetch still running after d must give ErrTimeout")
			assert.Zero(t, v, "a timed-out FetchWithin returns the zero value")
			assert.Equal(t, time.Second, time.Since(start), "FetchWithin must give up exactly when d has passed")
			close(release) // the fetch finishes now, after the timeout; its goroutine must end
			synctest.Wait()
		})
	})
}

func TestProcessAll(t *testing.T) {
	// With one P the goroutines ProcessAll starts run only once it blocks, which is what exposes a
	// WaitGroup that is counted too late; the other settings must work too.
	for _, procs := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			coursetest.CheckLeaksHint(t, "calls of fn were still running after ProcessAll returned")
			coursetest.Procs(t, procs)
			coursetest.Bubble(t, "ProcessAll never returned although every call of fn did", func(t *testing.T) {
				const n = 8
				release := make(chan struct{})
				var started, finished atomic.Int32
				returned := make(chan struct{})
				start := time.Now()
				go func() {
					defer close(returned)
					ProcessAll(slices.Repeat([]int{1}, n), func(int) {
						started.Add(1)
						<-release
						finished.Add(1)
					})
				}()
				synctest.Wait() // every call is blocked on release, or ProcessAll has already returned
				if got := started.Load(); got != n {
					close(release)
					<-returned
					t.Fatalf("%d of %d calls of fn were under way at once: ProcessAll must call fn on every item, "+
						"each on its own goroutine (a call run in place waits for the one before it)", got, n)
				}
				select {
				case <-returned:
					t.Errorf("ProcessAll returned while %d of %d calls of fn were still running: wg.Wait ran before "+
						"the goroutines had called wg.Add. Count each goroutine (wg.Add) before you start it", n-finished.Load(), n)
				default:
				}
				close(release)
				<-returned
				synctest.Wait() // let a late call finish before the count is read
				assert.Zero(t, time.Since(start), "ProcessAll took %v of (fake) time of its own: it must wait for "+
					"the calls, not sleep and hope they have started", time.Since(start))
				assert.Equal(t, int32(n), finished.Load(), "ProcessAll must call fn once per item")
			})
		})
	}
}

func TestCounter(t *testing.T) {
	coursetest.CheckLeaks(t)
	const goroutines, each = 8, 100
	var c Counter
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				c.Inc()
				_ = c.Value() // readers run alongside writers, so the race detector sees them
			}
		})
	}
	if !coursetest.Within(t, wg.Wait, "Inc or Value never returned: an Inc with a value receiver locks a "+
		"copy of the Counter, and a copy taken while another goroutine holds the lock is locked for good. "+
		"A method with a value receiver gets a copy, lock and all; run go vet") {
		return
	}
	require.Equal(t, goroutines*each, c.Value(),
		"%d goroutines called Inc %d times each: when the count is lower (or 0), Inc is changing a copy "+
			"of the Counter. A method with a value receiver gets a copy, lock and all; run go vet", goroutines, each)
}

func TestWaitReady(t *testing.T) {
	t.Run("returns nil once ready is closed", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		ready := make(chan struct{})
		close(ready)
		coursetest.Within(t, func() {
			assert.NoError(t, WaitReady(context.Background(), ready), "ready is closed: WaitReady returns nil")
		}, "WaitReady did not return although ready was closed")
	})
	t.Run("returns ctx.Err() when ctx is done", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		coursetest.Within(t, func() {
			assert.ErrorIs(t, WaitReady(ctx, make(chan struct{})), context.Canceled, "ctx is cancelled: WaitReady returns ctx.Err()")
		}, "WaitReady did not return although ctx was cancelled")
	})
	t.Run("returns when ctx is cancelled during the wait", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- WaitReady(ctx, make(chan struct{})) }()
		coursetest.Eventually(t, func() bool { return parkedIn("pitfalls.WaitReady") },
			"WaitReady never blocked waiting for ready or ctx")
		cancel()
		coursetest.Within(t, func() {
			assert.ErrorIs(t, <-done, context.Canceled, "WaitReady returns ctx.Err() when ctx is cancelled while it waits")
		}, "WaitReady did not return when ctx was cancelled during the wait: select on ctx.Done() too, not only "+
			"before the wait")
	})
	t.Run("parks while it waits", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		ready := make(chan struct{})
		done := make(chan error, 1)
		go func() { done <- WaitReady(context.Background(), ready) }()
		coursetest.Eventually(t, func() bool { return parkedIn("pitfalls.WaitReady") },
			"WaitReady kept running while it waited instead of blocking: a select with a default case, in a loop, "+
				"polls as fast as the CPU allows (a busy wait) and keeps a core at 100%%. Drop the default case, "+
				"so that select blocks until a channel is ready")
		close(ready)
		coursetest.Within(t, func() { assert.NoError(t, <-done) }, "WaitReady did not return after ready was closed")
	})
}

// TestMerge comes last: a Merge that closes its output twice panics, and a panic ends the test
// binary, so the tests after it would not run.
func TestMerge(t *testing.T) {
	for _, inputs := range []int{3, 1, 0} {
		t.Run(fmt.Sprintf("%d inputs", inputs), func(t *testing.T) {
			coursetest.CheckLeaksHint(t, "Merge left goroutines behind after its output was drained")
			chans := make([]<-chan int, inputs)
			var want []int
			for i := range chans {
				ch := make(chan int)
				chans[i] = ch
				vals := []int{10*i + 1, 10*i + 2, 10*i + 3}
				want = append(want, vals...)
				go func() {
					defer close(ch)
					for _, v := range vals {
						ch <- v
					}
				}()
			}
			var got []int
			coursetest.Within(t, func() {
				for v := range Merge(chans...) {
					got = append(got, v)
				}
			}, "Merge's output was never closed after its %d inputs were closed and drained: "+
				"exactly one goroutine must close it, once every sender is done (Merge() closes it at once)", inputs)
			slices.Sort(got)
			assert.Equal(t, want, got, "Merge must deliver every value of every input exactly once")
		})
	}
	t.Run("one input ends before the others send", func(t *testing.T) {
		const hint = "Merge closed its output when its first input ended, while another input still had " +
			"values to send: close the output once, after every forwarding goroutine is done (a WaitGroup)"
		coursetest.CheckLeaksHint(t, hint)
		coursetest.Bubble(t, hint, func(t *testing.T) {
			early := make(chan int)
			close(early)
			late := make(chan int)
			out := Merge(early, late)
			synctest.Wait() // the early input is over, and its forwarder has finished
			go func() {
				defer close(late)
				late <- 1
				late <- 2
			}()
			var got []int
			for v := range out {
				got = append(got, v)
			}
			assert.Equal(t, []int{1, 2}, got, hint)
		})
	})
}

// parkedIn reports whether a goroutine is blocked on a channel (in a select or a receive) with fn on
// its stack. A goroutine that polls is running or runnable, or asleep, instead.
func parkedIn(fn string) bool {
	for _, g := range coursetest.Goroutines() {
		if (g.State == "select" || g.State == "chan receive") && strings.Contains(g.Stack, fn) {
			return true
		}
	}
	return false
}
