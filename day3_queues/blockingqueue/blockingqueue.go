// Package blockingqueue is Python's queue.Queue in Go: a bounded FIFO queue that many goroutines
// share, with Python's task tracking (task_done and join).
//
// A buffered channel already is a bounded, blocking FIFO queue. What it lacks is task tracking:
// knowing when every item that went in has also been processed. TaskDone and Join add that.
package blockingqueue

import "context"

// Queue is a bounded FIFO queue safe for concurrent use. Create one with New.
//
// Every item Put adds one unfinished task; TaskDone finishes one. Join waits until there are none.
type Queue[T any] struct {
	// TODO: choose the fields. A buffered channel can hold the items; the task count needs its
	// own lock, and Join needs something it can wait on together with ctx.Done().
}

// New returns an empty queue that holds at most capacity items. It panics if capacity < 1.
func New[T any](capacity int) *Queue[T] {
	// TODO: build an empty queue with room for capacity items.
	panic("TODO: implement New (day3_queues/blockingqueue)")
}

// Put adds v at the back of the queue, waiting while the queue is full. If ctx is done before there
// is room, Put returns ctx.Err() and v is not added (if ctx is already done but there is room, Put
// may still succeed). A successful Put adds one unfinished task.
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	// TODO: wait for room or for ctx.Done(), whichever comes first. Count the task before a
	// consumer can see the item, or its TaskDone may run before your count.
	panic("TODO: implement Queue.Put (day3_queues/blockingqueue)")
}

// Get removes and returns the item at the front of the queue, waiting while the queue is empty. If
// ctx is done first, Get returns the zero value and ctx.Err().
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	// TODO: wait for an item or for ctx.Done(), whichever comes first.
	panic("TODO: implement Queue.Get (day3_queues/blockingqueue)")
}

// TryGet removes and returns the item at the front of the queue if there is one, without waiting.
// The boolean reports whether it got an item.
func (q *Queue[T]) TryGet() (T, bool) {
	// TODO: take an item only if one is ready (select with a default case).
	panic("TODO: implement Queue.TryGet (day3_queues/blockingqueue)")
}

// Len reports how many items are in the queue now.
func (q *Queue[T]) Len() int {
	// TODO: report the number of items waiting in the queue.
	panic("TODO: implement Queue.Len (day3_queues/blockingqueue)")
}

// TaskDone marks one task finished: call it once for every item you got, after processing it. It
// panics if it is called more times than items were put.
func (q *Queue[T]) TaskDone() {
	// TODO: finish one task; when none are left, wake every Join.
	panic("TODO: implement Queue.TaskDone (day3_queues/blockingqueue)")
}

// Join waits until every item put into the queue has been marked done with TaskDone, and returns
// nil. It returns at once if there are no unfinished tasks. If ctx is done first, Join returns
// ctx.Err().
func (q *Queue[T]) Join(ctx context.Context) error {
	// TODO: wait until the unfinished count reaches zero, or ctx is done.
	panic("TODO: implement Queue.Join (day3_queues/blockingqueue)")
}
