// Mutant: New(0) does not panic, and the buffer it returns can never hold an item.
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
	if capacity < 0 {
		panic("boundedbuf: capacity must be at least 1")
	}
	b := &Buffer[T]{capacity: capacity}
	b.notEmpty = sync.NewCond(&b.mu)
	b.notFull = sync.NewCond(&b.mu)
	return b
}

// Put adds v at the end of the buffer, waiting while the buffer is full. It returns ErrClosed, and
// does not add v, if the buffer is closed, including when Close is called while Put waits.
func (b *Buffer[T]) Put(v T) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.items) == b.capacity && !b.closed { // for, not if: re-check after every wake-up
		b.notFull.Wait()
	}
	if b.closed {
		return ErrClosed
	}
	b.items = append(b.items, v)
	b.notEmpty.Signal() // one new item: one Get can proceed
	return nil
}

// Get removes and returns the oldest item, waiting while the buffer is empty. Once the buffer is
// closed, Get still returns the items left in it, then returns ErrClosed (and the zero T).
func (b *Buffer[T]) Get() (T, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.items) == 0 && !b.closed {
		b.notEmpty.Wait()
	}
	if len(b.items) == 0 {
		var zero T
		return zero, ErrClosed
	}
	v := b.items[0]
	var zero T
	b.items[0] = zero // don't keep a reference to what the caller now owns
	b.items = b.items[1:]
	b.notFull.Signal() // one free slot: one Put can proceed
	return v, nil
}

// Close closes the buffer: Put fails from now on, and Get fails once the buffer is empty. Every
// waiting Put and Get wakes up. Closing a closed buffer does nothing.
func (b *Buffer[T]) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.notEmpty.Broadcast() // every waiter's condition changed, not just one's
	b.notFull.Broadcast()
}

// Len returns the number of items in the buffer.
func (b *Buffer[T]) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.items)
}
