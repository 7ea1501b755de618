package coursetest

import (
	"runtime"
	"testing"
)

// Procs sets GOMAXPROCS to n for the rest of the test and restores the old value when the test ends,
// so that a test whose property needs goroutines running in parallel (two calls racing for the last
// item) sees them in parallel on any machine, whatever -cpu says. Do not use it in a test that calls
// t.Parallel: GOMAXPROCS is process-wide.
func Procs(t testing.TB, n int) {
	t.Helper()
	old := runtime.GOMAXPROCS(n)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
}
