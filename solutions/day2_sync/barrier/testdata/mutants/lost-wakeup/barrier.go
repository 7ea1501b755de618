// Mutant: the last arrival wakes the waiting parties with sync.Cond.Signal, which wakes only one of them: the rest are never woken (a lost wake-up).
package barrier

import "sync"

// Barrier makes a fixed number of goroutines wait for each other, round after round. Use New to make
// one.
type Barrier struct {
	n          int
	mu         sync.Mutex
	cond       *sync.Cond
	arrived    int // parties waiting in the current generation
	generation int
}

// New returns a barrier for n parties. It panics if n < 1.
func New(n int) *Barrier {
	if n < 1 {
		panic("barrier: New needs at least one party")
	}
	b := &Barrier{n: n}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// Wait blocks until n goroutines (counting this one) have called Wait in the current generation, then
// returns in all of them together, and the barrier starts a new generation. Wait returns the caller's
// arrival index in its generation: 0 for the first to arrive, n-1 for the last — the one whose arrival
// released the others, like Python's Barrier.wait.
func (b *Barrier) Wait() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	index := b.arrived
	b.arrived++
	if b.arrived == b.n {
		b.arrived = 0
		b.generation++
		b.cond.Signal()
		return index
	}
	for gen := b.generation; gen == b.generation; {
		b.cond.Wait()
	}
	return index
}
