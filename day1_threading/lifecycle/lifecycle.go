// Package lifecycle is Day 1's second exercise: a goroutine with an owner who can start it, ask it to
// stop, and wait for it to end (Python's Thread.start, is_alive and join, plus the stop flag Python
// makes you write yourself).
package lifecycle

import (
	"context"
	"errors"
)

// State is where a Worker is in its life. It only moves forward: New → Running → (Stopping →) Stopped.
type State int

const (
	// New: created, Start not called yet.
	New State = iota
	// Running: Start has launched the goroutine and nobody has asked it to stop.
	Running
	// Stopping: Stop was called, the context is cancelled, and the goroutine has not returned yet.
	Stopping
	// Stopped: the goroutine has returned (or Stop was called before Start, so it never ran).
	Stopped
)

// String returns the state's name, such as "Stopped", so that tests and logs print names, not numbers.
// It is given: there is nothing to write here.
func (s State) String() string {
	switch s {
	case New:
		return "New"
	case Running:
		return "Running"
	case Stopping:
		return "Stopping"
	case Stopped:
		return "Stopped"
	}
	return "State(?)"
}

// ErrStarted is returned by Start when the worker is not New (already started, or stopped).
var ErrStarted = errors.New("lifecycle: worker already started or stopped")

// Worker runs one function on its own goroutine. Every method is safe to call from many goroutines
// at once.
type Worker struct {
	// TODO: add the fields you need: the function, a sync.Mutex guarding the state, the cancel
	// function of the worker's context, a channel closed when the goroutine has returned, the error.
}

// NewWorker returns a Worker in state New that will run fn once started. fn must return when its
// context is cancelled; what it returns is what Wait and Stop return.
func NewWorker(fn func(ctx context.Context) error) *Worker {
	// TODO: store fn and make the "done" channel.
	panic("TODO: implement NewWorker (day1_threading/lifecycle)")
}

// Start moves the worker from New to Running and calls fn on a new goroutine with a context derived
// from ctx: cancelling ctx stops the worker just like Stop does. When fn returns, on its own or
// because it was asked to stop, the worker becomes Stopped and fn's context is cancelled, releasing
// what it holds. Start returns ErrStarted, and does nothing else, if the worker is not New.
func (w *Worker) Start(ctx context.Context) error {
	// TODO: under the lock, check the state, derive a cancellable context, set Running, start the
	// goroutine. The goroutine runs fn, records its error, sets Stopped, cancels the context, then
	// closes the done channel.
	panic("TODO: implement Worker.Start (day1_threading/lifecycle)")
}

// Stop asks the worker to stop by cancelling fn's context (Running becomes Stopping), then waits until
// the goroutine has returned and returns fn's error, like Wait. When Stop returns the state is Stopped
// and fn is no longer running. Stop may be called any number of times, from any goroutine; calling it
// on a New worker makes it Stopped without ever running fn (Stop then returns nil).
func (w *Worker) Stop() error {
	// TODO: under the lock, move New → Stopped (closing done) or Running → Stopping (cancelling);
	// then wait like Wait. Never close a channel twice.
	panic("TODO: implement Worker.Stop (day1_threading/lifecycle)")
}

// Wait blocks until the worker is Stopped and returns fn's error (nil if fn never ran). It does not
// ask the worker to stop.
func (w *Worker) Wait() error {
	// TODO: wait for the done channel, then return the error.
	panic("TODO: implement Worker.Wait (day1_threading/lifecycle)")
}

// State reports the worker's current state.
func (w *Worker) State() State {
	// TODO: read the state under the lock.
	panic("TODO: implement Worker.State (day1_threading/lifecycle)")
}
