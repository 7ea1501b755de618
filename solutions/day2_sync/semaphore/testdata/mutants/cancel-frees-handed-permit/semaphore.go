// Mutant: A cancelled Acquire that was handed a permit returns it to the free pool instead of passing it to the next waiter, who then waits with a permit free.
// Package semaphore is Day 2's third exercise: a counting semaphore, Python's threading.Semaphore —
// or rather BoundedSemaphore, since releasing a permit that was never acquired is an error. Acquire
// can be abandoned through a context, and waiters are served first come, first served, so none of
// them waits forever while others keep getting in.
package semaphore

import (
	"container/list"
	"context"
	"sync"
)

// Semaphore hands out up to n permits at a time. Its methods may be called from many goroutines at
// once.
//
// Fairness: waiting Acquire calls get permits in the order they started waiting (FIFO). A released
// permit goes straight to the longest waiting Acquire, so neither a later Acquire nor TryAcquire can
// take it first.
type Semaphore struct {
	mu      sync.Mutex
	size    int       // permits in total
	held    int       // permits acquired and not yet released
	waiters list.List // chan struct{} per waiting Acquire, oldest first; closed to hand it a permit
}

// New returns a semaphore with n permits, all free. It panics if n < 1.
func New(n int) *Semaphore {
	if n < 1 {
		panic("semaphore: New needs at least one permit")
	}
	return &Semaphore{size: n}
}

// Acquire takes a permit, waiting until one is free and every earlier waiter has been served. If ctx
// is done first, Acquire gives up and returns ctx.Err() without taking a permit; if ctx is already
// done when Acquire is called, it returns ctx.Err() even if a permit is free.
func (s *Semaphore) Acquire(ctx context.Context) error {
	s.mu.Lock()
	if err := ctx.Err(); err != nil {
		s.mu.Unlock()
		return err
	}
	if s.held < s.size && s.waiters.Len() == 0 {
		s.held++
		s.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	elem := s.waiters.PushBack(ready)
	s.mu.Unlock()

	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		select {
		case <-ready:
			s.held--
		default:
			s.waiters.Remove(elem)
		}
		return ctx.Err()
	}
}

// TryAcquire takes a permit if one is free and nobody is waiting for it, and reports whether it did.
// It never blocks.
func (s *Semaphore) TryAcquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held < s.size && s.waiters.Len() == 0 {
		s.held++
		return true
	}
	return false
}

// Release returns a permit, waking the longest waiting Acquire if there is one. It panics if no
// permit is held: every Release must match an Acquire or a successful TryAcquire.
func (s *Semaphore) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == 0 {
		panic("semaphore: Release without a matching Acquire")
	}
	s.releaseLocked()
}

// releaseLocked gives up one held permit: to the oldest waiter if there is one (held stays the same,
// the permit changes hands), otherwise back to the free pool. The caller must hold s.mu.
func (s *Semaphore) releaseLocked() {
	if front := s.waiters.Front(); front != nil {
		close(s.waiters.Remove(front).(chan struct{}))
		return
	}
	s.held--
}
