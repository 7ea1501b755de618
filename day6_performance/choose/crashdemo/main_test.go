package main

import (
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary play the demo: with CRASHDEMO=1 in its environment it runs main instead of the
// tests, so the test can start it as a child process, and the children it starts in turn.
func TestMain(m *testing.M) {
	if os.Getenv("CRASHDEMO") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func demo(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CRASHDEMO=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	require.NoError(t, err)
	return string(out), 0
}

func TestGoroutineCrashTakesTheProgramDown(t *testing.T) {
	out, code := demo(t, "-mode=goroutines")
	assert.Equal(t, 2, code, "a panic in any goroutine ends the program with status 2")
	assert.Contains(t, out, "assignment to entry in nil map")
	assert.NotContains(t, out, "summary", "the program died before its summary")
}

func TestProcessCrashIsIsolated(t *testing.T) {
	out, code := demo(t, "-mode=processes")
	assert.Equal(t, 1, code, "one task failed, so the demo exits 1")
	assert.Contains(t, out, "task 3 crashed")
	for _, n := range []string{"1", "2", "4", "5"} {
		assert.Contains(t, out, "task "+n+" done", "the crash of task 3 must not stop task %s", n)
	}
	assert.Contains(t, out, "summary: 4 of 5 tasks done, 1 failed")
}
