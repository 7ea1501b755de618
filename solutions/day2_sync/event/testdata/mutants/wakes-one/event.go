// Mutant: Set sends one wake-up value instead of closing a channel, so it wakes only one of the waiting goroutines.
package event

import (
	"context"
	"sync"
)

// Event is a flag that goroutines can wait for. Its methods may be called from many goroutines at
// once. Use New to make one.
type Event struct {
	mu   sync.Mutex
	set  bool
	wake chan struct{} // one value per Set
}

// New returns an Event that is not set.
func New() *Event {
	return &Event{wake: make(chan struct{}, 1)}
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
	case e.wake <- struct{}{}:
	default:
	}
}

// Clear unsets the event: Wait calls made after Clear block until the next Set. Clearing an event
// that is not set does nothing.
func (e *Event) Clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.set = false
	select {
	case <-e.wake: // drop a wake-up nobody took
	default:
	}
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
	e.mu.Lock()
	set := e.set
	e.mu.Unlock()
	if set {
		return nil
	}
	select {
	case <-e.wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
