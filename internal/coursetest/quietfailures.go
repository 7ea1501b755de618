package coursetest

import (
	"fmt"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// InBubble is Bubble with shorter failures: when the bubble deadlocks, the failure is reported at
// the line of the test that called InBubble (not inside this package), with hint first. Use it, like
// Bubble, for anything involving time or blocking.
func InBubble(t *testing.T, hint string, f func(t *testing.T)) {
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
	if r := runBubble(t, f); r != nil {
		t.Fatalf("%s\n(synctest reported: %v)", hint, r)
	}
}

// runBubble runs f in a synctest bubble and returns what synctest panicked with, or nil.
func runBubble(t *testing.T, f func(t *testing.T)) (r any) {
	defer func() { r = recover() }()
	synctest.Test(t, f)
	return nil
}

// CheckLeaksOnPass is CheckLeaks for tests whose failures already explain what got stuck: it checks
// for leaked goroutines only if t has not failed, so that a deadlock reported by InBubble or Within is
// not followed by a dump of the goroutines it left blocked. Call it first in a test, like CheckLeaks.
func CheckLeaksOnPass(t testing.TB) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if !t.Failed() {
			goleak.VerifyNone(t, ignore)
		}
	})
}
