package coursetest

import (
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// leakLines is how much of goleak's report CheckLeaksHint shows: enough for the first goroutine's
// state and where it was started.
const leakLines = 8

// CheckLeaksHint is CheckLeaks with a sentence for the student: when goroutines started during t are
// still running when it ends, the failure starts with hint and shows only the start of goleak's
// report (the first goroutine's state, its top frame, where it was created) and how many there were.
func CheckLeaksHint(t testing.TB, hint string) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		err := goleak.Find(ignore)
		if err == nil {
			return
		}
		report := err.Error()
		n := strings.Count(report, "Goroutine ")
		lines := strings.Split(report, "\n")
		if len(lines) > leakLines {
			lines = append(lines[:leakLines], fmt.Sprintf("... (%d more lines)", len(lines)-leakLines))
		}
		t.Errorf("%s\n(%d goroutine(s) still running after the test; the first:)\n%s", hint, n, strings.Join(lines, "\n"))
	})
}
