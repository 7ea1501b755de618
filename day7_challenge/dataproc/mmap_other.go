//go:build !unix

package dataproc

import "io"

// MapFile maps the rest of a file into memory where the system has mmap (see mmap_unix.go); here it
// cannot, and always returns ok == false: read with ReadAt instead.
func MapFile(r io.ReaderAt, off int64) (data []byte, unmap func() error, ok bool) {
	return nil, nil, false
}
