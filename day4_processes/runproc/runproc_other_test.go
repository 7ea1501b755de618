//go:build !unix

package runproc

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNeedsUnix(t *testing.T) {
	t.Skip("this exercise uses Unix process groups and signals (Setpgid, kill(-pgid)), which Windows " +
		"does not have: work on Linux or macOS, or on Windows inside WSL (Windows Subsystem for Linux)")
}
