//go:build !unix

package shm

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNeedsUnix(t *testing.T) {
	t.Skip("this exercise maps a file into memory with mmap and locks it with flock, which Windows " +
		"does not have: work on Linux or macOS, or on Windows inside WSL (Windows Subsystem for Linux)")
}
