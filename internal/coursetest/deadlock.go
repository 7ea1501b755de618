package coursetest

import (
	"fmt"
	"testing"
	"time"
)

// WithinUnlessDeadlocked is Within for code guarded by a sync.Mutex or sync.RWMutex, which
// testing/synctest cannot see. It runs fn on a new goroutine and waits for it to return, and fails the
// test at once, with a sentence that says "deadlock", when every goroutine that mine selects (those
// inside the code under test, say) waits to lock a mutex in three snapshots in a row: whoever holds
// those mutexes is then waiting too, so none will ever be released. Otherwise it fails after
// CurrentPatience, as Within does. It returns whether fn returned. Call it from the test goroutine,
// and not while the test itself holds a lock that the selected goroutines wait for.
func WithinUnlessDeadlocked(t testing.TB, mine func(Goroutine) bool, fn func(), format string, args ...any) bool {
	t.Helper()
	wait := CurrentPatience()
	done := make(chan struct{})
	panicked := make(chan any, 1)
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				panicked <- r
			}
		}()
		fn()
	}()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := guard(wait)
	defer deadline.Stop()
	stuck := 0
	for {
		select {
		case <-done:
			select {
			case r := <-panicked:
				panic(r) // re-raise on the test goroutine so the report names the test
			default:
			}
			return true
		case <-deadline.C:
			fired.Store(true)
			t.Fatalf("%s\n(still blocked after %v: this usually means a deadlock, a lost wake-up, or a channel nobody closes)",
				fmt.Sprintf(format, args...), wait)
			return false
		case <-tick.C:
		}
		if inside, waiting := LockWaiters(mine); inside > 0 && waiting == inside {
			stuck++
		} else {
			stuck = 0
		}
		if stuck == 3 {
			fired.Store(true)
			t.Fatalf("deadlock: %s\n(every goroutine inside the code under test waits to lock a mutex that another one "+
				"holds, or that it holds itself: Go's locks are not reentrant)", fmt.Sprintf(format, args...))
			return false
		}
	}
}

// LockWaiters counts, in one snapshot of every goroutine, those that mine selects and how many of
// them are parked waiting to lock a sync.Mutex or sync.RWMutex (Lock or RLock).
func LockWaiters(mine func(Goroutine) bool) (inside, waiting int) {
	for _, g := range Goroutines() {
		if !mine(g) {
			continue
		}
		inside++
		switch g.State {
		case "sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock":
			waiting++
		}
	}
	return inside, waiting
}

// guard returns a timer for a guard that waits d. Unlike After's, it can be stopped, and only a
// guard that really fires (the caller stores fired) hurries the later guards of the test binary: a
// guard that was not needed must not count as one that fired.
func guard(d time.Duration) *time.Timer { return time.NewTimer(d) }

// WaitUntil is Eventually with a guard that is stopped as soon as cond holds. Eventually's guard
// (After) keeps running after cond held and, when it runs out, counts as fired: in a long test binary
// (-count=100) every later guard is then hurried, and a correct solution's slow test under load can
// fail. WaitUntil counts only a guard that ran out while cond was still false.
func WaitUntil(t testing.TB, cond func() bool, format string, args ...any) {
	t.Helper()
	if cond() {
		return
	}
	wait := CurrentPatience()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := guard(wait)
	defer deadline.Stop()
	for {
		select {
		case <-tick.C:
			if cond() {
				return
			}
		case <-deadline.C:
			fired.Store(true)
			t.Fatalf("%s\n(still not the case after %v)", fmt.Sprintf(format, args...), wait)
			return
		}
	}
}
