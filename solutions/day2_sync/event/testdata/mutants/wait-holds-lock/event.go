// Mutant: Wait holds the lock while it waits, so Set can never get it.
// Package event is Day 2's fourth exercise: Python's threading.Event in Go. Go has no Event type,
// because a closed channel already is one — closing wakes every receiver at once, forever — but a
// channel can be closed only once and never reopened, so Set must not close twice and Clear must
// make a new channel.
package event

import (
	"context"
	"sync"
)

// Event is a flag that goroutines can wait for. Its methods may be called from many goroutines at
// once. Use New to make one.
type Event struct {
	mu sync.Mutex
	ch chan struct{} // closed while the event is set; Clear replaces a closed one with a new one
}

// New returns an Event that is not set.
func New() *Event {
	return &Event{ch: make(chan struct{})}
}

// Set sets the event and wakes every goroutine waiting in Wait: each of them returns nil, even if
// Clear is called before it has run. Setting an event that is already set does nothing.
func (e *Event) Set() {
	e.mu.Lock()
	defer e.mu.Unlock()
	select {
	case <-e.ch: // already set: closing again would panic
	default:
		close(e.ch)
	}
}

// Clear unsets the event: Wait calls made after Clear block until the next Set. Clearing an event
// that is not set does nothing.
func (e *Event) Clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	select {
	case <-e.ch:
		e.ch = make(chan struct{})
	default: // not set: keep the channel that waiters are already waiting on
	}
}

// IsSet reports whether the event is set.
func (e *Event) IsSet() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	select {
	case <-e.ch:
		return true
	default:
		return false
	}
}

// Wait blocks until the event is set and returns nil, or until ctx is done and returns ctx.Err().
// If the event is already set, Wait returns nil at once, even if ctx is done.
func (e *Event) Wait(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ch := e.ch
	select {
	case <-ch:
		return nil // set wins over a done ctx
	default:
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
