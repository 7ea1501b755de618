package coursetest

import (
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// CheckLeaksIfPassing is CheckLeaks for tests whose failures usually strand goroutines (a stuck
// worker, a deadlocked bubble): it checks for leaked goroutines only if t has not failed otherwise.
// A test that already failed needs no second report, and skipping the check spares the ~0.5 s of
// retries goleak spends on every stranded goroutine, so a wrong solution is rejected fast. The
// stranded goroutines are still reported once, by goleak.VerifyTestMain at the end of the package.
//
// Call it first in a test, like CheckLeaks.
func CheckLeaksIfPassing(t testing.TB) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if !t.Failed() {
			goleak.VerifyNone(t, ignore)
		}
	})
}

// HurriedFor is how long WithinFor waits once a guard of the test binary has fired (or WithinFor
// ran out of patience): longer than Hurried, since starting a -race process can take that long, but
// not a whole patience again for each test after a hang.
const HurriedFor = 2 * time.Second

// PatienceFor is patience, or at most HurriedFor once a guard of the test binary has fired: for a
// wait of a test's own on something slow by nature (a context's timeout around a process's reply).
func PatienceFor(patience time.Duration) time.Duration {
	if fired.Load() {
		return min(patience, HurriedFor)
	}
	return patience
}

// WithinFor is Within with an explicit patience, for operations that are slow by nature even when
// correct, such as starting and stopping processes on a loaded machine: it shortens only to
// HurriedFor, not to Hurried, once something has hung. Use it sparingly; a wrong solution waits the
// whole patience once. When patience runs out, the binary counts as hung (MarkHung).
func WithinFor(t testing.TB, patience time.Duration, fn func(), format string, args ...any) bool {
	t.Helper()
	patience = PatienceFor(patience)
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
	timer := time.NewTimer(patience)
	defer timer.Stop()
	select {
	case <-done:
		select {
		case r := <-panicked:
			panic(r)
		default:
		}
		return true
	case <-timer.C:
		MarkHung()
		t.Fatalf("%s\n(still blocked after %v)", fmt.Sprintf(format, args...), patience)
		return false
	}
}
