// Package errhandling is Day 5's fourth exercise: what happens when tasks fail. In Python an
// exception raised in a pool's task is stored in its future and raised again by result(). In Go a
// task returns an error, and a panic is worse than an exception: a panic that no function on its own
// goroutine recovers ends the whole program. This package turns panics into errors, runs tasks with
// errgroup so that the first failure cancels the rest, and reports every failure with errors.Join.
package errhandling

import (
	"context"
	"fmt"
)

// PanicError is the error of a task that panicked.
type PanicError struct {
	Value any    // the value the task passed to panic
	Stack []byte // the stack of the panicking goroutine, taken where the panic was recovered
}

// Error reports the panic's value.
func (e *PanicError) Error() string { return fmt.Sprintf("task panicked: %v", e.Value) }

// Unwrap returns the panic's value if it is an error (a runtime.Error, for example), so that
// errors.Is and errors.As see it; otherwise nil.
func (e *PanicError) Unwrap() error {
	// TODO: return e.Value as an error if it is one (a type assertion with ", ok"), else nil.
	panic("TODO: implement PanicError.Unwrap (day5_futures/errhandling)")
}

// Safe calls fn on the caller's goroutine and returns what it returns. If fn panics, Safe recovers
// and returns the zero value and a *PanicError holding the panic's value and the stack of the
// panicking goroutine (so the stack shows the line that panicked).
func Safe[T any](fn func() (T, error)) (v T, err error) {
	// TODO: use named results and a deferred func that calls recover(); if it returns non-nil, set
	// v to the zero value and err to a *PanicError with the value and debug.Stack() (package
	// runtime/debug), taken inside the deferred func, where the panicking frames are still on the stack.
	panic("TODO: implement Safe (day5_futures/errhandling)")
}

// FirstError runs the tasks on their own goroutines, at most limit at once (limit < 1: no limit),
// and returns the first error any of them returns, or nil. A task that panics fails with a
// *PanicError. The first failure cancels the context the tasks receive, so that the others can stop
// early, and the tasks that have not started by then are never started. FirstError returns only after
// every task it started has returned. If ctx ends, the tasks see it through their context.
func FirstError(ctx context.Context, limit int, tasks []func(context.Context) error) error {
	// TODO: errgroup.WithContext(ctx) (package golang.org/x/sync/errgroup), SetLimit if limit > 0,
	// one g.Go per task that first checks the group's ctx and then runs the task through Safe with
	// the group's ctx; return g.Wait().
	panic("TODO: implement FirstError (day5_futures/errhandling)")
}

// All runs every task to the end on its own goroutine, at most limit at once (limit < 1: no limit),
// and returns errors.Join of all their errors in the order of tasks, or nil if none failed. A task
// that panics fails with a *PanicError. A failure cancels nothing: the tasks receive ctx itself.
func All(ctx context.Context, limit int, tasks []func(context.Context) error) error {
	// TODO: a plain errgroup.Group (no WithContext: nothing is cancelled) with SetLimit, each task's
	// error (through Safe) stored at its own index of a slice; after g.Wait(), errors.Join the slice.
	panic("TODO: implement All (day5_futures/errhandling)")
}
