package scheduler

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Scheduler runs Tasks. Make one with New, add tasks with Add (from any goroutine), wait for one-off
// tasks with Wait, and stop it with Shutdown. Its methods are safe for concurrent use.
//
// Its design: one dispatcher goroutine (loop, started by New) sleeps until the earliest pending run
// is due or something changes, then starts due runs while fewer than MaxConcurrent are in progress;
// each started run gets a goroutine (execute) that ends with the run. So a Scheduler has at most
// MaxConcurrent+1 goroutines, however many tasks are pending. Everything below is guarded by mu.
// You may add fields.
type Scheduler struct {
	max  int            // Options.MaxConcurrent
	rand func() float64 // Options.Rand

	mu    sync.Mutex
	tasks map[string]*task // every task added, and placeholders for dependencies not added yet
	graph graph            // who depends on whom
	queue runQueue         // pending runs, the one due first on top
	seq   uint64           // the last run's seq
	//lint:ignore U1000 given: your dispatch.go uses it
	running int  // runs in progress (at most max)
	closed  bool // Shutdown was called: start nothing more, accept nothing more

	wake     chan struct{} // capacity 1: "the queue, a slot or closed changed", for loop
	loopDone chan struct{} // closed when loop returns
	//lint:ignore U1000 given: your dispatch.go uses it
	workers sync.WaitGroup     // one per run in progress
	ctx     context.Context    // every run's ctx derives from it
	cancel  context.CancelFunc // cancels ctx: Shutdown's last resort
}

// task is the Scheduler's record of one Task.
type task struct {
	Task
	added bool      // false for a placeholder: named in a DependsOn, not added yet
	first time.Time // when the first run is due (At, or Add's time + Delay)

	waiting    int     // dependencies that have not succeeded yet
	dependents []*task // tasks that wait for this one

	//lint:ignore U1000 given: your dispatch.go uses it
	running bool // a run of this task is in progress
	//lint:ignore U1000 given: your dispatch.go uses it
	queued *run // a FixedRate Queue task's run waiting for the running one to end

	finished bool          // done is closed and err is final
	err      error         // the task's outcome (nil: succeeded)
	done     chan struct{} // closed when the task has finished
}

// New returns a Scheduler with its dispatcher running. Call Shutdown when done with it.
func New(opts Options) *Scheduler {
	if opts.MaxConcurrent < 1 {
		opts.MaxConcurrent = 1
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{
		max:      opts.MaxConcurrent,
		rand:     opts.Rand,
		tasks:    map[string]*task{},
		wake:     make(chan struct{}, 1),
		loopDone: make(chan struct{}),
		ctx:      ctx,
		cancel:   cancel,
	}
	go s.loop()
	return s
}

// Add validates t and schedules it. It returns an error (and adds nothing) if t is invalid
// (ErrInvalid), its ID is taken (ErrDuplicate), it would close a dependency cycle (ErrCycle), it
// depends on a periodic task or is a periodic task others depend on (ErrInvalid), or the Scheduler is
// shut down (ErrClosed). A task whose dependency has already failed is added and fails at once.
func (s *Scheduler) Add(t Task) error {
	if err := t.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("task %q: %w", t.ID, ErrClosed)
	}
	rec := s.tasks[t.ID]
	switch {
	case rec != nil && rec.added:
		return fmt.Errorf("task %q: %w", t.ID, ErrDuplicate)
	case rec != nil && t.Every > 0:
		return fmt.Errorf("task %q: %w: it is periodic, and tasks depend on it", t.ID, ErrInvalid)
	}
	for _, d := range t.DependsOn {
		if dep := s.tasks[d]; dep != nil && dep.added && dep.Every > 0 {
			return fmt.Errorf("task %q: %w: it depends on %q, which is periodic", t.ID, ErrInvalid, d)
		}
	}
	if err := s.graph.add(t.ID, t.DependsOn); err != nil {
		return err
	}
	if rec == nil {
		rec = &task{done: make(chan struct{})}
		s.tasks[t.ID] = rec
	}
	rec.Task, rec.added = t, true
	rec.first = t.At
	if rec.first.IsZero() {
		rec.first = time.Now().Add(t.Delay)
	}
	var failed *task
	for _, d := range t.DependsOn {
		dep := s.tasks[d]
		if dep == nil {
			dep = &task{Task: Task{ID: d}, done: make(chan struct{})}
			s.tasks[d] = dep
		}
		switch {
		case dep.finished && dep.err != nil:
			failed = dep
		case !dep.finished:
			rec.waiting++
			dep.dependents = append(dep.dependents, rec)
		}
	}
	switch {
	case failed != nil:
		s.finish(rec, dependencyError(failed))
	case rec.waiting == 0:
		s.push(s.firstRun(rec))
	}
	return nil
}

// Wait blocks until the one-off task id has finished and returns its outcome: nil if it succeeded,
// its last error if it failed, an error wrapping ErrDependency if a dependency failed, ErrShutdown if
// Shutdown ended before it finished (a periodic task always ends so; a run that ends during Shutdown
// finishes its task with that run's outcome, retries left or not), or ctx's error if ctx ends
// first. It returns ErrUnknownTask for an ID that has not been added (even if another task names it
// in DependsOn).
func (s *Scheduler) Wait(ctx context.Context, id string) error {
	s.mu.Lock()
	t := s.tasks[id]
	unknown := t == nil || !t.added // a placeholder only names a dependency
	s.mu.Unlock()
	if unknown {
		return fmt.Errorf("task %q: %w", id, ErrUnknownTask)
	}
	select {
	case <-t.done:
		s.mu.Lock()
		defer s.mu.Unlock()
		return t.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// firstRun returns t's first run: due at t.first (plus jitter for a periodic task).
func (s *Scheduler) firstRun(t *task) *run {
	r := &run{task: t, at: t.first, slot: t.first, attempt: 1}
	if t.Every > 0 {
		r.at = r.at.Add(s.jitter(t))
	}
	return r
}

// jitter returns a periodic task's random delay, r*t.Jitter. Call it with s.mu held.
func (s *Scheduler) jitter(t *task) time.Duration {
	if t.Jitter == 0 {
		return 0
	}
	return time.Duration(s.rand() * float64(t.Jitter))
}

// push adds r to the queue and wakes the dispatcher. Call it with s.mu held.
func (s *Scheduler) push(r *run) {
	s.seq++
	r.seq = s.seq
	heap.Push(&s.queue, r)
	s.signal()
}

// signal wakes the dispatcher if it sleeps, without blocking: a wake-up already pending is as good as
// a second one. Call it whenever the queue, the number of runs in progress or closed changes.
func (s *Scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// settle records t's outcome and wakes whoever Waits for it; it does nothing if t has finished
// already. It does not touch t's dependents (finish does). Call it with s.mu held.
//
//lint:ignore U1000 given: finish and Shutdown use it once you write them
func (s *Scheduler) settle(t *task, err error) {
	if t.finished {
		return
	}
	t.finished, t.err = true, err
	close(t.done)
}

// dependencyError is the error of a task whose dependency parent failed.
func dependencyError(parent *task) error {
	return fmt.Errorf("%w: %q failed: %w", ErrDependency, parent.ID, parent.err)
}
