// Mutant: Shutdown wakes one idle worker with Signal instead of all with Broadcast: the other idle workers never wake and Shutdown(wait) hangs (a lost wake-up).
// Package executor is Day 5's second exercise: a fixed pool of worker goroutines that runs submitted
// tasks and hands back futures, the Go counterpart of Python's ThreadPoolExecutor.
//
// Go methods cannot have type parameters of their own, so Submit and Map are functions that take the
// executor: executor.Submit(e, fn) is Python's e.submit(fn).
package executor

import (
	"context"
	"errors"
	"sync"
)

// The future below is given, finished: Submit returns it. (Exercise day5_futures/future builds a
// complete one, with callbacks and Cancel.) It is also the queued task: it holds the function to
// run and the link to the task queued after it, so that a task costs no allocation beyond its future.

// ErrCancelled is the error of a future whose task was cancelled by Shutdown before it started.
var ErrCancelled = errors.New("executor: task cancelled before it started")

// Future is the result of a task submitted to an Executor. Its methods are safe for concurrent use.
type Future[T any] struct {
	fn   func() (T, error) // the task; called by run
	link task              // the task queued after this one, while both are queued
	mu   sync.Mutex        // guards done and finished
	done chan struct{}     // made by the first Done, so that a future nobody waits on has none
	val  T
	err  error

	finished bool // complete was called; done, if made, is closed
}

// newFuture returns a future, not done yet, whose task is fn.
func newFuture[T any](fn func() (T, error)) *Future[T] { return &Future[T]{fn: fn} }

// task is a queued future of any result type.
type task interface {
	run()        // calls the future's function and completes the future with its outcome
	cancel()     // completes the future with ErrCancelled, without calling its function
	next() *task // the future's link to the task queued after it
}

func (f *Future[T]) run()        { f.complete(f.fn()) }
func (f *Future[T]) cancel()     { var zero T; f.complete(zero, ErrCancelled) }
func (f *Future[T]) next() *task { return &f.link }

// complete sets the outcome and closes Done. It must be called exactly once per future; a second
// call panics, because it is a bug in the executor.
func (f *Future[T]) complete(v T, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.finished {
		panic("executor: a future was completed twice")
	}
	f.val, f.err, f.finished = v, err, true
	if f.done != nil {
		close(f.done)
	}
}

// Done returns a channel that is closed when the future is done.
func (f *Future[T]) Done() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done == nil {
		f.done = make(chan struct{})
		if f.finished {
			close(f.done)
		}
	}
	return f.done
}

// Result waits until the future is done and returns its value and error, or until ctx ends and
// returns the zero value and ctx.Err().
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	done := f.Done()
	select {
	case <-done:
		return f.val, f.err
	default:
	}
	select {
	case <-done:
		return f.val, f.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// ErrShutdown is returned by Submit and Map once Shutdown has been called.
var ErrShutdown = errors.New("executor: shut down")

// Executor runs submitted tasks on a fixed number of worker goroutines. Its methods are safe for
// concurrent use. Use NewExecutor to make one and Shutdown to stop it.
type Executor struct {
	mu     sync.Mutex
	cond   *sync.Cond // signalled when a task is queued or the executor shuts down; uses mu
	head   task       // the oldest submitted task not yet started; the others follow through next
	tail   task       // the newest one
	closed bool       // Shutdown was called
	wg     sync.WaitGroup
}

// NewExecutor starts an executor with exactly workers worker goroutines: at most workers tasks run
// at once, and exactly workers when at least that many are waiting. The executor never starts a
// goroutine per task (it may keep one goroutine of its own beside the workers). It panics if
// workers < 1.
func NewExecutor(workers int) *Executor {
	if workers < 1 {
		panic("executor: NewExecutor needs at least one worker")
	}
	e := &Executor{}
	e.cond = sync.NewCond(&e.mu)
	for range workers {
		e.wg.Go(e.work)
	}
	return e
}

// work is one worker: it runs queued tasks, oldest first, until the executor is shut down and the
// queue is empty.
func (e *Executor) work() {
	for {
		e.mu.Lock()
		for e.head == nil && !e.closed {
			e.cond.Wait()
		}
		t := e.pop()
		e.mu.Unlock()
		if t == nil {
			return
		}
		t.run()
	}
}

// push queues t after every task already queued. The caller holds e.mu.
func (e *Executor) push(t task) {
	if e.tail == nil {
		e.head = t
	} else {
		*e.tail.next() = t
	}
	e.tail = t
}

// pop takes the oldest queued task off the queue, or returns nil if it is empty. The caller holds e.mu.
func (e *Executor) pop() task {
	t := e.head
	if t == nil {
		return nil
	}
	e.head, *t.next() = *t.next(), nil
	if e.head == nil {
		e.tail = nil
	}
	return t
}

// Submit queues fn to run on one of e's workers and returns its future at once, without waiting for
// a free worker. After Shutdown it returns ErrShutdown and no future.
func Submit[T any](e *Executor, fn func() (T, error)) (*Future[T], error) {
	f := newFuture(fn)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrShutdown
	}
	e.push(f)
	e.cond.Signal()
	return f, nil
}

// Map submits fn(item) for every item and returns the results in the order of items, whatever order
// the tasks finish in. If a task fails, Map returns the error of the first failing item in input
// order. If ctx ends first, Map returns ctx.Err() at once (the tasks already submitted still run).
func Map[T, R any](ctx context.Context, e *Executor, items []T, fn func(T) (R, error)) ([]R, error) {
	futures := make([]*Future[R], len(items))
	for i, item := range items {
		f, err := Submit(e, func() (R, error) { return fn(item) })
		if err != nil {
			return nil, err
		}
		futures[i] = f
	}
	results := make([]R, len(items))
	for i, f := range futures {
		v, err := f.Result(ctx)
		if err != nil {
			return nil, err
		}
		results[i] = v
	}
	return results, nil
}

// Shutdown stops e from accepting tasks: later calls of Submit return ErrShutdown. With cancelPending,
// the tasks not yet started never run and their futures fail with ErrCancelled; otherwise they still
// run. With wait, Shutdown returns only after every task that will run has finished and every worker
// has exited; without it, Shutdown returns at once and the workers exit on their own when the work
// is done. Shutdown may be called more than once.
func (e *Executor) Shutdown(wait, cancelPending bool) {
	e.mu.Lock()
	e.closed = true
	var cancelled []task
	if cancelPending {
		for t := e.pop(); t != nil; t = e.pop() {
			cancelled = append(cancelled, t)
		}
	}
	e.cond.Signal()
	e.mu.Unlock()
	for _, t := range cancelled {
		t.cancel()
	}
	if wait {
		e.wg.Wait()
	}
}
