// Mutant: Create keeps an existing file's contents, so the counters do not start at zero.
//go:build unix

// Package shm is Day 4's fourth exercise: memory shared between processes, Python's
// multiprocessing.Value and shared_memory. A file mapped into memory with MAP_SHARED is the same
// physical memory in every process that maps it: a write by one is seen by all the others at once,
// without a read or a write system call. Sharing memory means sharing the danger of lost updates too,
// now between processes, where the race detector cannot see them.
package shm

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// CounterSize is how many bytes each counter takes in the file: an int64, little-endian.
const CounterSize = 8

// Counters is a fixed number of int64 counters kept in a file that every process using them maps
// into its memory. Add is atomic across goroutines and across processes. It is safe for concurrent
// use.
type Counters struct {
	f   *os.File
	mu  sync.Mutex // goroutines of this process, one at a time; the file lock excludes other processes
	mem []byte     // the mapping; nil once closed
}

// Create creates (or truncates) the file at path to hold n counters, all zero, and maps it.
func Create(path string, n int) (*Counters, error) {
	if n < 1 {
		return nil, fmt.Errorf("shm: Create needs at least one counter, got %d", n)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(int64(n * CounterSize)); err != nil {
		f.Close()
		return nil, err
	}
	return mapFile(f)
}

// Open maps the counters of a file made by Create, in this process or another.
func Open(path string) (*Counters, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return mapFile(f)
}

func mapFile(f *os.File) (*Counters, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size() == 0 || st.Size()%CounterSize != 0 {
		f.Close()
		return nil, fmt.Errorf("shm: %s holds %d bytes, not a whole number of counters", f.Name(), st.Size())
	}
	// MAP_SHARED: writes go to the file's pages, which every process mapping the file shares.
	mem, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("shm: mmap %s: %w", f.Name(), err)
	}
	return &Counters{f: f, mem: mem}, nil
}

// Len reports how many counters there are.
func (c *Counters) Len() int { return len(c.mem) / CounterSize }

// Add adds delta to counter i and returns its new value, as one atomic step: no Add, in this
// process or another, can come between its read and its write.
func (c *Counters) Add(i int, delta int64) int64 {
	unlock := c.lock()
	defer unlock()
	b := c.mem[i*CounterSize : (i+1)*CounterSize]
	v := int64(binary.LittleEndian.Uint64(b)) + delta
	binary.LittleEndian.PutUint64(b, uint64(v))
	return v
}

// Load returns counter i.
func (c *Counters) Load(i int) int64 {
	unlock := c.lock()
	defer unlock()
	return int64(binary.LittleEndian.Uint64(c.mem[i*CounterSize:]))
}

// lock excludes every other goroutine of this process (the mutex) and every other process (an
// exclusive flock on this Counters' own open file) until the returned func is called.
//
// sync/atomic would need a *int64 pointing into the mapping, which only package unsafe can make;
// a lock makes the read-modify-write atomic without it, as multiprocessing.Value's lock does.
func (c *Counters) lock() (unlock func()) {
	c.mu.Lock()
	fd := int(c.f.Fd())
	for syscall.Flock(fd, syscall.LOCK_EX) == syscall.EINTR {
	}
	return func() {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		c.mu.Unlock()
	}
}

// Close unmaps the counters and closes the file. The counters' values stay in the file.
func (c *Counters) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mem == nil {
		return nil
	}
	err := syscall.Munmap(c.mem)
	c.mem = nil
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	return err
}
