// Package boundedbuf is Day 2's fifth exercise: a bounded buffer built on sync.Cond, Go's version of
// Python's threading.Condition. A condition variable lets a goroutine sleep until some state guarded
// by a mutex changes ("not full", "not empty"), and lets the goroutine that changed it wake one
// sleeper (Signal, Python's notify) or all of them (Broadcast, Python's notify_all).
package boundedbuf

import (
	"errors"
	"sync"
)

// ErrClosed is returned by Put on a closed buffer, and by Get on a closed buffer that is empty.
var ErrClosed = errors.New("boundedbuf: buffer closed")

// Buffer is a FIFO queue that holds at most a fixed number of items. Its methods may be called from
// many goroutines at once. Use New to make one.
type Buffer[T any] struct {
	mu       sync.Mutex
	notEmpty *sync.Cond // waited on by Get; uses mu
	notFull  *sync.Cond // waited on by Put; uses mu
	items    []T        // oldest first; len(items) <= capacity
	capacity int
	closed   bool
}

// New returns an empty buffer that holds at most capacity items. It panics if capacity < 1.
func New[T any](capacity int) *Buffer[T] {
	// TODO: check capacity, then build the Buffer; both conditions use b.mu (sync.NewCond(&b.mu)).
	panic("TODO: implement New (day2_sync/boundedbuf)")
}

// Put adds v at the end of the buffer, waiting while the buffer is full. It returns ErrClosed, and
// does not add v, if the buffer is closed, including when Close is called while Put waits.
func (b *Buffer[T]) Put(v T) error {
	// TODO: under b.mu, wait on notFull while the buffer is full and not closed. Use a for loop, not
	// an if: by the time a woken goroutine has the lock again, another may have taken the free slot.
	// Then fail if closed, or append v and Signal notEmpty.
	panic("TODO: implement Buffer.Put (day2_sync/boundedbuf)")
}

// Get removes and returns the oldest item, waiting while the buffer is empty. Once the buffer is
// closed, Get still returns the items left in it, then returns ErrClosed (and the zero T).
func (b *Buffer[T]) Get() (T, error) {
	// TODO: the mirror image of Put: wait on notEmpty in a for loop while empty and not closed; an
	// empty buffer now means closed; otherwise take the first item and Signal notFull.
	panic("TODO: implement Buffer.Get (day2_sync/boundedbuf)")
}

// Close closes the buffer: Put fails from now on, and Get fails once the buffer is empty. Every
// waiting Put and Get wakes up. Closing a closed buffer does nothing.
func (b *Buffer[T]) Close() {
	// TODO: set closed and wake every waiter on both conditions. Signal wakes only one: the others
	// would sleep forever (a lost wake-up).
	panic("TODO: implement Buffer.Close (day2_sync/boundedbuf)")
}

// Len returns the number of items in the buffer.
func (b *Buffer[T]) Len() int {
	// TODO: read len(b.items) under b.mu.
	panic("TODO: implement Buffer.Len (day2_sync/boundedbuf)")
}
