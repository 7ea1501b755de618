//go:build unix

// Package shm is Day 4's fourth exercise: memory shared between processes, Python's
// multiprocessing.Value and shared_memory. A file mapped into memory with MAP_SHARED is the same
// physical memory in every process that maps it: a write by one is seen by all the others at once,
// without a read or a write system call. Sharing memory means sharing the danger of lost updates too,
// now between processes, where the race detector cannot see them.
package shm

// CounterSize is how many bytes each counter takes in the file: an int64, little-endian.
const CounterSize = 8

// Counters is a fixed number of int64 counters kept in a file that every process using them maps
// into its memory. Add is atomic across goroutines and across processes. It is safe for concurrent
// use.
type Counters struct {
	// TODO: the open file, the mapping ([]byte from syscall.Mmap), and a sync.Mutex.
}

// Create creates (or truncates) the file at path to hold n counters, all zero, and maps it.
func Create(path string, n int) (*Counters, error) {
	// TODO: check n; os.OpenFile with O_RDWR|O_CREATE|O_TRUNC; f.Truncate to n*CounterSize bytes;
	// then map it as Open does.
	panic("TODO: implement Create (day4_processes/shm)")
}

// Open maps the counters of a file made by Create, in this process or another.
func Open(path string) (*Counters, error) {
	// TODO: open the file read-write, check that its size is a non-zero multiple of CounterSize, and
	// map all of it with syscall.Mmap(fd, 0, size, PROT_READ|PROT_WRITE, MAP_SHARED). MAP_PRIVATE
	// would give this process a private copy that nobody else sees.
	panic("TODO: implement Open (day4_processes/shm)")
}

// Len reports how many counters there are.
func (c *Counters) Len() int {
	panic("TODO: implement Counters.Len (day4_processes/shm)")
}

// Add adds delta to counter i and returns its new value, as one atomic step: no Add, in this
// process or another, can come between its read and its write.
func (c *Counters) Add(i int, delta int64) int64 {
	// TODO: read the 8 bytes with binary.LittleEndian.Uint64, add, write them back with PutUint64,
	// all while holding BOTH the mutex (this process's goroutines) and an exclusive file lock,
	// syscall.Flock(fd, LOCK_EX) ... LOCK_UN (every other process, every other mapping).
	// (sync/atomic would need a *int64 into the mapping, which only package unsafe can make, and
	// exercise code may not import unsafe: a lock makes the read-modify-write atomic instead, as
	// Python's multiprocessing.Value does with its lock.)
	panic("TODO: implement Counters.Add (day4_processes/shm)")
}

// Load returns counter i.
func (c *Counters) Load(i int) int64 {
	// TODO: read it under the same locks as Add.
	panic("TODO: implement Counters.Load (day4_processes/shm)")
}

// Close unmaps the counters and closes the file. The counters' values stay in the file.
func (c *Counters) Close() error {
	// TODO: syscall.Munmap, then close the file; a second Close does nothing.
	panic("TODO: implement Counters.Close (day4_processes/shm)")
}
