package scheduler

// This file is yours to write: the dispatcher, what happens around one run, and Shutdown. The rest
// of the package is given: read scheduler.go first (the Scheduler's fields, Add, push, signal,
// settle), then queue.go (the heap of pending runs).

import (
	"context"
	"time"
)

// loop is the dispatcher, the Scheduler's one long-lived goroutine (New starts it). It starts due
// runs, earliest and then highest Priority first, while fewer than max are in progress, then sleeps
// until the next run is due or signal wakes it. It returns once Shutdown has set closed.
func (s *Scheduler) loop() {
	// TODO: close s.loopDone when you return. Loop: under s.mu, return if s.closed; otherwise pop
	// every run that is due (at not after time.Now()) while s.running < s.max (heap.Pop(&s.queue))
	// and start it. Starting a run:
	//   - a FixedRate task: first push its next run, on the grid: slot = r.slot + Every, at = slot +
	//     s.jitter(t). Then, if the task still runs, Skip drops r and Queue keeps it in t.queued
	//     (unless one waits already) for execute to start when the running one ends.
	//   - otherwise mark the task running, s.running++, s.workers.Add(1), go s.execute(r).
	// Then unlock and sleep until the first pending run is due (one time.Timer, Reset each time)
	// or a signal arrives on s.wake. With no free slot, or nothing pending, wait for s.wake alone.
	// Never sleep or block while holding s.mu, and never start a goroutine per pending run.
	panic("TODO: implement Scheduler.loop (day7_challenge/scheduler)")
}

// execute runs r with its timeout, then decides what comes next: a periodic task's next run (a
// FixedDelay one Every from now; a queued FixedRate one at once, in the slot r leaves), a one-off
// task's retry after its backoff (the wait happens in the queue, holding no slot), or the task's
// outcome.
//
//lint:ignore U1000 yours: loop starts it
func (s *Scheduler) execute(r *run) {
	// TODO: defer s.workers.Done(). Run r.task.Run with a ctx derived from s.ctx, with
	// context.WithTimeout if the task has a Timeout. Then, under s.mu: the run no longer counts
	// (s.running--, the task no longer runs), s.signal() (a slot is free), and:
	//   - if s.closed: no more runs; a one-off task finishes with this run's error;
	//   - FixedDelay: push the next run at now + Every + s.jitter(t);
	//   - FixedRate: if a run waits in t.queued, start it now (its next run is queued already);
	//   - a one-off task that failed with retries left (r.attempt <= Retry.Retries): push attempt
	//     r.attempt+1 at now + t.Retry.backoff(r.attempt, s.rand());
	//   - otherwise s.finish(t, err).
	panic("TODO: implement Scheduler.execute (day7_challenge/scheduler)")
}

// backoff returns the wait before retry number n (1 for the first retry): Backoff * 2^(n-1), capped
// at MaxBackoff (if set), plus (2r-1)*Jitter, and never below zero. It never overflows: without
// MaxBackoff, the doubling stops at the largest Duration (less Jitter).
//
//lint:ignore U1000 yours: execute uses it
func (p Retry) backoff(n int, r float64) time.Duration {
	// TODO: limit := math.MaxInt64 - Jitter, or MaxBackoff if that is smaller. Start from
	// min(Backoff, limit) and double it n-1 times, but stop at limit: once d > limit/2, doubling
	// would pass it (or overflow), so d = limit. (Backoff << (n-1) overflows for large n.) Return
	// d + time.Duration((2*r - 1) * float64(p.Jitter)), at least 0.
	panic("TODO: implement Retry.backoff (day7_challenge/scheduler)")
}

// finish records t's outcome and passes it on to its dependents: after a success, a dependent whose
// last dependency this was gets its first run queued; after a failure, every dependent fails in turn
// (and theirs), without running. Call it with s.mu held.
func (s *Scheduler) finish(t *task, err error) {
	// TODO: do nothing if t.finished. s.settle(t, err); then for each of t.dependents: on failure
	// s.finish(d, dependencyError(t)); on success d.waiting--, and at zero s.push(s.firstRun(d)).
	panic("TODO: implement Scheduler.finish (day7_challenge/scheduler)")
}

// Shutdown stops the Scheduler: it accepts no more tasks and starts no more runs (no retry, no
// queued FixedRate run either), then waits for the runs in progress to end. If ctx ends first, it
// cancels their ctx and still waits for them to return, then returns ctx's error. A one-off task
// whose run ends meanwhile finishes with that run's outcome (its error, even with retries left).
// Every task that has not finished then fails with ErrShutdown.
// When Shutdown returns, no goroutine of the Scheduler is left. Calling it again waits the same way.
func (s *Scheduler) Shutdown(ctx context.Context) error {
	// TODO: set s.closed and s.signal() under s.mu; wait for <-s.loopDone (then nothing calls
	// s.workers.Add any more); wait for s.workers in a helper goroutine that closes a channel, and
	// select on it and ctx.Done(). Then s.cancel() (the runs still going, if ctx ended first, must
	// return now) and wait for the channel in any case. Last, under s.mu, s.settle(t, ErrShutdown)
	// every task.
	_ = ctx
	panic("TODO: implement Scheduler.Shutdown (day7_challenge/scheduler)")
}
