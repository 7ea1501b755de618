// Mutant: the func that context.AfterFunc runs broadcasts without taking the lock, so a cancel that comes between a waiter's ctx.Err() check and its Wait wakes nobody and that Pop waits forever (a lost wake-up).
// Package pqueue is Python's queue.PriorityQueue in Go: a priority queue on container/heap that many
// goroutines share, where Pop waits for an item.
package pqueue

import (
	"container/heap"
	"context"
	"sync"
)

// Queue is a priority queue safe for concurrent use. Pop returns the item with the smallest
// priority; items of equal priority come out in the order they were pushed (FIFO). Create one with
// New.
type Queue[T any] struct {
	mu       sync.Mutex
	nonEmpty *sync.Cond // signalled on Push, broadcast when a waiting Pop's context ends
	items    entries[T]
	seq      uint64 // push counter: the tie-breaker that keeps equal priorities FIFO
}

// New returns an empty queue.
func New[T any]() *Queue[T] {
	q := &Queue[T]{}
	q.nonEmpty = sync.NewCond(&q.mu)
	return q
}

// Push adds v with the given priority, and wakes one waiting Pop. It never blocks for long.
func (q *Queue[T]) Push(v T, priority int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	heap.Push(&q.items, entry[T]{value: v, priority: priority, seq: q.seq})
	q.seq++
	q.nonEmpty.Signal()
}

// Pop removes and returns the item with the smallest priority, waiting while the queue is empty. If
// ctx is done first, Pop returns the zero value and ctx.Err(). Pop never polls: a waiting Pop uses
// no CPU until a Push or the end of ctx wakes it.
func (q *Queue[T]) Pop(ctx context.Context) (T, error) {
	// A sync.Cond cannot select on ctx.Done(), so wake every waiter when ctx ends; each checks its
	// own context. Taking the lock first means the wake-up cannot fall between a waiter's check of
	// ctx.Err() and its Wait.
	stop := context.AfterFunc(ctx, func() {
		q.nonEmpty.Broadcast()
	})
	defer stop()

	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		if err := ctx.Err(); err != nil {
			var zero T
			return zero, err
		}
		q.nonEmpty.Wait()
	}
	return heap.Pop(&q.items).(entry[T]).value, nil
}

// TryPop removes and returns the item with the smallest priority if there is one, without waiting.
// The boolean reports whether it got an item.
func (q *Queue[T]) TryPop() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		var zero T
		return zero, false
	}
	return heap.Pop(&q.items).(entry[T]).value, true
}

// Len reports how many items are in the queue now.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

type entry[T any] struct {
	value    T
	priority int
	seq      uint64
}

// entries implements heap.Interface: a min-heap by priority, then by push order.
type entries[T any] []entry[T]

func (h entries[T]) Len() int { return len(h) }

func (h entries[T]) Less(i, j int) bool {
	if h[i].priority != h[j].priority {
		return h[i].priority < h[j].priority
	}
	return h[i].seq < h[j].seq
}

func (h entries[T]) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

func (h *entries[T]) Push(x any) { *h = append(*h, x.(entry[T])) }

func (h *entries[T]) Pop() any {
	old := *h
	n := len(old) - 1
	e := old[n]
	old[n] = entry[T]{} // drop the reference so the value can be collected
	*h = old[:n]
	return e
}
