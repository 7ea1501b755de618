// Mutant: Stop returns at once when the owner's context is already cancelled, although fn may still be running.
// Package background is Day 1's third exercise: a periodic background loop that never outlives its
// owner. Go has no daemon threads (Python's daemon=True): when main returns the program ends and every
// goroutine with it, mid-work. So every goroutine gets an owner who can stop it and wait for it.
package background

import (
	"context"
	"time"
)

// Loop is a background goroutine started by Start that calls a function periodically.
// Its methods are safe to call from many goroutines at once.
type Loop struct {
	parent context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the goroutine returns
}

// Start starts a goroutine that calls fn every interval until ctx is cancelled or Stop is called,
// and returns at once. The first call happens one interval after Start, like a time.Ticker; if fn
// takes longer than interval, the ticks missed meanwhile are dropped. fn is never called
// concurrently with itself, and receives a context that is cancelled when the loop is asked to stop.
// Start panics if interval <= 0. fn must not call Stop.
func Start(ctx context.Context, interval time.Duration, fn func(ctx context.Context)) *Loop {
	ticker := time.NewTicker(interval) // panics if interval <= 0
	l := &Loop{parent: ctx, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(ctx)
	l.cancel = cancel
	go func() {
		defer close(l.done)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				if ctx.Err() != nil { // both were ready and select picked the tick
					return
				}
				fn(ctx)
			}
		}
	}()
	return l
}

// Stop asks the loop to end, cancelling fn's context, and waits until the goroutine has returned: once
// Stop returns, fn is not running and will never be called again. Stop may be called any number of
// times, from any goroutine.
func (l *Loop) Stop() {
	if l.parent.Err() != nil {
		return // the owner already ended the loop
	}
	l.cancel()
	<-l.done
}

// Done returns a channel that is closed when the loop's goroutine has returned, whether because of
// Stop or because ctx was cancelled.
func (l *Loop) Done() <-chan struct{} {
	return l.done
}
