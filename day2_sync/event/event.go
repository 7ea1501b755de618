// Package event is Day 2's fourth exercise: Python's threading.Event in Go. Go has no Event type,
// because a closed channel already is one — closing wakes every receiver at once, forever — but a
// channel can be closed only once and never reopened, so Set must not close twice and Clear must
// make a new channel.
package event

import "context"

// Event is a flag that goroutines can wait for. Its methods may be called from many goroutines at
// once. Use New to make one.
type Event struct {
	// TODO: add the fields you need. One design: a sync.Mutex guarding a channel that is closed while
	// the event is set.
}

// New returns an Event that is not set.
func New() *Event {
	// TODO: build an Event that is not set.
	panic("TODO: implement New (day2_sync/event)")
}

// Set sets the event and wakes every goroutine waiting in Wait: each of them returns nil, even if
// Clear is called before it has run. Setting an event that is already set does nothing.
func (e *Event) Set() {
	// TODO: close the channel — unless it is closed already: closing a closed channel panics.
	panic("TODO: implement Event.Set (day2_sync/event)")
}

// Clear unsets the event: Wait calls made after Clear block until the next Set. Clearing an event
// that is not set does nothing.
func (e *Event) Clear() {
	// TODO: if the channel is closed, replace it with a new one. If it is open, keep it: goroutines
	// are waiting on it, and the next Set must wake them.
	panic("TODO: implement Event.Clear (day2_sync/event)")
}

// IsSet reports whether the event is set.
func (e *Event) IsSet() bool {
	// TODO: is the channel closed? (A select with a default case tells you without blocking.)
	panic("TODO: implement Event.IsSet (day2_sync/event)")
}

// Wait blocks until the event is set and returns nil, or until ctx is done and returns ctx.Err().
// If the event is already set, Wait returns nil at once, even if ctx is done.
func (e *Event) Wait(ctx context.Context) error {
	// TODO: take the current channel under the lock, then wait (without the lock!) for it or for
	// ctx.Done(). Check the channel alone first: a select with both cases ready picks one at random.
	panic("TODO: implement Event.Wait (day2_sync/event)")
}
