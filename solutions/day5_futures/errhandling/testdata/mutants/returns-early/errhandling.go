// Mutant: FirstError returns at the first error without waiting for the tasks it started: they keep running after it returns.
// Package errhandling is Day 5's fourth exercise: what happens when tasks fail. In Python an
// exception raised in a pool's task is stored in its future and raised again by result(). In Go a
// task returns an error, and a panic is worse than an exception: a panic that no function on its own
// goroutine recovers ends the whole program. This package turns panics into errors, runs tasks with
// errgroup so that the first failure cancels the rest, and reports every failure with errors.Join.
package errhandling

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"golang.org/x/sync/errgroup"
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
	err, _ := e.Value.(error)
	return err
}

// Safe calls fn on the caller's goroutine and returns what it returns. If fn panics, Safe recovers
// and returns the zero value and a *PanicError holding the panic's value and the stack of the
// panicking goroutine (so the stack shows the line that panicked).
func Safe[T any](fn func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn()
}

// FirstError runs the tasks on their own goroutines, at most limit at once (limit < 1: no limit),
// and returns the first error any of them returns, or nil. A task that panics fails with a
// *PanicError. The first failure cancels the context the tasks receive, so that the others can stop
// early, and the tasks that have not started by then are never started. FirstError returns only after
// every task it started has returned. If ctx ends, the tasks see it through their context.
func FirstError(ctx context.Context, limit int, tasks []func(context.Context) error) error {
	g, ctx := errgroup.WithContext(ctx)
	if limit > 0 {
		g.SetLimit(limit)
	}
	first := make(chan error, 1)
	for _, task := range tasks {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err // a task failed (or ctx ended) while this one waited for a slot
			}
			_, err := Safe(func() (struct{}, error) { return struct{}{}, task(ctx) })
			if err != nil {
				select {
				case first <- err:
				default:
				}
			}
			return err
		})
	}
	all := make(chan error, 1)
	go func() { all <- g.Wait() }()
	select {
	case err := <-first:
		return err
	case err := <-all:
		return err
	}
}

// All runs every task to the end on its own goroutine, at most limit at once (limit < 1: no limit),
// and returns errors.Join of all their errors in the order of tasks, or nil if none failed. A task
// that panics fails with a *PanicError. A failure cancels nothing: the tasks receive ctx itself.
func All(ctx context.Context, limit int, tasks []func(context.Context) error) error {
	var g errgroup.Group
	if limit > 0 {
		g.SetLimit(limit)
	}
	errs := make([]error, len(tasks))
	for i, task := range tasks {
		g.Go(func() error {
			_, errs[i] = Safe(func() (struct{}, error) { return struct{}{}, task(ctx) })
			return nil
		})
	}
	_ = g.Wait() // every goroutine returns nil; the errors are in errs
	return errors.Join(errs...)
}
