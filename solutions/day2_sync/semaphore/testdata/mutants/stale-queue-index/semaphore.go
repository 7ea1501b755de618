// Mutant: waiters queue in a slice, and a cancelled Acquire removes the entry at the index it had when it queued, which is another waiter's once the waiters ahead have been served.
// Package semaphore is Day 2's third exercise: a counting semaphore, Python's threading.Semaphore —
// or rather BoundedSemaphore, since releasing a permit that was never acquired is an error. Acquire
// can be abandoned through a context, and waiters are served first come, first served, so none of
// them waits forever while others keep getting in.
package semaphore

import (
	"context"
	"sync"
)

// Semaphore hands out up to n permits.
type Semaphore struct {
	mu      sync.Mutex
	size    int
	held    int
	waiters []chan struct{}
}

// New returns a semaphore with n permits.
func New(n int) *Semaphore {
	if n < 1 {
		panic("semaphore: n < 1")
	}
	return &Semaphore{size: n}
}

// Acquire takes a permit.
func (s *Semaphore) Acquire(ctx context.Context) error {
	s.mu.Lock()
	if err := ctx.Err(); err != nil {
		s.mu.Unlock()
		return err
	}
	if s.held < s.size && len(s.waiters) == 0 {
		s.held++
		s.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	idx := len(s.waiters)
	s.waiters = append(s.waiters, ready)
	s.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		select {
		case <-ready:
			s.releaseLocked()
		default:
			if idx >= len(s.waiters) {
				idx = len(s.waiters) - 1
			}
			s.waiters = append(s.waiters[:idx], s.waiters[idx+1:]...)
		}
		return ctx.Err()
	}
}

// TryAcquire takes a permit if one is free.
func (s *Semaphore) TryAcquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held < s.size && len(s.waiters) == 0 {
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
	s.releaseLocked()
}

func (s *Semaphore) releaseLocked() {
	if len(s.waiters) > 0 {
		close(s.waiters[0])
		s.waiters = s.waiters[1:]
		return
	}
	s.held--
}
