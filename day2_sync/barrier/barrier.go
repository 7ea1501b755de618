// Package barrier is Day 2's sixth exercise: a cyclic barrier, Python's threading.Barrier. Go has
// none in its standard library: a sync.WaitGroup waits for goroutines to finish, not for them to meet
// again and again. A barrier for n parties blocks each caller of Wait until n have called it, releases
// them all together, and is then ready for the next round (generation).
package barrier

// Barrier makes a fixed number of goroutines wait for each other, round after round. Use New to make
// one.
type Barrier struct {
	// TODO: add the fields you need. One design: n, a sync.Mutex guarding a count of arrivals in the
	// current generation and a channel that is closed to release that generation. (A sync.Cond with a
	// generation number works too.)
}

// New returns a barrier for n parties. It panics if n < 1.
func New(n int) *Barrier {
	// TODO: check n and build the Barrier.
	panic("TODO: implement New (day2_sync/barrier)")
}

// Wait blocks until n goroutines (counting this one) have called Wait in the current generation, then
// returns in all of them together, and the barrier starts a new generation. Wait returns the caller's
// arrival index in its generation: 0 for the first to arrive, n-1 for the last — the one whose arrival
// released the others, like Python's Barrier.wait.
func (b *Barrier) Wait() int {
	// TODO: under the lock, take the next arrival index. The n-th arrival resets the count and
	// starts the next generation (a new channel) before it releases the current one (closes the old
	// channel); everyone else waits, without the lock, on the channel of their own generation.
	panic("TODO: implement Barrier.Wait (day2_sync/barrier)")
}
