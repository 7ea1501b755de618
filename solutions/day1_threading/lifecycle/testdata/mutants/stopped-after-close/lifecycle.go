// Mutant: the goroutine closes done before it sets Stopped, so Wait and Stop can return while the state still says Running or Stopping.
// Package lifecycle is Day 1's second exercise: a goroutine with an owner who can start it, ask it to
// stop, and wait for it to end (Python's Thread.start, is_alive and join, plus the stop flag Python
// makes you write yourself).
package lifecycle

import (
	"context"
	"errors"
	"sync"
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
	fn   func(ctx context.Context) error
	done chan struct{} // closed once the worker is Stopped

	mu     sync.Mutex
	state  State
	cancel context.CancelFunc

	err error // written before done is closed, read after
}

// NewWorker returns a Worker in state New that will run fn once started. fn must return when its
// context is cancelled; what it returns is what Wait and Stop return.
func NewWorker(fn func(ctx context.Context) error) *Worker {
	return &Worker{fn: fn, done: make(chan struct{})}
}

// Start moves the worker from New to Running and calls fn on a new goroutine with a context derived
// from ctx: cancelling ctx stops the worker just like Stop does. When fn returns, on its own or
// because it was asked to stop, the worker becomes Stopped and fn's context is cancelled, releasing
// what it holds. Start returns ErrStarted, and does nothing else, if the worker is not New.
func (w *Worker) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != New {
		return ErrStarted
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.state = Running
	go w.run(ctx)
	return nil
}

func (w *Worker) run(ctx context.Context) {
	w.err = w.fn(ctx)
	w.cancel() // release the context's resources
	close(w.done)
	w.mu.Lock()
	w.state = Stopped
	w.mu.Unlock()
}

// Stop asks the worker to stop by cancelling fn's context (Running becomes Stopping), then waits until
// the goroutine has returned and returns fn's error, like Wait. When Stop returns the state is Stopped
// and fn is no longer running. Stop may be called any number of times, from any goroutine; calling it
// on a New worker makes it Stopped without ever running fn (Stop then returns nil).
func (w *Worker) Stop() error {
	w.mu.Lock()
	switch w.state {
	case New:
		w.state = Stopped
		close(w.done)
	case Running:
		w.state = Stopping
		w.cancel()
	}
	w.mu.Unlock()
	return w.Wait()
}

// Wait blocks until the worker is Stopped and returns fn's error (nil if fn never ran). It does not
// ask the worker to stop.
func (w *Worker) Wait() error {
	<-w.done
	return w.err
}

// State reports the worker's current state.
func (w *Worker) State() State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state
}
