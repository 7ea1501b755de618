//go:build !unix

package manager

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNeedsUnix(t *testing.T) {
	t.Skip("these tests serve the state over a Unix socket to child processes, which needs a Unix " +
		"system: work on Linux or macOS, or on Windows inside WSL (Windows Subsystem for Linux)")
}
