// Package scheduler is a Day 7 capstone: a task scheduler that a service could embed. It runs
// one-off tasks at a time or after a delay, periodic tasks at a fixed rate or with a fixed delay
// between runs (with optional jitter), prioritised among tasks that are due together, after the
// tasks they depend on have succeeded, at most MaxConcurrent at once, with retries and exponential
// backoff, a timeout per run, and a graceful Shutdown.
//
// Given (complete): this file (tasks, options, validation, errors), graph.go (the dependency graph
// and its cycle check), queue.go (the heap of pending runs), scheduler.go (the Scheduler's state,
// New, Add and Wait), jobfile.go (the job-file loader) and timeline.go (what ran when).
// Yours to write: dispatch.go, the dispatcher and everything that happens around one run.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Mode says how a periodic task's next run is timed.
type Mode int

const (
	// FixedRate runs the task on a fixed grid: the k-th run is due at first + k*Every, however long
	// the runs take and however late they start (no drift).
	FixedRate Mode = iota
	// FixedDelay runs the task Every after the previous run ended.
	FixedDelay
)

func (m Mode) String() string {
	switch m {
	case FixedRate:
		return "fixed-rate"
	case FixedDelay:
		return "fixed-delay"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Overlap says what a FixedRate task does when a run comes due while its previous run is still
// going. A periodic task never runs twice at once.
type Overlap int

const (
	// Skip drops the run that came due; the task's next run is the next one on its grid.
	Skip Overlap = iota
	// Queue starts the run that came due as soon as the previous run ends (late); the runs after it
	// stay on the grid. At most one run waits: another that comes due meanwhile is dropped.
	Queue
)

func (o Overlap) String() string {
	switch o {
	case Skip:
		return "skip"
	case Queue:
		return "queue"
	}
	return fmt.Sprintf("Overlap(%d)", int(o))
}

// Retry says how a one-off task's failed run is tried again.
type Retry struct {
	// Retries is how many times a failed run is tried again (0: never). A task whose last try fails
	// fails with that try's error. Nothing is retried once Shutdown has been called: a run that fails
	// while Shutdown waits for it is the task's last, and the task fails with that run's error.
	Retries int
	// Backoff is the wait before the first retry; the wait doubles for every later retry: the n-th
	// retry waits Backoff * 2^(n-1).
	Backoff time.Duration
	// MaxBackoff caps the doubled wait (0: no cap; the wait then stops growing at the largest
	// Duration, less Jitter, rather than overflow).
	MaxBackoff time.Duration
	// Jitter moves each wait by up to ±Jitter: the wait is the capped one plus (2r-1)*Jitter, where r
	// in [0, 1) comes from Options.Rand; a wait below zero is zero.
	Jitter time.Duration
}

// Task is a unit of work for the Scheduler.
type Task struct {
	// ID names the task, uniquely within a Scheduler.
	ID string
	// Run does the work. Its ctx is cancelled when the run's Timeout passes, or when Shutdown gives
	// up waiting; a run should then return soon. A non-nil error is a failure.
	Run func(ctx context.Context) error

	// At is when the task is first due. If it is zero, the task is first due Delay after Add (0: at
	// once). Set at most one of the two.
	At    time.Time
	Delay time.Duration

	// Every > 0 makes the task periodic: it runs again and again, timed by Mode, until Shutdown.
	Every time.Duration
	// Mode times a periodic task's runs (FixedRate by default).
	Mode Mode
	// Overlap says what a FixedRate task does when it comes due while still running (Skip by default).
	Overlap Overlap
	// Jitter (periodic tasks only) delays each run by r*Jitter, r in [0, 1) from Options.Rand, on top
	// of the time it is due; the jitter of one run never moves the next (no drift).
	Jitter time.Duration

	// Priority orders tasks that are due at the same time: when a slot frees, the due run with the
	// highest Priority starts first (then the one added first).
	Priority int

	// DependsOn names one-off tasks that must succeed before this task's first run. They may be added
	// before or after this one. If one fails, this task fails without running, with an error that
	// wraps ErrDependency and the dependency's error.
	DependsOn []string

	// Retry (one-off tasks only) retries failed runs with exponential backoff.
	Retry Retry
	// Timeout > 0 cancels each run's ctx that long after the run started (each retry gets a fresh one).
	Timeout time.Duration
}

// Errors of the scheduler. Test them with errors.Is.
var (
	// ErrInvalid: the task breaks a rule of Validate.
	ErrInvalid = errors.New("invalid task")
	// ErrDuplicate: a task with that ID was already added.
	ErrDuplicate = errors.New("duplicate task ID")
	// ErrCycle: adding the task would make a cycle of dependencies.
	ErrCycle = errors.New("dependency cycle")
	// ErrDependency wraps the error of a dependency that failed.
	ErrDependency = errors.New("a dependency failed")
	// ErrUnknownTask: Wait was asked about a task that was never added.
	ErrUnknownTask = errors.New("unknown task")
	// ErrClosed: Add after Shutdown.
	ErrClosed = errors.New("scheduler is shut down")
	// ErrShutdown: the task had not finished when Shutdown ended (it never ran, or was periodic).
	ErrShutdown = errors.New("scheduler shut down before the task finished")
)

// Validate checks the task on its own (not against other tasks). Every error wraps ErrInvalid.
func (t Task) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("task %q: %w: %s", t.ID, ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case t.ID == "":
		return bad("no ID")
	case t.Run == nil:
		return bad("no Run function")
	case !t.At.IsZero() && t.Delay != 0:
		return bad("both At and Delay are set")
	case t.Delay < 0 || t.Every < 0 || t.Jitter < 0 || t.Timeout < 0:
		return bad("negative Delay, Every, Jitter or Timeout")
	case t.Mode != FixedRate && t.Mode != FixedDelay:
		return bad("unknown Mode %d", int(t.Mode))
	case t.Overlap != Skip && t.Overlap != Queue:
		return bad("unknown Overlap %d", int(t.Overlap))
	case t.Every == 0 && t.Jitter != 0:
		return bad("Jitter is for periodic tasks (set Every)")
	case t.Every > 0 && t.Retry.Retries != 0:
		return bad("Retry is for one-off tasks: a periodic task's next run is its retry")
	case t.Retry.Retries < 0 || t.Retry.Backoff < 0 || t.Retry.MaxBackoff < 0 || t.Retry.Jitter < 0:
		return bad("negative Retry field")
	case slices.Contains(t.DependsOn, ""):
		return bad("an empty ID in DependsOn")
	}
	deps := slices.Clone(t.DependsOn)
	slices.Sort(deps)
	for i := 1; i < len(deps); i++ {
		if deps[i] == deps[i-1] {
			return bad("%q twice in DependsOn", deps[i])
		}
	}
	return nil
}

// Options configure a Scheduler.
type Options struct {
	// MaxConcurrent is the most runs in progress at once (default 1).
	MaxConcurrent int
	// Rand returns the r in [0, 1) of every jitter (default math/rand/v2's Float64). The Scheduler
	// calls it with its lock held, never concurrently.
	Rand func() float64
}
