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

// WithinFor is Within with an explicit patience, for operations that are slow by nature even when
// correct, such as starting and stopping processes on a loaded machine: it does not shorten to
// Hurried. Use it sparingly; a wrong solution waits the whole patience.
func WithinFor(t testing.TB, patience time.Duration, fn func(), format string, args ...any) bool {
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
		t.Fatalf("%s\n(still blocked after %v)", fmt.Sprintf(format, args...), patience)
		return false
	}
}
