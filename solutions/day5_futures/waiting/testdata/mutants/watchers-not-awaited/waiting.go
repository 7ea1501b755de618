// Mutant: AsCompleted cancels its watchers when the loop ends but does not wait for them: they may still be running after the range statement has finished.
// Package waiting is Day 5's third exercise: waiting on many futures at once, the Go counterparts of
// Python's concurrent.futures.as_completed and concurrent.futures.wait. AsCompleted is an iterator
// (iter.Seq2, Go 1.23) that a caller ranges over; Wait returns when one, all, or the first failing
// future is done.
package waiting

import (
	"context"
	"iter"
	"sync"
)

// The future below is given, finished. (Exercise day5_futures/future builds a complete one.)

// Future is a result of type T that will be available later. Its methods are safe for concurrent use.
type Future[T any] struct {
	once sync.Once
	done chan struct{} // closed by the first Complete
	val  T
	err  error
}

// New returns a future that is not done yet.
func New[T any]() *Future[T] { return &Future[T]{done: make(chan struct{})} }

// Complete makes the future done with v and err. Only the first call has an effect.
func (f *Future[T]) Complete(v T, err error) {
	f.once.Do(func() {
		f.val, f.err = v, err
		close(f.done)
	})
}

// Done returns a channel that is closed when the future is done.
func (f *Future[T]) Done() <-chan struct{} { return f.done }

// Result waits until the future is done and returns its value and error, or until ctx ends and
// returns the zero value and ctx.Err(). A future that is done returns its outcome at once, even when
// ctx has ended.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	select {
	case <-f.done:
		return f.val, f.err
	default:
	}
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// AsCompleted returns an iterator over futures that yields each future once, with a nil error, as
// it becomes done: in the order they complete, not the order of the slice (futures that were done
// before the loop started come in any order). futures must not hold the same future twice. If ctx ends before every future has been
// yielded, the iterator yields (nil, ctx.Err()) once and stops.
//
// However the loop ends — every future yielded, a break, or ctx ending — every goroutine the
// iterator started has exited by the time the range statement finishes.
func AsCompleted[T any](ctx context.Context, futures []*Future[T]) iter.Seq2[*Future[T], error] {
	return func(yield func(*Future[T], error) bool) {
		watch, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup // counts the watchers, but nobody waits for them
		defer stop()
		completed := make(chan *Future[T])
		for _, f := range futures {
			wg.Go(func() {
				select {
				case <-f.Done():
					select {
					case completed <- f:
					case <-watch.Done():
					}
				case <-watch.Done():
				}
			})
		}
		for range futures {
			select {
			case f := <-completed:
				if !yield(f, nil) {
					return
				}
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			}
		}
	}
}

// Mode says when Wait returns.
type Mode int

const (
	// AllCompleted returns when every future is done.
	AllCompleted Mode = iota
	// FirstCompleted returns when any future is done.
	FirstCompleted
	// FirstError returns when any future is done with a non-nil error, or when every future is done.
	FirstError
)

// Wait blocks until the condition of mode holds, or until ctx ends, and then splits futures into
// those done and those not done at that moment, each in the order of futures. err is nil if the
// condition held, and ctx.Err() if ctx ended first. With no futures, Wait returns at once.
func Wait[T any](ctx context.Context, futures []*Future[T], mode Mode) (done, pending []*Future[T], err error) {
	for f, ctxErr := range AsCompleted(ctx, futures) {
		if ctxErr != nil {
			err = ctxErr
			break
		}
		if mode == FirstCompleted {
			break
		}
		if _, ferr := f.Result(ctx); mode == FirstError && ferr != nil {
			break
		}
	}
	for _, f := range futures {
		select {
		case <-f.Done():
			done = append(done, f)
		default:
			pending = append(pending, f)
		}
	}
	return done, pending, err
}
