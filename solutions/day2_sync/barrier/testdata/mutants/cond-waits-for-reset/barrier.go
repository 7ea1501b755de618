// Mutant: built on sync.Cond, waiters sleep until the arrival count is back to 0, so a party of the next generation that arrives before they wake keeps them asleep.
package barrier

import "sync"

type Barrier struct {
	n       int
	mu      sync.Mutex
	cond    *sync.Cond
	arrived int
}

func New(n int) *Barrier {
	if n < 1 {
		panic("barrier: New needs at least one party")
	}
	b := &Barrier{n: n}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *Barrier) Wait() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	index := b.arrived
	b.arrived++
	if b.arrived == b.n {
		b.arrived = 0
		b.cond.Broadcast()
		return index
	}
	for b.arrived != 0 {
		b.cond.Wait()
	}
	return index
}
