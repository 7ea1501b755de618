// Mutant: TryGet checks Len and then receives, so two TryGets racing for the last item leave one of them waiting.
// Package blockingqueue is Python's queue.Queue in Go: a bounded FIFO queue that many goroutines
// share, with Python's task tracking (task_done and join).
//
// A buffered channel already is a bounded, blocking FIFO queue. What it lacks is task tracking:
// knowing when every item that went in has also been processed. TaskDone and Join add that.
package blockingqueue

import (
	"context"
	"sync"
)

// Queue is a bounded FIFO queue safe for concurrent use. Create one with New.
//
// Every item Put adds one unfinished task; TaskDone finishes one. Join waits until there are none.
type Queue[T any] struct {
	items chan T

	mu         sync.Mutex
	unfinished int
	idle       chan struct{} // closed while unfinished == 0
}

// New returns an empty queue that holds at most capacity items. It panics if capacity < 1.
func New[T any](capacity int) *Queue[T] {
	if capacity < 1 {
		panic("blockingqueue: capacity must be at least 1")
	}
	idle := make(chan struct{})
	close(idle)
	return &Queue[T]{items: make(chan T, capacity), idle: idle}
}

// Put adds v at the back of the queue, waiting while the queue is full. If ctx is done before there
// is room, Put returns ctx.Err() and v is not added (if ctx is already done but there is room, Put
// may still succeed). A successful Put adds one unfinished task.
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	// Count the task before the item becomes visible, so a fast consumer's TaskDone can never run
	// before the count that it undoes.
	q.mu.Lock()
	if q.unfinished == 0 {
		q.idle = make(chan struct{})
	}
	q.unfinished++
	q.mu.Unlock()

	select {
	case q.items <- v:
		return nil
	case <-ctx.Done():
		q.TaskDone() // v never went in
		return ctx.Err()
	}
}

// Get removes and returns the item at the front of the queue, waiting while the queue is empty. If
// ctx is done first, Get returns the zero value and ctx.Err().
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	select {
	case v := <-q.items:
		return v, nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// TryGet removes and returns the item at the front of the queue if there is one, without waiting.
// The boolean reports whether it got an item.
func (q *Queue[T]) TryGet() (T, bool) {
	if len(q.items) > 0 {
		return <-q.items, true
	}
	var zero T
	return zero, false
}


// Len reports how many items are in the queue now.
func (q *Queue[T]) Len() int { return len(q.items) }

// TaskDone marks one task finished: call it once for every item you got, after processing it. It
// panics if it is called more times than items were put.
func (q *Queue[T]) TaskDone() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.unfinished == 0 {
		panic("blockingqueue: TaskDone called more times than items were put")
	}
	q.unfinished--
	if q.unfinished == 0 {
		close(q.idle)
	}
}

// Join waits until every item put into the queue has been marked done with TaskDone, and returns
// nil. It returns at once if there are no unfinished tasks. If ctx is done first, Join returns
// ctx.Err().
func (q *Queue[T]) Join(ctx context.Context) error {
	q.mu.Lock()
	idle := q.idle
	q.mu.Unlock()

	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
