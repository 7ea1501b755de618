// Mutant: the retry jitter is ignored.
package scheduler

import (
	"container/heap"
	"context"
	"math"
	"time"
)

// loop is the dispatcher, the Scheduler's one long-lived goroutine (New starts it). It starts due
// runs, earliest and then highest Priority first, while fewer than max are in progress, then sleeps
// until the next run is due or signal wakes it. It returns once Shutdown has set closed.
func (s *Scheduler) loop() {
	defer close(s.loopDone)
	timer := time.NewTimer(time.Hour) // reset before every sleep that needs it
	defer timer.Stop()
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		now := time.Now()
		for s.running < s.max && s.queue.Len() > 0 && !s.queue.peek().at.After(now) {
			s.start(heap.Pop(&s.queue).(*run), now)
		}
		// With nothing pending, or no free slot, only a signal can bring work.
		next := s.queue.peek()
		timed := next != nil && s.running < s.max
		s.mu.Unlock()

		if timed {
			timer.Reset(next.at.Sub(now))
		} else {
			timer.Stop()
		}
		select {
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// start begins run r, due by now, on a goroutine of its own, unless r is a periodic task's run that
// came due while the task still runs: Skip drops it, Queue keeps it for when that run ends. A
// FixedRate task's next run is queued here, on the grid (r's slot + Every), so it never drifts.
// Call it with s.mu held.
func (s *Scheduler) start(r *run, now time.Time) {
	t := r.task
	if t.Every > 0 && t.Mode == FixedRate {
		next := &run{task: t, slot: r.slot.Add(t.Every), attempt: 1}
		next.at = next.slot.Add(s.jitter(t))
		s.push(next)
		if t.running {
			if t.Overlap == Queue && t.queued == nil {
				t.queued = r
			}
			return
		}
	}
	s.launch(r)
}

// launch starts r on a goroutine of its own and counts it as running. Call it with s.mu held, and
// only from loop, or from a worker (so that workers.Add never races with Shutdown's workers.Wait).
func (s *Scheduler) launch(r *run) {
	r.task.running = true
	s.running++
	s.workers.Add(1)
	go s.execute(r)
}

// execute runs r with its timeout, then decides what comes next: a periodic task's next run (a
// FixedDelay one Every from now; a queued FixedRate one at once, in the slot r leaves), a one-off
// task's retry after its backoff (the wait happens in the queue, holding no slot), or the task's
// outcome.
func (s *Scheduler) execute(r *run) {
	defer s.workers.Done()
	t := r.task
	ctx, cancel := s.ctx, context.CancelFunc(func() {})
	if t.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, t.Timeout)
	}
	err := t.Run(ctx)
	cancel()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
	t.running = false
	s.signal() // a slot is free
	now := time.Now()
	switch {
	case s.closed:
		if t.Every == 0 {
			s.finish(t, err)
		}
	case t.Every > 0 && t.Mode == FixedDelay:
		s.push(&run{task: t, at: now.Add(t.Every + s.jitter(t)), attempt: 1})
	case t.Every > 0:
		if q := t.queued; q != nil {
			t.queued = nil
			s.launch(q) // its successor on the grid is queued already
		}
	case err != nil && r.attempt <= t.Retry.Retries:
		wait := t.Retry.backoff(r.attempt, s.rand())
		s.push(&run{task: t, at: now.Add(wait), attempt: r.attempt + 1})
	default:
		s.finish(t, err)
	}
}

// backoff returns the wait before retry number n (1 for the first retry): Backoff * 2^(n-1), capped
// at MaxBackoff (if set), plus (2r-1)*Jitter, and never below zero. It never overflows: without
// MaxBackoff, the doubling stops at the largest Duration (less Jitter).
func (p Retry) backoff(n int, r float64) time.Duration {
	limit := time.Duration(math.MaxInt64) - p.Jitter // so that adding the jitter cannot overflow
	if p.MaxBackoff > 0 {
		limit = min(limit, p.MaxBackoff)
	}
	d := min(p.Backoff, limit)
	for i := 1; i < n; i++ {
		if d > limit/2 {
			d = limit
			break
		}
		d *= 2
	}
	return max(d+0*time.Duration(r), 0)
}

// finish records t's outcome and passes it on to its dependents: after a success, a dependent whose
// last dependency this was gets its first run queued; after a failure, every dependent fails in turn
// (and theirs), without running. Call it with s.mu held.
func (s *Scheduler) finish(t *task, err error) {
	if t.finished {
		return
	}
	s.settle(t, err)
	for _, d := range t.dependents {
		if err != nil {
			s.finish(d, dependencyError(t))
			continue
		}
		if d.waiting--; d.waiting == 0 && !d.finished {
			s.push(s.firstRun(d))
		}
	}
	t.dependents = nil
}

// Shutdown stops the Scheduler: it accepts no more tasks and starts no more runs, then waits for the
// runs in progress to end. If ctx ends first, it cancels their ctx and still waits for them to
// return, then returns ctx's error. Every task that has not finished then fails with ErrShutdown.
// When Shutdown returns, no goroutine of the Scheduler is left. Calling it again waits the same way.
func (s *Scheduler) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.signal()
	s.mu.Unlock()
	<-s.loopDone // from now on nothing calls workers.Add

	idle := make(chan struct{})
	go func() {
		s.workers.Wait()
		close(idle)
	}()
	var err error
	select {
	case <-idle:
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.cancel() // the runs still going, if ctx ended first, must return now
	<-idle

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tasks {
		s.settle(t, ErrShutdown)
	}
	return err
}
