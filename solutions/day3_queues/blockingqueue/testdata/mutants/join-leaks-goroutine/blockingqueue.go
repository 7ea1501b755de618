// Mutant: Join waits for the count in a helper goroutine so it can select on ctx, and when ctx ends first that goroutine is left behind until the last TaskDone.
package blockingqueue

import (
	"context"
	"sync"
)

type Queue[T any] struct {
	mu         sync.Mutex
	cond       *sync.Cond
	items      []T
	capacity   int
	unfinished int
}

func New[T any](capacity int) *Queue[T] {
	if capacity < 1 {
		panic("blockingqueue: capacity must be at least 1")
	}
	q := &Queue[T]{capacity: capacity}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *Queue[T]) Put(ctx context.Context, v T) error {
	stop := context.AfterFunc(ctx, func() { q.mu.Lock(); q.cond.Broadcast(); q.mu.Unlock() })
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == q.capacity {
		if err := ctx.Err(); err != nil {
			return err
		}
		q.cond.Wait()
	}
	q.items = append(q.items, v)
	q.unfinished++
	q.cond.Broadcast()
	return nil
}

func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	stop := context.AfterFunc(ctx, func() { q.mu.Lock(); q.cond.Broadcast(); q.mu.Unlock() })
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		if err := ctx.Err(); err != nil {
			var zero T
			return zero, err
		}
		q.cond.Wait()
	}
	v := q.items[0]
	q.items = q.items[1:]
	q.cond.Broadcast()
	return v, nil
}

func (q *Queue[T]) TryGet() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		var zero T
		return zero, false
	}
	v := q.items[0]
	q.items = q.items[1:]
	q.cond.Broadcast()
	return v, true
}

func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

func (q *Queue[T]) TaskDone() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.unfinished == 0 {
		panic("blockingqueue: TaskDone called more times than items were put")
	}
	q.unfinished--
	q.cond.Broadcast()
}

// Join waits for the count in a goroutine, so that it can also select on ctx.Done(); when ctx ends
// first, that goroutine stays behind until the last TaskDone.
func (q *Queue[T]) Join(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		q.mu.Lock()
		for q.unfinished > 0 {
			q.cond.Wait()
		}
		q.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
