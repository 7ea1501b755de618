// Package coursetest holds the helpers that the course's tests share: guards that turn a hang into a
// failure with a sentence a student understands, a synctest wrapper that does the same for fake-time
// tests, and a high-water mark for proving how many things ran at once.
//
// Only tests import this package. Student code never does.
package coursetest

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Patience is how long a guard waits in real time before it declares a hang. It is generous on
// purpose: it only ever elapses on the failure path, so a correct solution never waits for it.
const Patience = 10 * time.Second

// Within runs fn on a new goroutine and waits for it to return. If it has not returned after
// Patience, Within fails the test with the message built from format and args, followed by the
// likely cause, and returns false; the stuck goroutine is abandoned (goleak will report it too).
// Call it from the test goroutine.
func Within(t testing.TB, fn func(), format string, args ...any) bool {
	t.Helper()
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
	select {
	case <-done:
		select {
		case r := <-panicked:
			panic(r) // re-raise on the test goroutine so the report names the test
		default:
		}
		return true
	case <-time.After(Patience):
		t.Fatalf("%s\n(still blocked after %v: this usually means a deadlock, a lost wake-up, or a channel nobody closes)",
			fmt.Sprintf(format, args...), Patience)
		return false
	}
}

// Bubble runs f inside testing/synctest's bubble, with its fake clock, and turns synctest's deadlock
// panics into a test failure that starts with hint. Use it for anything involving time: timeouts,
// tickers, retries and rate limits.
//
// A goroutine blocked on a sync.Mutex is not "durably blocked" for synctest, so a bubble stuck on a
// mutex would hang; a real-time watchdog catches that case and ends the test binary with hint and an
// explanation, so the run never hangs.
func Bubble(t *testing.T, hint string, f func(t *testing.T)) {
	t.Helper()
	name := t.Name()
	watchdog := time.AfterFunc(Patience, func() {
		fmt.Fprintf(os.Stderr, "\n%s: %s\n(the test's goroutines were still busy after %v of real time: "+
			"likely stuck on a sync.Mutex or in a busy loop)\n", name, hint, Patience)
		panic(fmt.Sprintf("%s: hung: %s", name, hint))
	})
	defer watchdog.Stop()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s\n(synctest reported: %v)", hint, r)
		}
	}()
	synctest.Test(t, f)
}

// HighWater counts how many callers are between Enter and Exit, and remembers the largest count seen.
// It is safe for concurrent use.
type HighWater struct {
	cur, max atomic.Int64
}

// Enter records one more concurrent caller.
func (h *HighWater) Enter() {
	n := h.cur.Add(1)
	for {
		m := h.max.Load()
		if n <= m || h.max.CompareAndSwap(m, n) {
			return
		}
	}
}

// Exit records that a caller left.
func (h *HighWater) Exit() { h.cur.Add(-1) }

// Max reports the largest number of callers that were ever inside at once.
func (h *HighWater) Max() int64 { return h.max.Load() }

// Current reports how many callers are inside now.
func (h *HighWater) Current() int64 { return h.cur.Load() }
