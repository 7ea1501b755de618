// Mutant: the tasks are a sync.WaitGroup and Join waits on it in a goroutine: Put's Add races with a Wait in progress, and a Join whose ctx ends leaves its goroutine behind.
package blockingqueue

import (
	"context"
	"sync"
)

type Queue[T any] struct {
	items chan T
	tasks sync.WaitGroup
}

func New[T any](capacity int) *Queue[T] {
	if capacity < 1 {
		panic("blockingqueue: capacity must be at least 1")
	}
	return &Queue[T]{items: make(chan T, capacity)}
}

func (q *Queue[T]) Put(ctx context.Context, v T) error {
	q.tasks.Add(1)
	select {
	case q.items <- v:
		return nil
	case <-ctx.Done():
		q.tasks.Done()
		return ctx.Err()
	}
}

func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	select {
	case v := <-q.items:
		return v, nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

func (q *Queue[T]) TryGet() (T, bool) {
	select {
	case v := <-q.items:
		return v, true
	default:
		var zero T
		return zero, false
	}
}

func (q *Queue[T]) Len() int { return len(q.items) }

// TaskDone panics with "negative WaitGroup counter" when called too often.
func (q *Queue[T]) TaskDone() { q.tasks.Done() }

// Join waits on the WaitGroup in a goroutine, so that it can also select on ctx.Done().
func (q *Queue[T]) Join(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		q.tasks.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
