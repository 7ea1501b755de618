// Package semaphore is Day 2's third exercise: a counting semaphore, Python's threading.Semaphore —
// or rather BoundedSemaphore, since releasing a permit that was never acquired is an error. Acquire
// can be abandoned through a context, and waiters are served first come, first served, so none of
// them waits forever while others keep getting in.
package semaphore

import "context"

// Semaphore hands out up to n permits at a time. Its methods may be called from many goroutines at
// once.
//
// Fairness: waiting Acquire calls get permits in the order they started waiting (FIFO). A released
// permit goes straight to the longest waiting Acquire, so neither a later Acquire nor TryAcquire can
// take it first.
type Semaphore struct {
	// TODO: add the fields you need. One design: a sync.Mutex guarding the number of permits in total
	// and in use, and a FIFO queue (container/list, or a slice) of one channel per waiting Acquire,
	// which Release closes to hand that waiter a permit.
}

// New returns a semaphore with n permits, all free. It panics if n < 1.
func New(n int) *Semaphore {
	// TODO: check n and build the Semaphore.
	panic("TODO: implement New (day2_sync/semaphore)")
}

// Acquire takes a permit, waiting until one is free and every earlier waiter has been served. If ctx
// is done first, Acquire gives up and returns ctx.Err() without taking a permit; if ctx is already
// done when Acquire is called, it returns ctx.Err() even if a permit is free.
func (s *Semaphore) Acquire(ctx context.Context) error {
	// TODO: under the lock: fail if ctx is done; take a free permit if nobody is queued; otherwise
	// queue a channel and unlock. Then select on that channel and ctx.Done(). If ctx wins, take the
	// lock again and leave the queue — unless Release handed you the permit meanwhile: then pass it on,
	// or it is lost for good.
	panic("TODO: implement Semaphore.Acquire (day2_sync/semaphore)")
}

// TryAcquire takes a permit if one is free and nobody is waiting for it, and reports whether it did.
// It never blocks.
func (s *Semaphore) TryAcquire() bool {
	// TODO: like Acquire's fast path; return false where Acquire would wait.
	panic("TODO: implement Semaphore.TryAcquire (day2_sync/semaphore)")
}

// Release returns a permit, waking the longest waiting Acquire if there is one. It panics if no
// permit is held: every Release must match an Acquire or a successful TryAcquire.
func (s *Semaphore) Release() {
	// TODO: panic if nothing is held; hand the permit to the front of the queue (close its channel)
	// or, with nobody waiting, return it to the free pool.
	panic("TODO: implement Semaphore.Release (day2_sync/semaphore)")
}
