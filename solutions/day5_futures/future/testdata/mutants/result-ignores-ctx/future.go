// Mutant: Result waits on the done channel alone and ignores ctx, so a caller whose ctx ends waits forever.
// Package future is Day 5's first exercise: a generic Future[T], the Go counterpart of Python's
// concurrent.futures.Future. A future is a placeholder for a result that some goroutine will produce
// later: whoever holds it can wait for the result with a context, watch its Done channel in a select,
// ask to be called back when it is done, or cancel it before the work has started.
//
// A future moves through three states, once each and in this order: pending (created, work not yet
// started), running (Start returned true) and done (completed with a value or an error, or
// cancelled). Done is final: nothing changes a done future.
package future

import (
	"context"
	"errors"
	"sync"
)

// ErrCancelled is the error of a future that was cancelled before it started.
var ErrCancelled = errors.New("future: cancelled before it started")

type state int

const (
	pending state = iota
	running
	done
)

// Future is a result of type T that will be available later. Its methods are safe for concurrent use.
// Use New to make one.
type Future[T any] struct {
	mu        sync.Mutex // guards state and callbacks; val and err are written once, before done closes
	state     state
	callbacks []func(*Future[T])
	done      chan struct{} // closed when the future becomes done
	val       T
	err       error
}

// New returns a pending future.
func New[T any]() *Future[T] {
	return &Future[T]{done: make(chan struct{})}
}

// Start moves a pending future to running and reports true: the caller may now do the work and must
// then call Complete. It reports false if the future is not pending (it was cancelled, or started or
// completed already); the caller must then not do the work. It is Python's
// set_running_or_notify_cancel.
func (f *Future[T]) Start() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state != pending {
		return false
	}
	f.state = running
	return true
}

// Complete makes the future done with the value v and the error err, closes Done and runs the
// callbacks, and reports true. If the future is done already, Complete changes nothing and reports
// false: the first outcome is final.
func (f *Future[T]) Complete(v T, err error) bool {
	return f.finish(false, v, err)
}

// Cancel makes a pending future done with ErrCancelled (closing Done and running the callbacks) and
// reports true. A future that is running or done cannot be cancelled: Cancel reports false and
// changes nothing.
func (f *Future[T]) Cancel() bool {
	var zero T
	return f.finish(true, zero, ErrCancelled)
}

// finish makes the future done, if it may, and runs the callbacks outside the lock, so that a
// callback may call any method of the future.
func (f *Future[T]) finish(onlyPending bool, v T, err error) bool {
	f.mu.Lock()
	if f.state == done || (onlyPending && f.state != pending) {
		f.mu.Unlock()
		return false
	}
	f.state = done
	f.val, f.err = v, err
	callbacks := f.callbacks
	f.callbacks = nil
	close(f.done)
	f.mu.Unlock()
	for _, cb := range callbacks {
		cb(f)
	}
	return true
}

// Done returns a channel that is closed when the future becomes done. It returns the same channel on
// every call.
func (f *Future[T]) Done() <-chan struct{} { return f.done }

// Result waits until the future is done and returns its value and error, or until ctx ends and
// returns the zero value and ctx.Err(). A future that is done already returns its outcome even when
// ctx has ended too.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	<-f.done
	return f.val, f.err
}

// AddDoneCallback arranges for cb to be called with the future exactly once, when it becomes done.
// Callbacks added before that run on the goroutine that completes or cancels the future, in the order
// they were added; a callback added to a future that is done already runs at once, on the caller's
// goroutine, before AddDoneCallback returns.
func (f *Future[T]) AddDoneCallback(cb func(*Future[T])) {
	f.mu.Lock()
	if f.state != done {
		f.callbacks = append(f.callbacks, cb)
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	cb(f)
}
