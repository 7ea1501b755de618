package scraper

import (
	"context"
	"time"
)

// HostLimiter is the crawl's politeness: for each host, at most perHost requests in flight at once,
// and at least delay between the starts of two requests. Hosts do not wait for one another. It is
// safe for concurrent use.
type HostLimiter struct {
	// TODO: the limits, and each host's state: what counts its requests in flight (a buffered
	// channel used as a semaphore is the simplest), and the earliest time its next request may start.
	// A map of hosts shared by goroutines needs a sync.Mutex; never hold it while you wait.
}

// NewHostLimiter returns a limiter that lets perHost (at least 1) requests to a host be in flight at
// once, and starts them at least delay apart.
func NewHostLimiter(perHost int, delay time.Duration) *HostLimiter {
	// TODO: keep perHost and delay, and make the map of hosts.
	return &HostLimiter{}
}

// Acquire blocks until a request to host may start: fewer than perHost requests to host are in
// flight, and delay has passed since the previous start that Acquire granted for host (the first
// request to a host does not wait). It then returns release, which the caller must call once when the
// request is over. If ctx is done first, Acquire returns ctx's error and holds nothing.
func (l *HostLimiter) Acquire(ctx context.Context, host string) (release func(), err error) {
	// TODO: find or create host's state (under the lock); take one of its perHost slots, or return
	// ctx.Err() if ctx is done first. Then reserve a start time: the later of now and the host's
	// "next" time, and set "next" to that start plus delay (under the lock); wait until the start
	// with a timer in a select that also watches ctx.Done() (give the slot back if ctx wins).
	// release gives the slot back.
	panic("TODO: implement HostLimiter.Acquire (day7_challenge/scraper)")
}
