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
)

// ErrCancelled is the error of a future that was cancelled before it started.
var ErrCancelled = errors.New("future: cancelled before it started")

// Future is a result of type T that will be available later. Its methods are safe for concurrent use.
// Use New to make one.
type Future[T any] struct {
	// TODO: add the fields you need. One design: a sync.Mutex guarding the state (pending, running,
	// done) and the list of callbacks not yet run; a channel closed when the future becomes done; the
	// value and the error, written once before that channel is closed.
}

// New returns a pending future.
func New[T any]() *Future[T] {
	// TODO: make the Future (a channel is not usable until you make it).
	panic("TODO: implement New (day5_futures/future)")
}

// Start moves a pending future to running and reports true: the caller may now do the work and must
// then call Complete. It reports false if the future is not pending (it was cancelled, or started or
// completed already); the caller must then not do the work. It is Python's
// set_running_or_notify_cancel.
func (f *Future[T]) Start() bool {
	// TODO: under the lock, pending → running.
	panic("TODO: implement Future.Start (day5_futures/future)")
}

// Complete makes the future done with the value v and the error err, closes Done and runs the
// callbacks, and reports true. If the future is done already, Complete changes nothing and reports
// false: the first outcome is final.
func (f *Future[T]) Complete(v T, err error) bool {
	// TODO: under the lock: if done already, report false; else store v and err, mark done, take
	// the callbacks and close the channel. Then, without the lock, run the callbacks.
	panic("TODO: implement Future.Complete (day5_futures/future)")
}

// Cancel makes a pending future done with ErrCancelled (closing Done and running the callbacks) and
// reports true. A future that is running or done cannot be cancelled: Cancel reports false and
// changes nothing.
func (f *Future[T]) Cancel() bool {
	// TODO: like Complete with ErrCancelled, but only from pending. (Share the code.)
	panic("TODO: implement Future.Cancel (day5_futures/future)")
}

// Done returns a channel that is closed when the future becomes done. It returns the same channel on
// every call.
func (f *Future[T]) Done() <-chan struct{} {
	// TODO: return the channel that completion closes.
	panic("TODO: implement Future.Done (day5_futures/future)")
}

// Result waits until the future is done and returns its value and error, or until ctx ends and
// returns the zero value and ctx.Err(). A future that is done already returns its outcome even when
// ctx has ended too.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	// TODO: select on the done channel and ctx.Done(). A select picks at random among ready cases,
	// so look at the done channel alone first.
	panic("TODO: implement Future.Result (day5_futures/future)")
}

// AddDoneCallback arranges for cb to be called with the future exactly once, when it becomes done.
// Callbacks added before that run on the goroutine that completes or cancels the future, in the order
// they were added; a callback added to a future that is done already runs at once, on the caller's
// goroutine, before AddDoneCallback returns.
func (f *Future[T]) AddDoneCallback(cb func(*Future[T])) {
	// TODO: under the lock, if not done, append cb. If done, run cb now, after unlocking (a callback
	// may call the future's methods).
	panic("TODO: implement Future.AddDoneCallback (day5_futures/future)")
}
