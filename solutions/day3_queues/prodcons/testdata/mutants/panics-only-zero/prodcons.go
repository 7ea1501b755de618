// Mutant: Run panics only for consumers == 0, so with a negative count it starts no consumer and blocks forever.
// Package prodcons runs producers and consumers that share one channel: Go's answer to threads
// sharing a queue.Queue. The channel is the queue, closing it says "no more items", and errgroup ties
// the goroutines' lifetimes and errors together.
package prodcons

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

// A Producer makes items and hands each one to emit. emit waits until a consumer takes the item and
// returns nil, or returns ctx.Err() once the run is being cancelled; the producer must then stop and
// return. ctx is cancelled as soon as any producer or consumer fails.
type Producer[T any] func(ctx context.Context, emit func(T) error) error

// A Consumer handles one item. Returning an error cancels the whole run.
type Consumer[T any] func(ctx context.Context, item T) error

// Run runs each producer on its own goroutine, and consumers goroutines that pass the emitted items to
// consume, and returns when all of them have finished:
//
//   - every item whose emit returned nil is passed to exactly one consume call;
//   - the items channel is closed exactly once, after the last producer has returned, and the
//     consumers stop when they have drained it;
//   - the first error returned by a producer or by consume cancels the context given to all of them,
//     and Run returns that error; cancelling ctx stops the run the same way;
//   - Run never returns while a producer or a consume call is still running.
//
// Run panics if consumers < 1.
func Run[T any](ctx context.Context, producers []Producer[T], consumers int, consume Consumer[T]) error {
	if consumers == 0 {

		panic("prodcons: Run needs at least one consumer")
	}
	g, ctx := errgroup.WithContext(ctx)
	items := make(chan T)

	emit := func(v T) error {
		select {
		case items <- v:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	// The producers share the channel, so none of them may close it: a separate goroutine, the
	// channel's one owner, closes it after the last producer returns.
	var producing sync.WaitGroup
	for _, produce := range producers {
		producing.Add(1)
		g.Go(func() error {
			defer producing.Done()
			return produce(ctx, emit)
		})
	}
	g.Go(func() error {
		producing.Wait()
		close(items)
		return nil
	})

	for range consumers {
		g.Go(func() error {
			for {
				select {
				case v, ok := <-items:
					if !ok {
						return nil
					}
					if err := consume(ctx, v); err != nil {
						return err
					}
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		})
	}
	return g.Wait()
}
