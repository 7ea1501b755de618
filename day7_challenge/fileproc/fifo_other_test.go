//go:build !unix

package fileproc

import "testing"

// makeFifo does nothing where there are no named pipes.
func makeFifo(testing.TB, string) {}
