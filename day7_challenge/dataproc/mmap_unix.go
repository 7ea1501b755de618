//go:build unix

package dataproc

import (
	"io"
	"os"
	"syscall"
)

// MapFile maps the rest of a file into memory, read-only, to scan it without copying: if r is an
// *os.File it returns the file's bytes from off to its end, the function that unmaps them (call it
// once, when done with data, and never touch data after) and true. ok is false when it cannot: r is
// another io.ReaderAt, off is at or past the end of the file, mmap fails, or the system has no mmap
// (see mmap_other.go). Then read with ReadAt instead.
//
// The file must not shrink while it is mapped: reading a page past its new end kills the program
// (SIGBUS). Pages are read from the file when first touched, so mapping a large file is cheap.
func MapFile(r io.ReaderAt, off int64) (data []byte, unmap func() error, ok bool) {
	f, isFile := r.(*os.File)
	if !isFile {
		return nil, nil, false
	}
	fi, err := f.Stat()
	if err != nil || off >= fi.Size() || fi.Size()-off > int64(^uint(0)>>1) {
		return nil, nil, false
	}
	page := off &^ int64(os.Getpagesize()-1) // mmap starts at a page boundary
	m, err := syscall.Mmap(int(f.Fd()), page, int(fi.Size()-page), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, false
	}
	return m[off-page:], func() error { return syscall.Munmap(m) }, true
}
