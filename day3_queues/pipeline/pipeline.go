// Package pipeline builds pipelines out of stages joined by channels: each stage receives values
// from the previous one, does its bit of work and sends results on to the next.
//
// Every stage follows the same rules, which are what keeps a pipeline from leaking:
//   - a stage starts one goroutine, which owns the stage's output channel: it is the only sender
//     and it closes the channel when it is done;
//   - it is done when its input is closed, or as soon as ctx ends, even if nobody receives from
//     its output any more and even if its input never closes.
//
// The output channel may be unbuffered or buffered: values that were already in its buffer when ctx
// ended can still be received, and then the channel is closed.
package pipeline

import "context"

// Generate returns a channel that yields values in order and is then closed. If ctx ends first, it
// stops and closes the channel.
func Generate[T any](ctx context.Context, values ...T) <-chan T {
	// TODO: start a goroutine that sends each value (or gives up on ctx.Done()), then closes the
	// channel.
	panic("TODO: implement Generate (day3_queues/pipeline)")
}

// Map returns a channel of f(v) for every v received from in, in the same order.
func Map[In, Out any](ctx context.Context, in <-chan In, f func(In) Out) <-chan Out {
	// TODO: every receive AND every send must also select on ctx.Done().
	panic("TODO: implement Map (day3_queues/pipeline)")
}

// Filter returns a channel of the values received from in for which keep returns true, in the same
// order.
func Filter[T any](ctx context.Context, in <-chan T, keep func(T) bool) <-chan T {
	// TODO: like Map, but pass on only the values keep accepts.
	panic("TODO: implement Filter (day3_queues/pipeline)")
}

// Batch returns a channel of the values received from in, grouped in order into slices of n. When
// in is closed, the values left over go out as one last, shorter batch; a batch is never empty. If
// ctx ends, the unfinished batch is dropped. Every batch is a new slice that the receiver owns. Batch
// panics if n < 1.
func Batch[T any](ctx context.Context, in <-chan T, n int) <-chan []T {
	// TODO: collect n values, send the batch, start a NEW slice; flush the rest when in closes.
	panic("TODO: implement Batch (day3_queues/pipeline)")
}

// Collect receives from in until it is closed and returns every value, in order, and nil. If ctx
// ends first, it returns the values received so far and ctx.Err().
func Collect[T any](ctx context.Context, in <-chan T) ([]T, error) {
	// TODO: receive in a loop that also selects on ctx.Done().
	panic("TODO: implement Collect (day3_queues/pipeline)")
}
