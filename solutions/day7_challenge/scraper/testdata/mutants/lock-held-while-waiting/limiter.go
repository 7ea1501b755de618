// Mutant: the limiter's mutex is held while Acquire waits for a host slot, so one full host blocks every Acquire for every other host.
package scraper

import (
	"context"
	"sync"
	"time"
)

// HostLimiter is the crawl's politeness: for each host, at most perHost requests in flight at once,
// and at least delay between the starts of two requests. Hosts do not wait for one another. It is
// safe for concurrent use.
type HostLimiter struct {
	perHost int
	delay   time.Duration

	mu    sync.Mutex
	hosts map[string]*hostState
}

// hostState is one host's share of the limiter.
type hostState struct {
	slots chan struct{} // one token per request in flight
	next  time.Time     // the earliest time the next request may start; guarded by HostLimiter.mu
}

// NewHostLimiter returns a limiter that lets perHost (at least 1) requests to a host be in flight at
// once, and starts them at least delay apart.
func NewHostLimiter(perHost int, delay time.Duration) *HostLimiter {
	return &HostLimiter{perHost: max(perHost, 1), delay: delay, hosts: map[string]*hostState{}}
}

// Acquire blocks until a request to host may start: fewer than perHost requests to host are in
// flight, and delay has passed since the previous start that Acquire granted for host (the first
// request to a host does not wait). It then returns release, which the caller must call once when the
// request is over. If ctx is done first, Acquire returns ctx's error and holds nothing.
func (l *HostLimiter) Acquire(ctx context.Context, host string) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	h, ok := l.hosts[host]
	if !ok {
		h = &hostState{slots: make(chan struct{}, l.perHost)}
		l.hosts[host] = h
	}

	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		l.mu.Unlock()
		return nil, ctx.Err()
	}
	l.mu.Unlock()
	release = func() { <-h.slots }

	// Reserve the next start time, then wait for it without holding the lock.
	l.mu.Lock()
	now := time.Now()
	start := h.next
	if start.Before(now) {
		start = now
	}
	h.next = start.Add(l.delay)
	l.mu.Unlock()
	if wait := time.Until(start); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}
