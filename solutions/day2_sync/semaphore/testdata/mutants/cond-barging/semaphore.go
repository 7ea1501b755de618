// Mutant: built on sync.Cond: Release frees a permit and Signals, so an Acquire that gets to the lock before the woken waiter takes the permit first (not FIFO).
// Package semaphore is Day 2's third exercise: a counting semaphore, Python's threading.Semaphore —
// or rather BoundedSemaphore, since releasing a permit that was never acquired is an error. Acquire
// can be abandoned through a context, and waiters are served first come, first served, so none of
// them waits forever while others keep getting in.
package semaphore

import (
	"context"
	"sync"
)

// Semaphore hands out up to n permits. Waiters sleep on a sync.Cond; a cancelled context wakes them
// all through context.AfterFunc.
type Semaphore struct {
	mu      sync.Mutex
	cond    *sync.Cond
	size    int
	held    int
	waiting int
}

// New returns a semaphore with n permits.
func New(n int) *Semaphore {
	if n < 1 {
		panic("semaphore: n < 1")
	}
	s := &Semaphore{size: n}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// Acquire takes a permit.
func (s *Semaphore) Acquire(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.held < s.size && s.waiting == 0 {
		s.held++
		return nil
	}
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.waiting++
	defer func() { s.waiting-- }()
	for s.held >= s.size {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.cond.Wait()
	}
	s.held++
	return nil
}

// TryAcquire takes a permit if one is free.
func (s *Semaphore) TryAcquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held < s.size && s.waiting == 0 {
		s.held++
		return true
	}
	return false
}

// Release returns a permit.
func (s *Semaphore) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == 0 {
		panic("semaphore: Release without Acquire")
	}
	s.held--
	s.cond.Signal()
}
