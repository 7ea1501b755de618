// Mutant: Clear only resets a flag for IsSet and keeps the closed channel, so Wait after Clear returns at once.
package event

import (
	"context"
	"sync"
)

// Event is a flag that goroutines can wait for. Its methods may be called from many goroutines at
// once. Use New to make one.
type Event struct {
	mu  sync.Mutex
	set bool
	ch  chan struct{} // closed by the first Set
}

// New returns an Event that is not set.
func New() *Event {
	return &Event{ch: make(chan struct{})}
}

// Set sets the event and wakes every goroutine waiting in Wait. Setting an event that is already set
// does nothing.
func (e *Event) Set() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.set {
		return
	}
	e.set = true
	select {
	case <-e.ch:
	default:
		close(e.ch)
	}
}

// Clear unsets the event: Wait calls made after Clear block until the next Set. Clearing an event
// that is not set does nothing.
func (e *Event) Clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.set = false
}

// IsSet reports whether the event is set.
func (e *Event) IsSet() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.set
}

// Wait blocks until the event is set and returns nil, or until ctx is done and returns ctx.Err().
// If the event is already set, Wait returns nil at once, even if ctx is done.
func (e *Event) Wait(ctx context.Context) error {
	select {
	case <-e.ch:
		return nil
	default:
	}
	select {
	case <-e.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
