package scraper

// Tests of HostLimiter alone (limiter.go), under testing/synctest's fake clock.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocourse/week11/internal/coursetest"
)

// grant is one Acquire that returned.
type grant struct {
	release func()
	err     error
	at      time.Time
}

// acquireAsync calls Acquire on a new goroutine and delivers what it returned.
func acquireAsync(l *HostLimiter, ctx context.Context, host string) <-chan grant {
	ch := make(chan grant, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				reportPanic(r)
				ch <- grant{nil, fmt.Errorf("Acquire panicked: %v", r), time.Now()}
			}
		}()
		r, err := l.Acquire(ctx, host)
		ch <- grant{r, err, time.Now()}
	}()
	return ch
}

// granted collects the grants that have arrived on chs (call after synctest.Wait).
func granted(chs []<-chan grant) (got []grant, waiting []int) {
	for i, ch := range chs {
		select {
		case g := <-ch:
			got = append(got, g)
		default:
			waiting = append(waiting, i)
		}
	}
	return got, waiting
}

// TestLimiterWaitsWithoutHoldingItsLock runs in real time, outside a synctest bubble: a goroutine
// waiting to lock a sync.Mutex is not durably blocked, so a bubble could only time out on it. An
// Acquire waiting for a busy host's slot must not hold the limiter's lock while it waits, or every
// other host waits behind it.
func TestLimiterWaitsWithoutHoldingItsLock(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	l := NewHostLimiter(1, 0)
	release, err := l.Acquire(context.Background(), "a.example")
	require.NoError(t, err, "the first Acquire of a host must not fail")
	queued := acquireAsync(l, context.Background(), "a.example") // waits for a.example's only slot
	inAcquire := func(g coursetest.Goroutine) bool { return strings.Contains(g.Stack, "(*HostLimiter).Acquire") }
	coursetest.WaitUntil(t, func() bool { // one snapshot: the queued Acquire, parked
		inside := 0
		for _, g := range coursetest.Goroutines() {
			if inAcquire(g) {
				if g.State == "running" || g.State == "runnable" {
					return false
				}
				inside++
			}
		}
		return inside == 1
	}, "a second Acquire of a.example (perHost 1) never settled down to wait for the slot")

	other := acquireAsync(l, context.Background(), "b.example")
	timeout, stop := coursetest.Guard()
	defer stop()
	stuck := 0
	for tick := time.NewTicker(time.Millisecond); ; <-tick.C {
		select {
		case <-timeout:
			tick.Stop()
			go release() // let the stuck calls finish if they can
			t.Fatalf("Acquire(b.example) did not return while a.example's only slot was taken, although b.example " +
				"was idle: every host must have its own slots and its own clock (are the hosts sharing one entry?)")
		case g := <-other:
			tick.Stop()
			require.NoError(t, g.err, "Acquire of an idle host")
			coursetest.Within(t, func() { g.release(); release() }, "releasing a slot never returned while an Acquire "+
				"of a.example waited for that host's slot: the waiting Acquire holds a lock that release needs. Take "+
				"locks only to look at and change the host's state, and wait for the slot after Unlock")
			coursetest.Within(t, func() { g := <-queued; require.NoError(t, g.err); g.release() },
				"the Acquire waiting for a.example's slot did not get it when the slot was released")
			return
		default:
		}
		if _, waiting := coursetest.LockWaiters(inAcquire); waiting > 0 {
			stuck++
		} else {
			stuck = 0
		}
		if stuck == 200 {
			tick.Stop()
			go release() // let the stuck calls finish if they can
			t.Fatalf("Acquire(b.example) waited 200 ms to lock the limiter's mutex while an Acquire of a.example " +
				"waited for a.example's slot: that Acquire holds the lock while it waits. Take the lock only to " +
				"look at and change the host's state; wait for the slot (and for the start time) after Unlock")
		}
	}
}

func TestLimiterHoldsAndReachesPerHostLimit(t *testing.T) {
	bubble(t, "HostLimiter.Acquire calls were left blocked for good: does release give the slot back?", func(t *testing.T) {
		l := NewHostLimiter(3, 0)
		var chs []<-chan grant
		for range 7 {
			chs = append(chs, acquireAsync(l, context.Background(), "a.example"))
		}
		synctest.Wait()
		got, waiting := granted(chs)
		for _, g := range got {
			require.NoError(t, g.err)
		}
		require.Len(t, got, 3, "7 callers asked for a host with a limit of 3: exactly 3 must get in at once (more breaks the limit, fewer wastes it)")
		for _, g := range got {
			require.NoError(t, g.err)
		}
		got[0].release()
		synctest.Wait()
		waitingChs := chsAt(chs, waiting)
		more, waiting2 := granted(waitingChs)
		require.Len(t, more, 1, "one release must let exactly one waiting caller in")
		for _, g := range append(got[1:], more...) {
			g.release()
		}
		synctest.Wait()
		rest, still := granted(chsAt(waitingChs, waiting2))
		assert.Len(t, rest, 3, "after the releases, the other waiting callers must get in")
		assert.Empty(t, still)
		for _, g := range rest {
			g.release()
		}
	})
}

func chsAt(chs []<-chan grant, idx []int) []<-chan grant {
	var out []<-chan grant
	for _, i := range idx {
		out = append(out, chs[i])
	}
	return out
}

