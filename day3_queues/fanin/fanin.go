// Package fanin spreads work over several goroutines (fan-out) and gathers their results into one
// channel (fan-in), in any order or in input order.
//
// Like pipeline stages, these functions own the channels they return: they close them when they are
// done, and they stop as soon as ctx ends, even if nobody receives any more and the inputs never
// close. When a returned channel is closed, every goroutine they started has finished. A returned
// channel may be buffered: values already in its buffer when ctx ended can still be received before
// the close.
package fanin

import "context"

// Merge forwards every value received from any of ins to the returned channel, and closes it once
// every input is closed. Values from one input keep their order; values from different inputs
// interleave in any order. If ctx ends first, Merge stops and closes the output without waiting for
// the inputs.
func Merge[T any](ctx context.Context, ins ...<-chan T) <-chan T {
	// TODO: one forwarding goroutine per input; close the output only after ALL of them are done
	// (a sync.WaitGroup and one more goroutine that waits on it).
	panic("TODO: implement Merge (day3_queues/fanin)")
}

// ParallelMap calls f on every value received from in, on workers goroutines at once, and sends the
// results to the returned channel in the order they are ready. At most workers calls of f run at
// once. The output is closed once in is closed and every result has been sent, or once ctx ends
// (results not sent by then are dropped; f receives ctx so it can stop early). ParallelMap panics if
// workers < 1.
func ParallelMap[In, Out any](ctx context.Context, in <-chan In, workers int, f func(context.Context, In) Out) <-chan Out {
	// TODO: start workers goroutines that all receive from in and send to one output channel.
	panic("TODO: implement ParallelMap (day3_queues/fanin)")
}

// OrderedParallelMap is ParallelMap with the results sent in the order their inputs arrived. At most
// workers calls of f run at once, and at most workers results wait while an earlier one is still
// being computed. OrderedParallelMap panics if workers < 1.
func OrderedParallelMap[In, Out any](ctx context.Context, in <-chan In, workers int, f func(context.Context, In) Out) <-chan Out {
	// TODO: give each input a result channel (buffered, size 1) and queue those channels in input
	// order on a channel of capacity workers; one goroutine waits on them in that order and sends
	// the results on.
	panic("TODO: implement OrderedParallelMap (day3_queues/fanin)")
}
