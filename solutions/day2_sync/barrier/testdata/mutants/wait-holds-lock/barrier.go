// Mutant: Waiting parties hold the lock while they wait, so the next arrival can never get in.
// Package barrier is Day 2's sixth exercise: a cyclic barrier, Python's threading.Barrier. Go has
// none in its standard library: a sync.WaitGroup waits for goroutines to finish, not for them to meet
// again and again. A barrier for n parties blocks each caller of Wait until n have called it, releases
// them all together, and is then ready for the next round (generation).
package barrier

import "sync"

// Barrier makes a fixed number of goroutines wait for each other, round after round. Use New to make
// one.
type Barrier struct {
	n       int
	mu      sync.Mutex
	arrived int           // parties waiting in the current generation
	release chan struct{} // closed when the current generation is complete; then replaced
}

// New returns a barrier for n parties. It panics if n < 1.
func New(n int) *Barrier {
	if n < 1 {
		panic("barrier: New needs at least one party")
	}
	return &Barrier{n: n, release: make(chan struct{})}
}

// Wait blocks until n goroutines (counting this one) have called Wait in the current generation, then
// returns in all of them together, and the barrier starts a new generation. Wait returns the caller's
// arrival index in its generation: 0 for the first to arrive, n-1 for the last — the one whose arrival
// released the others, like Python's Barrier.wait.
func (b *Barrier) Wait() int {
	b.mu.Lock()
	index := b.arrived
	b.arrived++
	release := b.release
	if b.arrived == b.n {
		// Last arrival: start the next generation with a fresh channel, then release this one.
		b.arrived = 0
		b.release = make(chan struct{})
		b.mu.Unlock()
		close(release)
		return index
	}
	<-release
	b.mu.Unlock()
	return index
}
