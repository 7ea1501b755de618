// Package pqueue is Python's queue.PriorityQueue in Go: a priority queue on container/heap that many
// goroutines share, where Pop waits for an item.
package pqueue

import "context"

// Queue is a priority queue safe for concurrent use. Pop returns the item with the smallest
// priority; items of equal priority come out in the order they were pushed (FIFO). Create one with
// New.
type Queue[T any] struct {
	// TODO: choose the fields: a mutex, a type implementing container/heap's heap.Interface,
	// something a waiting Pop can sleep on, and whatever keeps equal priorities in FIFO order.
}

// New returns an empty queue.
func New[T any]() *Queue[T] {
	// TODO: build an empty queue.
	panic("TODO: implement New (day3_queues/pqueue)")
}

// Push adds v with the given priority, and wakes one waiting Pop. It never blocks for long.
func (q *Queue[T]) Push(v T, priority int) {
	// TODO: heap.Push under the lock, then wake a waiting Pop.
	panic("TODO: implement Queue.Push (day3_queues/pqueue)")
}

// Pop removes and returns the item with the smallest priority, waiting while the queue is empty. If
// ctx is done first, Pop returns the zero value and ctx.Err(). Pop never polls: a waiting Pop uses
// no CPU until a Push or the end of ctx wakes it.
func (q *Queue[T]) Pop(ctx context.Context) (T, error) {
	// TODO: wait (without a sleep loop) until there is an item or ctx is done. sync.Cond cannot
	// select on ctx.Done(): look at context.AfterFunc.
	panic("TODO: implement Queue.Pop (day3_queues/pqueue)")
}

// TryPop removes and returns the item with the smallest priority if there is one, without waiting.
// The boolean reports whether it got an item.
func (q *Queue[T]) TryPop() (T, bool) {
	// TODO: take the smallest item if there is one.
	panic("TODO: implement Queue.TryPop (day3_queues/pqueue)")
}

// Len reports how many items are in the queue now.
func (q *Queue[T]) Len() int {
	// TODO: report the number of items, under the lock.
	panic("TODO: implement Queue.Len (day3_queues/pqueue)")
}
