package scheduler

import (
	"container/heap"
	"time"
)

// run is one pending or running execution of a task: a one-off task's attempt, or one occurrence of
// a periodic task.
type run struct {
	task *task
	// at is when the run is due (jitter included).
	at time.Time
	// slot is the occurrence's place on a FixedRate task's grid (at without the jitter): the next
	// occurrence's slot is slot + Every. Unused for other tasks.
	slot time.Time
	// attempt counts a one-off task's tries: 1 for the first run, 2 for the first retry, and so on.
	attempt int

	seq   uint64 // order of arrival in the queue, the last tie-breaker
	index int    // position in the heap, kept by runQueue
}

// runQueue is a min-heap of pending runs, for container/heap: the run due first on top; among runs
// due at the same time the highest Priority, then the one queued first. Use it through push and
// heap.Pop.
type runQueue []*run

func (q runQueue) Len() int { return len(q) }

func (q runQueue) Less(i, j int) bool {
	a, b := q[i], q[j]
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	if a.task.Priority != b.task.Priority {
		return a.task.Priority > b.task.Priority
	}
	return a.seq < b.seq
}

func (q runQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *runQueue) Push(x any) {
	r := x.(*run)
	r.index = len(*q)
	*q = append(*q, r)
}

func (q *runQueue) Pop() any {
	old := *q
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	r.index = -1
	return r
}

// peek returns the run due first, or nil if the queue is empty.
//
//lint:ignore U1000 given: loop uses it once you write it
func (q runQueue) peek() *run {
	if len(q) == 0 {
		return nil
	}
	return q[0]
}

var _ heap.Interface = (*runQueue)(nil)