func TestLimiterHostsAreIndependent(t *testing.T) {
	bubble(t, "an Acquire for one host stayed blocked behind another host", func(t *testing.T) {
		l := NewHostLimiter(1, time.Hour)
		start := time.Now()
		a, err := l.Acquire(context.Background(), "a.example")
		require.NoError(t, err)
		b := acquireAsync(l, context.Background(), "b.example")
		c := acquireAsync(l, context.Background(), "c.example:8080")
		synctest.Wait()
		got, waiting := granted([]<-chan grant{b, c})
		require.Empty(t, waiting, "a.example is busy and may not start another request for an hour, but b.example and "+
			"c.example:8080 must not wait for it: keep one slot set and one clock per host")
		for _, g := range got {
			assert.Equal(t, start, g.at, "another host's first request must not wait for a.example's delay")
			g.release()
		}
		a()
	})
}

func TestLimiterDelaysStartsPerHost(t *testing.T) {
	bubble(t, "HostLimiter.Acquire calls stayed blocked although their start time had come", func(t *testing.T) {
		const delay = 100 * time.Millisecond
		l := NewHostLimiter(10, delay)
		start := time.Now()
		var chs []<-chan grant
		for range 4 {
			chs = append(chs, acquireAsync(l, context.Background(), "a.example"))
		}
		var ats []time.Duration
		for _, ch := range chs {
			g := <-ch
			require.NoError(t, g.err)
			ats = append(ats, g.at.Sub(start))
			g.release()
		}
		// The goroutines may be granted in any order; the times are what counts.
		slicesSort(ats)
		assert.Equal(t, []time.Duration{0, delay, 2 * delay, 3 * delay}, ats,
			"4 callers at once, limit 10, delay %v: the first starts at once and each later one %v after the one before "+
				"(not sooner, and not later either: the delay is between starts, and no caller should wait twice)", delay, delay)

		// A request long after the last start does not wait, and the one after it waits the delay again.
		time.Sleep(time.Second)
		t0 := time.Now()
		r1, err := l.Acquire(context.Background(), "a.example")
		require.NoError(t, err)
		assert.Equal(t, t0, time.Now(), "after a quiet second, a request may start at once")
		r1()
		r2, err := l.Acquire(context.Background(), "a.example")
		require.NoError(t, err)
		assert.Equal(t, delay, time.Since(t0), "the next start waits for the delay after the previous start")
		r2()
	})
}

func TestLimiterAcquireHonoursCancel(t *testing.T) {
	bubble(t, "an Acquire whose context was cancelled stayed blocked: select on ctx.Done() while you wait for a slot and for the start time", func(t *testing.T) {
		l := NewHostLimiter(1, time.Hour)
		hold, err := l.Acquire(context.Background(), "a.example")
		require.NoError(t, err)

		// Waiting for a slot.
		ctx, cancel := context.WithCancel(context.Background())
		ch := acquireAsync(l, ctx, "a.example")
		synctest.Wait()
		cancel()
		synctest.Wait()
		g, waiting := granted([]<-chan grant{ch})
		require.Empty(t, waiting, "Acquire must return once its context is cancelled")
		require.ErrorIs(t, g[0].err, context.Canceled)
		hold()

		// Waiting for the start time: it holds a slot, and must give it back.
		ctx2, cancel2 := context.WithCancel(context.Background())
		ch2 := acquireAsync(l, ctx2, "a.example")
		synctest.Wait()
		cancel2()
		synctest.Wait()
		g2, waiting := granted([]<-chan grant{ch2})
		require.Empty(t, waiting, "an Acquire waiting for the host's delay must return once its context is cancelled")
		require.ErrorIs(t, g2[0].err, context.Canceled)

		// A cancelled Acquire holds nothing: the one slot is free again.
		within, cancelWithin := context.WithTimeout(context.Background(), 3*time.Hour)
		defer cancelWithin()
		r, err := l.Acquire(within, "a.example")
		require.NoError(t, err, "after two cancelled Acquires, the host's one slot must be free (a cancelled Acquire gives its slot back)")
		r()

		// Already cancelled on entry: no slot is taken, even when one is free.
		dead, cancel3 := context.WithCancel(context.Background())
		cancel3()
		_, err = l.Acquire(dead, "b.example")
		require.ErrorIs(t, err, context.Canceled, "Acquire with a context already done must return its error")
		r2, err := l.Acquire(context.Background(), "b.example")
		require.NoError(t, err)
		r2()
	})
}

func TestLimiterDelayCountsFromStarts(t *testing.T) {
	bubble(t, "HostLimiter.Acquire calls stayed blocked although a slot was free and the delay had passed", func(t *testing.T) {
		const delay, busy = 100 * time.Millisecond, time.Second
		l := NewHostLimiter(2, delay)
		start := time.Now()
		var chs []<-chan grant
		for range 4 {
			chs = append(chs, acquireAsync(l, context.Background(), "a.example"))
		}
		// Each request keeps its slot for a second of fake time.
		var mu sync.Mutex
		var ats []time.Duration
		var wg sync.WaitGroup
		for _, ch := range chs {
			wg.Go(func() {
				g := <-ch
				if g.err != nil {
					t.Errorf("Acquire: %v", g.err)
					return
				}
				mu.Lock()
				ats = append(ats, g.at.Sub(start))
				mu.Unlock()
				time.Sleep(busy)
				g.release()
			})
		}
		wg.Wait()
		slices.Sort(ats)
		assert.Equal(t, []time.Duration{0, delay, busy, busy + delay}, ats,
			"limit 2, delay %v, each request busy for %v: starts at 0 and %v, then each later one as soon as a slot is "+
				"free and %v has passed since the previous start (the delay runs from starts, not from releases)", delay, busy, delay, delay)
	})
}
