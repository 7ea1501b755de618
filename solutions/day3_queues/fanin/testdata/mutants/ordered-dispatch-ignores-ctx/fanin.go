// Mutant: OrderedParallelMap's dispatcher hands out jobs with plain sends, so after ctx ends it blocks forever and the output is never closed.
// Package fanin spreads work over several goroutines (fan-out) and gathers their results into one
// channel (fan-in), in any order or in input order.
//
// Like pipeline stages, these functions own the channels they return: they close them when they are
// done, and they stop as soon as ctx ends, even if nobody receives any more and the inputs never
// close. When a returned channel is closed, every goroutine they started has finished.
package fanin

import (
	"context"
	"sync"
)

// Merge forwards every value received from any of ins to the returned channel, and closes it once
// every input is closed. Values from one input keep their order; values from different inputs
// interleave in any order. If ctx ends first, Merge stops and closes the output without waiting for
// the inputs.
func Merge[T any](ctx context.Context, ins ...<-chan T) <-chan T {
	out := make(chan T)
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Go(func() {
			for v, ok := recv(ctx, in); ok; v, ok = recv(ctx, in) {
				if !send(ctx, out, v) {
					return
				}
			}
		})
	}
	// Only when the last forwarder is done is it safe to close out.
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// ParallelMap calls f on every value received from in, on workers goroutines at once, and sends the
// results to the returned channel in the order they are ready. At most workers calls of f run at
// once. The output is closed once in is closed and every result has been sent, or once ctx ends
// (results not sent by then are dropped; f receives ctx so it can stop early). ParallelMap panics if
// workers < 1.
func ParallelMap[In, Out any](ctx context.Context, in <-chan In, workers int, f func(context.Context, In) Out) <-chan Out {
	if workers < 1 {
		panic("fanin: need at least one worker")
	}
	out := make(chan Out)
	var wg sync.WaitGroup
	for range workers { // fan-out: the workers share one input channel
		wg.Go(func() {
			for v, ok := recv(ctx, in); ok; v, ok = recv(ctx, in) {
				if !send(ctx, out, f(ctx, v)) { // fan-in: and one output channel
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// OrderedParallelMap is ParallelMap with the results sent in the order their inputs arrived. At most
// workers calls of f run at once, and at most workers results wait while an earlier one is still
// being computed. OrderedParallelMap panics if workers < 1.
func OrderedParallelMap[In, Out any](ctx context.Context, in <-chan In, workers int, f func(context.Context, In) Out) <-chan Out {
	if workers < 1 {
		panic("fanin: need at least one worker")
	}
	type job struct {
		v   In
		res chan Out // buffered: a worker never waits to hand over its result
	}
	jobs := make(chan job)
	// pending holds each job's result channel in input order; its capacity bounds the look-ahead.
	pending := make(chan chan Out, workers)
	var wg sync.WaitGroup

	wg.Go(func() { // the dispatcher
		defer close(jobs)
		defer close(pending)
		for v, ok := recv(ctx, in); ok; v, ok = recv(ctx, in) {
			res := make(chan Out, 1)
			pending <- res
			jobs <- job{v, res}

		}
	})
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.res <- f(ctx, j.v)
			}
		})
	}

	out := make(chan Out)
	go func() { // the sequencer: waits for the results one by one, in order
		defer close(out)
		defer wg.Wait()
		for res := range pending {
			v, ok := recv(ctx, res)
			if !ok || !send(ctx, out, v) {
				return
			}
		}
	}()
	return out
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
