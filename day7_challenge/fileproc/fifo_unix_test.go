//go:build unix

package fileproc

import (
	"syscall"
	"testing"
)

// makeFifo creates a named pipe at path: opening one for reading blocks until a writer comes, so a
// walker that opened everything would hang on it.
func makeFifo(t testing.TB, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}
