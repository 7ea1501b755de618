// Mutant: Merge's forwarding goroutines each close the output when their input ends: a second close panics, and with no inputs the output is never closed.
// Package pitfalls is Day 6's fourth exercise: a gallery of six classic concurrency bugs, each in a
// small function that looks right at first sight. Every one of them is a bug that code review misses
// and production finds: a goroutine that never ends, a WaitGroup that does not wait, a channel closed
// twice, a lock that protects a copy, a loop that burns a core while it waits.
//
// The tests, the race detector and goleak each catch some of them; `go vet` catches one on its own.
package pitfalls

import (
	"context"
	"errors"
	"sync"
	"time"
)

// FirstMatch runs match on every item, each on its own goroutine, and returns an item for which
// match reported true (the first such result to arrive), or the zero value and false if none did.
// It returns as soon as it has a match, but it never leaves a goroutine blocked: the checks still
// running when it returns finish on their own and end.
func FirstMatch[T any](items []T, match func(T) bool) (T, bool) {
	type result struct {
		item T
		ok   bool
	}
	// One slot per item: every goroutine can deliver its result and end, even after we stop listening.
	results := make(chan result, len(items))
	for _, it := range items {
		go func() { results <- result{it, match(it)} }()
	}
	for range items {
		if r := <-results; r.ok {
			return r.item, true
		}
	}
	var zero T
	return zero, false
}

// ErrTimeout is what FetchWithin returns when fetch takes too long.
var ErrTimeout = errors.New("pitfalls: timed out")

// FetchWithin runs fetch on a new goroutine and returns its result, or ErrTimeout once d has passed
// without one. A fetch that finishes after the timeout still ends: its goroutine is never left
// blocked, waiting to hand over a result nobody will read.
func FetchWithin[T any](d time.Duration, fetch func() T) (T, error) {
	result := make(chan T, 1) // the late sender can always deliver, and end
	go func() { result <- fetch() }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case v := <-result:
		return v, nil
	case <-timer.C:
		var zero T
		return zero, ErrTimeout
	}
}

// ProcessAll calls fn on every item, each on its own goroutine, and returns once every call has
// returned.
func ProcessAll[T any](items []T, fn func(T)) {
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1) // before the goroutine starts: Wait must not run ahead of an Add
		go func() {
			defer wg.Done()
			fn(it)
		}()
	}
	wg.Wait()
}

// Merge sends every value received from every input to the returned channel, and closes it once
// every input is closed and drained. Merge with no inputs returns a closed channel.
func Merge(inputs ...<-chan int) <-chan int {
	out := make(chan int)
	for _, in := range inputs {
		go func() {
			for v := range in {
				out <- v
			}
			close(out)
		}()
	}
	return out
}

// Counter is a counter safe for concurrent use. The zero value is ready to use; a Counter must not
// be copied after first use (go vet checks that).
type Counter struct {
	mu sync.Mutex
	n  int
}

// Inc adds one to the counter.
func (c *Counter) Inc() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
}

// Value returns the count.
func (c *Counter) Value() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// WaitReady blocks until ready is closed, and returns nil, or until ctx is done, and returns
// ctx.Err(). While it waits it uses no CPU: it is parked, not polling.
func WaitReady(ctx context.Context, ready <-chan struct{}) error {
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
