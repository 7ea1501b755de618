// Package coursetest holds the helpers that the course's tests share: guards that turn a hang into a
// failure with a sentence a student understands, a synctest wrapper that does the same for fake-time
// tests, a high-water mark for proving how many things ran at once, a per-test goroutine leak check,
// and a snapshot of every goroutine's state for tests that must see goroutines parked on a mutex.
//
// Only tests import this package. Student code never does.
package coursetest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// Patience is how long the first guard of a test binary waits in real time before it declares a
// hang. It is generous on purpose: it only ever elapses on the failure path, so a correct solution
// never waits for it.
const Patience = 5 * time.Second

// Hurried is how long every later guard of the same test binary waits once one guard has fired:
// code that hung once is likely to hang again, and a student should not wait Patience for each test.
const Hurried = time.Second

// fired records that a guard of this test binary has declared a hang.
var fired atomic.Bool

// CurrentPatience is how long a guard started now waits: Patience, or Hurried once a guard fired.
func CurrentPatience() time.Duration {
	if fired.Load() {
		return Hurried
	}
	return Patience
}

// After is time.After(CurrentPatience()) for guards written by hand: it returns a channel that
// receives once the guard's patience has run out, and records that a guard fired, so that later
// guards wait only Hurried. Use it in a select beside the event the test waits for.
func After() <-chan time.Time {
	ch := make(chan time.Time, 1)
	time.AfterFunc(CurrentPatience(), func() {
		fired.Store(true)
		ch <- time.Now()
	})
	return ch
}

// Within runs fn on a new goroutine and waits for it to return. If it has not returned after
// CurrentPatience, Within fails the test with the message built from format and args, followed by the
// likely cause, and returns false; the stuck goroutine is abandoned (goleak will report it too).
// Call it from the test goroutine.
func Within(t testing.TB, fn func(), format string, args ...any) bool {
	t.Helper()
	wait := CurrentPatience()
	done := make(chan struct{})
	panicked := make(chan any, 1)
	timeout, stop := Guard()
	defer stop()
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
	case <-timeout:
		t.Fatalf("%s\n(still blocked after %v: this usually means a deadlock, a lost wake-up, or a channel nobody closes)",
			fmt.Sprintf(format, args...), wait)
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
	wait := CurrentPatience()
	watchdog := time.AfterFunc(wait, func() {
		fired.Store(true)
		fmt.Fprintf(os.Stderr, "\n%s: %s\n(the test's goroutines were still busy after %v of real time: "+
			"likely stuck on a sync.Mutex or in a busy loop)\n", name, hint, wait)
		panic(fmt.Sprintf("%s: hung: %s", name, hint))
	})
	defer watchdog.Stop()
	// Fail from Bubble's own frame, not from a deferred recover inside synctest's panicking stack:
	// Bubble is a helper, so the failure is then reported at the test's line.
	if r := runBubble(t, f); r != nil {
		t.Fatalf("%s\n(synctest reported: %v)", hint, r)
	}
}

// runBubble runs f in a synctest bubble and returns the value of a panic that ended it, or nil.
func runBubble(t *testing.T, f func(t *testing.T)) (panicked any) {
	defer func() { panicked = recover() }()
	synctest.Test(t, f)
	return nil
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

// CheckLeaks registers a cleanup that fails t if goroutines started during t are still running when
// t ends. Goroutines that were already running when CheckLeaks was called are ignored, so a goroutine
// leaked by an earlier, failed test is not blamed on this one.
//
// Call CheckLeaks first in a test, before it starts any goroutine: cleanups run last-in first-out, so
// the check then runs after the test's other cleanups have stopped what they own. Do not use it in a
// test that calls t.Parallel, whose goroutines would be blamed on one another, or inside a synctest
// bubble; call it on the test that calls Bubble, so the check runs after the bubble has ended.
func CheckLeaks(t testing.TB) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// Eventually calls cond until it reports true, at once and then every millisecond. If cond still
// reports false after CurrentPatience, Eventually fails the test with the message built from format and
// args. Call it from the test goroutine.
//
// Polling is a last resort. Use Eventually only for states that no channel can signal, such as
// goroutines parked on a sync.Mutex, which testing/synctest cannot see (see Goroutines). Whenever
// the code under test can say that something happened, wait for that instead.
func Eventually(t testing.TB, cond func() bool, format string, args ...any) {
	t.Helper()
	if cond() {
		return
	}
	wait := CurrentPatience()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline, stop := Guard()
	defer stop()
	for {
		select {
		case <-tick.C:
			if cond() {
				return
			}
		case <-deadline:
			t.Fatalf("%s\n(still not the case after %v)", fmt.Sprintf(format, args...), wait)
			return
		}
	}
}

// Goroutine is one goroutine in a snapshot taken by Goroutines.
type Goroutine struct {
	// State is the goroutine's state as the runtime prints it in a stack dump, without the
	// annotations that follow a comma (such as "2 minutes" or "locked to thread"): "running",
	// "runnable", "chan receive", "select", "sync.Mutex.Lock", "sync.Cond.Wait", and so on. Inside a
	// synctest bubble the runtime marks durably blocked goroutines, as in "chan receive (durable)".
	State string
	// Stack is the goroutine's stack trace, innermost call first, as runtime.Stack formats it.
	Stack string
}

// Goroutines returns a snapshot of every goroutine in the program, the calling one included.
// runtime.Stack stops the world while it takes the snapshot, so the goroutines' states are
// consistent with one another: no goroutine moves between two of them.
//
// A test can use it, with Eventually, to wait until goroutines are parked inside the code under test
// (for example on a sync.Mutex) when no channel can tell it so.
func Goroutines() []Goroutine {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return parseGoroutines(string(buf[:n]))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// parseGoroutines splits a stack dump written by runtime.Stack into goroutines. Each goroutine's
// block starts with a header such as "goroutine 8 [chan receive, 2 minutes]:" and blocks are
// separated by a blank line.
func parseGoroutines(dump string) []Goroutine {
	var gs []Goroutine
	for block := range strings.SplitSeq(strings.TrimSpace(dump), "\n\n") {
		if block == "" {
			continue
		}
		header, stack, _ := strings.Cut(block, "\n")
		_, state, _ := strings.Cut(header, "[")
		state, _, _ = strings.Cut(state, "]")
		state, _, _ = strings.Cut(state, ",")
		gs = append(gs, Goroutine{State: state, Stack: stack})
	}
	return gs
}
