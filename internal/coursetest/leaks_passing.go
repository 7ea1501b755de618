package coursetest

import (
	"testing"

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
