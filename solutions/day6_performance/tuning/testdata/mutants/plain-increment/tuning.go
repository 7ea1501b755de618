// Mutant: AtomicCounter uses a plain int64 with n++ and a plain read: lost updates and a data race.
// Package tuning is Day 6's fifth exercise: four ways to make correct concurrent code faster, each
// measured by a benchmark before you believe it. A counter updated with one atomic instruction
// instead of a lock; a counter split into shards, each on its own cache line, so that cores stop
// fighting over one line (false sharing); values sent over a channel in batches, so that a million
// values cost thousands of channel operations, not a million; and buffers reused through a
// sync.Pool, so that a hot path allocates nothing.
package tuning

import (
	"io"
	"strconv"
	"sync"
	"sync/atomic"
)

// MutexCounter is the baseline: a counter guarded by a mutex. It is given, working.
type MutexCounter struct {
	mu sync.Mutex
	n  int64
}

// Inc adds one.
func (c *MutexCounter) Inc() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

// Value returns the count.
func (c *MutexCounter) Value() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// AtomicCounter is a counter updated with atomic operations, no lock. The zero value is ready to use.
type AtomicCounter struct {
	n int64
}

// Inc adds one.
func (c *AtomicCounter) Inc() { c.n++ }

// Value returns the count.
func (c *AtomicCounter) Value() int64 { return c.n }

// CacheLine is the size in bytes of a cache line on the processors Go runs on most (x86-64, most
// arm64): the unit in which cores own memory.
const CacheLine = 64

// Shard is one part of a ShardedCounter: a counter alone on its cache line, padded so that its
// size is a multiple of CacheLine and no two shards' counters share a line.
type Shard struct {
	n atomic.Int64
	_ [CacheLine - 8]byte // the rest of the line: the next shard starts on the next line
}

// ShardedCounter spreads increments over shards, so that goroutines on different cores update
// different cache lines. Value sums the shards.
type ShardedCounter struct {
	shards []Shard
}

// NewShardedCounter returns a counter with n shards. It panics if n < 1.
func NewShardedCounter(n int) *ShardedCounter {
	if n < 1 {
		panic("tuning: a ShardedCounter needs at least one shard")
	}
	return &ShardedCounter{shards: make([]Shard, n)}
}

// Inc adds one to the shard of worker: worker modulo the number of shards. Give each goroutine its
// own worker number (0, 1, 2, ...), so that they update different shards. worker must not be negative.
func (c *ShardedCounter) Inc(worker int) { c.shards[worker%len(c.shards)].n.Add(1) }

// Value returns the sum of the shards. While increments go on, it is a value the counter had at
// some moment during the call, or close to one.
func (c *ShardedCounter) Value() int64 {
	var sum int64
	for i := range c.shards {
		sum += c.shards[i].n.Load()
	}
	return sum
}

// Shards returns each shard's count, in shard order.
func (c *ShardedCounter) Shards() []int64 {
	counts := make([]int64, len(c.shards))
	for i := range c.shards {
		counts[i] = c.shards[i].n.Load()
	}
	return counts
}

// Batch runs produce on a new goroutine and sends the values it emits on the returned channel in
// slices of size values, in the order they were emitted, plus one shorter slice for the values left
// when produce returns (none if no value is left). It closes the returned channel after the last
// slice. Each slice is the receiver's to keep: Batch never writes to a slice after it sent it. The
// receiver must read until the channel is closed. Batch panics if size < 1.
//
// A channel operation costs far more than appending to a slice: n values cost n/size of them.
func Batch(size int, produce func(emit func(int))) <-chan []int {
	if size < 1 {
		panic("tuning: Batch needs a size of at least 1")
	}
	out := make(chan []int)
	go func() {
		defer close(out)
		batch := make([]int, 0, size)
		produce(func(v int) {
			batch = append(batch, v)
			if len(batch) == size {
				out <- batch
				batch = make([]int, 0, size) // a new slice: the one just sent belongs to the receiver
			}
		})
		if len(batch) > 0 {
			out <- batch
		}
	}()
	return out
}

// Encoder writes records as text lines. It is safe for concurrent use, and once warmed up it
// allocates nothing per line: its scratch buffers come from a sync.Pool.
type Encoder struct {
	buffers sync.Pool // of *[]byte
}

// Encode writes one line to w: name, a colon, and the values separated by commas, then a newline,
// in a single call of w.Write. For example "temp:21,-3,7\n".
func (e *Encoder) Encode(w io.Writer, name string, values []int) error {
	bp, _ := e.buffers.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	buf := append((*bp)[:0], name...)
	buf = append(buf, ':')
	for i, v := range values {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(buf, int64(v), 10)
	}
	buf = append(buf, '\n')
	_, err := w.Write(buf)
	*bp = buf // keep the grown buffer for next time, and only once w is done with it
	e.buffers.Put(bp)
	return err
}
