// Mutant: built on sync.Cond with a flag: a waiter woken by Set's Broadcast re-checks the flag in its for loop, so a Set followed at once by Clear wakes nobody.
// Package event is Day 2's fourth exercise: Python's threading.Event in Go. Go has no Event type,
// because a closed channel already is one — closing wakes every receiver at once, forever — but a
// channel can be closed only once and never reopened, so Set must not close twice and Clear must
// make a new channel.
package event

import (
	"context"
	"sync"
)

// Event is a flag guarded by a mutex; waiters sleep on a sync.Cond, and a done context wakes them
// through context.AfterFunc.
type Event struct {
	mu   sync.Mutex
	cond *sync.Cond
	set  bool
}

// New returns an Event that is not set.
func New() *Event {
	e := &Event{}
	e.cond = sync.NewCond(&e.mu)
	return e
}

// Set sets the event.
func (e *Event) Set() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.set = true
	e.cond.Broadcast()
}

// Clear unsets the event.
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

// Wait waits for the event.
func (e *Event) Wait(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		e.mu.Lock()
		e.cond.Broadcast()
		e.mu.Unlock()
	})
	defer stop()
	e.mu.Lock()
	defer e.mu.Unlock()
	for !e.set {
		if err := ctx.Err(); err != nil {
			return err
		}
		e.cond.Wait()
	}
	return nil
}
