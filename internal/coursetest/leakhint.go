package coursetest

import (
	"testing"

	"go.uber.org/goleak"
)

// CheckLeaksHint is CheckLeaksBriefly with a sentence for the student: when goroutines started
// during t are still running when it ends, the failure starts with hint (what the leak means for
// this exercise, and the likely fix), followed by the brief summary of where they are stuck.
func CheckLeaksHint(t testing.TB, hint string) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if err := goleak.Find(ignore); err != nil {
			t.Errorf("%s\n(goroutines still running after the test:)\n%s", hint, summariseLeaks(goleakBlocks(err.Error())))
		}
	})
}
