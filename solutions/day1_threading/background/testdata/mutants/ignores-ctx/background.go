// Mutant: the loop only listens to its own stop channel and ignores the owner's context, so cancelling ctx does not end it.
package background

import (
	"context"
	"sync"
	"time"
)

// Loop is a background goroutine started by Start that calls a function periodically.
type Loop struct {
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// Start starts a goroutine that calls fn every interval until Stop is called.
func Start(ctx context.Context, interval time.Duration, fn func(ctx context.Context)) *Loop {
	ticker := time.NewTicker(interval)
	l := &Loop{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		defer ticker.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-ticker.C:
				fn(ctx)
			}
		}
	}()
	return l
}

// Stop ends the loop and waits for it.
func (l *Loop) Stop() {
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.done
}

// Done returns a channel that is closed when the loop's goroutine has returned.
func (l *Loop) Done() <-chan struct{} {
	return l.done
}
