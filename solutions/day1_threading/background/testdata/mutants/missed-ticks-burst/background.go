// Mutant: a helper goroutine saves up to 100 ticks while fn runs, so after a slow call the missed ticks arrive in a burst instead of being dropped.
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
	ctx, cancel := context.WithCancel(ctx)
	l := &Loop{cancel: cancel, done: make(chan struct{})}
	ticks := make(chan time.Time, 100)
	go func() {
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case t := <-ticker.C:
				select {
				case ticks <- t:
				default:
				}
			}
		}
	}()
	go func() {
		defer close(l.done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticks:
				if ctx.Err() != nil {
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
	l.cancel() // safe to call many times
	<-l.done
}

// Done returns a channel that is closed when the loop's goroutine has returned, whether because of
// Stop or because ctx was cancelled.
func (l *Loop) Done() <-chan struct{} {
	return l.done
}
