// Mutant: Filter ranges over its input without selecting on ctx.Done(), so while the input stays open it never notices that ctx ended.
// Package pipeline builds pipelines out of stages joined by channels: each stage receives values
// from the previous one, does its bit of work and sends results on to the next.
//
// Every stage follows the same rules, which are what keeps a pipeline from leaking:
//   - a stage starts one goroutine, which owns the stage's output channel: it is the only sender
//     and it closes the channel when it is done;
//   - it is done when its input is closed, or as soon as ctx ends, even if nobody receives from
//     its output any more and even if its input never closes.
package pipeline

import "context"

// Generate returns a channel that yields values in order and is then closed. If ctx ends first, it
// stops and closes the channel.
func Generate[T any](ctx context.Context, values ...T) <-chan T {
	out := make(chan T)
	go func() {
		defer close(out)
		for _, v := range values {
			if !send(ctx, out, v) {
				return
			}
		}
	}()
	return out
}

// Map returns a channel of f(v) for every v received from in, in the same order.
func Map[In, Out any](ctx context.Context, in <-chan In, f func(In) Out) <-chan Out {
	out := make(chan Out)
	go func() {
		defer close(out)
		for v, ok := recv(ctx, in); ok; v, ok = recv(ctx, in) {
			if !send(ctx, out, f(v)) {
				return
			}
		}
	}()
	return out
}

// Filter returns a channel of the values received from in for which keep returns true, in the same
// order.
func Filter[T any](ctx context.Context, in <-chan T, keep func(T) bool) <-chan T {
	out := make(chan T)
	go func() {
		defer close(out)
		for v := range in {
			if keep(v) && !send(ctx, out, v) {
				return
			}
		}

	}()
	return out
}

// Batch returns a channel of the values received from in, grouped in order into slices of n. When
// in is closed, the values left over go out as one last, shorter batch; a batch is never empty. If
// ctx ends, the unfinished batch is dropped. Every batch is a new slice that the receiver owns. Batch
// panics if n < 1.
func Batch[T any](ctx context.Context, in <-chan T, n int) <-chan []T {
	if n < 1 {
		panic("pipeline: batch size must be at least 1")
	}
	out := make(chan []T)
	go func() {
		defer close(out)
		batch := make([]T, 0, n)
		for {
			v, ok := recv(ctx, in)
			if !ok {
				if len(batch) > 0 && ctx.Err() == nil {
					send(ctx, out, batch)
				}
				return
			}
			batch = append(batch, v)
			if len(batch) == n {
				if !send(ctx, out, batch) {
					return
				}
				batch = make([]T, 0, n) // the receiver owns the one just sent
			}
		}
	}()
	return out
}

// Collect receives from in until it is closed and returns every value, in order, and nil. If ctx
// ends first, it returns the values received so far and ctx.Err().
func Collect[T any](ctx context.Context, in <-chan T) ([]T, error) {
	var all []T
	for {
		select {
		case v, ok := <-in:
			if !ok {
				return all, nil
			}
			all = append(all, v)
		case <-ctx.Done():
			return all, ctx.Err()
		}
	}
}

// recv receives a value from in. It reports false when in is closed or ctx has ended.
func recv[T any](ctx context.Context, in <-chan T) (T, bool) {
	select {
	case v, ok := <-in:
		return v, ok
	case <-ctx.Done():
		var zero T
		return zero, false
	}
}

// send sends v on out. It reports false, without sending, if ctx ends first.
func send[T any](ctx context.Context, out chan<- T, v T) bool {
	select {
	case out <- v:
		return true
	case <-ctx.Done():
		return false
	}
}
