//go:build !unix

package procpool

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNeedsUnix(t *testing.T) {
	t.Skip("these tests check that no worker process is left running with Unix signals (kill(pid, 0)) " +
		"and talk to the workers over Unix sockets, which Windows lacks: work on Linux or macOS, or on " +
		"Windows inside WSL (Windows Subsystem for Linux)")
}
