package tuning

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hammer runs inc from goroutines goroutines, each calling it each times with its own worker
// number, while another goroutine keeps reading with value, so that the race detector sees readers
// beside writers. It returns once all are done.
func hammer(goroutines, each int, inc func(worker int), value func() int64) {
	var wg sync.WaitGroup
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
				_ = value()
				runtime.Gosched()
			}
		}
	}()
	for w := range goroutines {
		wg.Go(func() {
			for range each {
				inc(w)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-readerDone
}

func TestAtomicCounter(t *testing.T) {
	coursetest.CheckLeaks(t)
	for _, f := range reflect.VisibleFields(reflect.TypeFor[AtomicCounter]()) {
		if pkg := f.Type.PkgPath(); pkg == "sync" {
			t.Fatalf("AtomicCounter has a field %s of type %s: the point is to count without a lock, "+
				"with one atomic instruction (sync/atomic's Int64 has Add and Load)", f.Name, f.Type)
		}
	}
	// Many increments on several Ps: a Load followed by a Store is two steps, and loses updates when
	// two goroutines interleave them.
	coursetest.Procs(t, 4)
	const goroutines, each = 8, 20000
	var c AtomicCounter
	coursetest.Within(t, func() {
		hammer(goroutines, each, func(int) { c.Inc() }, c.Value)
	}, "the AtomicCounter test never finished")
	require.Equal(t, int64(goroutines*each), c.Value(),
		"%d goroutines called Inc %d times each: a lower count means lost updates (c.n++ is a read and a "+
			"write, not one atomic step)", goroutines, each)
	var base MutexCounter // the given baseline, under the same load
	coursetest.Within(t, func() {
		hammer(goroutines, each, func(int) { base.Inc() }, base.Value)
	}, "the MutexCounter baseline never finished")
	require.Equal(t, c.Value(), base.Value(), "AtomicCounter and the MutexCounter baseline disagree")
}

func TestShardLayout(t *testing.T) {
	NewShardedCounter(2) // the shards this test is about
	size := unsafe.Sizeof(Shard{})
	assert.True(t, size >= CacheLine && size%CacheLine == 0,
		"a Shard is %d bytes; it must fill whole cache lines (a multiple of CacheLine = %d), or two shards' "+
			"counters share a line and the cores updating them slow each other down (false sharing). "+
			"Pad it: _ [CacheLine - 8]byte after the counter", size, CacheLine)
}

func TestShardedCounter(t *testing.T) {
	t.Run("counts exactly", func(t *testing.T) {
		for _, shards := range []int{1, 3, 8} {
			coursetest.CheckLeaks(t)
			const goroutines, each = 8, 1000
			c := NewShardedCounter(shards)
			coursetest.Within(t, func() {
				hammer(goroutines, each, c.Inc, c.Value)
			}, "the ShardedCounter test never finished")
			require.Equal(t, int64(goroutines*each), c.Value(),
				"%d shards, %d goroutines × %d Inc: lost updates, or Value does not sum every shard", shards, goroutines, each)
			var sum int64
			for _, n := range c.Shards() {
				sum += n
			}
			require.Equal(t, c.Value(), sum, "Value must be the sum of Shards")
		}
	})
	t.Run("worker modulo shards", func(t *testing.T) {
		c := NewShardedCounter(3)
		for _, w := range []int{0, 1, 2, 4, 5, 5, 8, 300} {
			c.Inc(w)
		}
		// Shard 0 gets workers 0 and 300; shard 1 gets 1 and 4; shard 2 gets 2, 5, 5 and 8.
		assert.Equal(t, []int64{2, 2, 4}, c.Shards(),
			"Inc(worker) adds to shard worker %% 3, so that each goroutine keeps to its own shard")
	})
	t.Run("NewShardedCounter(0) panics", func(t *testing.T) {
		assert.Panics(t, func() { NewShardedCounter(0) }, "a counter with no shard cannot count: NewShardedCounter must panic for n < 1")
	})
}

func TestBatch(t *testing.T) {
	for _, tc := range []struct {
		n, size int
		want    []int // the batch sizes
	}{
		{n: 10, size: 3, want: []int{3, 3, 3, 1}},
		{n: 9, size: 3, want: []int{3, 3, 3}},
		{n: 2, size: 5, want: []int{2}},
		{n: 0, size: 4, want: nil},
		{n: 5, size: 1, want: []int{1, 1, 1, 1, 1}},
	} {
		t.Run(fmt.Sprintf("%d values in batches of %d", tc.n, tc.size), func(t *testing.T) {
			coursetest.CheckLeaks(t)
			var batches [][]int
			coursetest.Within(t, func() {
				produce := func(emit func(int)) {
					for v := range tc.n {
						emit(v)
					}
				}
				for b := range Batch(tc.size, produce) {
					batches = append(batches, b) // kept, and read only after the last one came
				}
			}, "Batch's output was never closed after produce returned: close it after sending the last batch")
			var sizes, values []int
			for _, b := range batches {
				sizes = append(sizes, len(b))
				values = append(values, b...)
			}
			assert.Equal(t, tc.want, sizes, "%d values in batches of %d: every batch full but the last, "+
				"and no empty batch", tc.n, tc.size)
			for i, v := range values {
				if v != i {
					t.Fatalf("value %d of the batches is %d, want %d: the values must come in order, each once; "+
						"if earlier batches changed after they were sent, Batch reused their slice (make a new "+
						"one after each send)", i, v, i)
				}
			}
			assert.Len(t, values, tc.n, "every value must arrive in a batch")
		})
	}
	t.Run("size < 1 panics", func(t *testing.T) {
		assert.Panics(t, func() { Batch(0, func(func(int)) {}) }, "Batch with size 0 must panic")
	})
}

// countingWriter counts its Write calls and keeps what was written.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestEncoderFormat(t *testing.T) {
	var e Encoder
	for _, tc := range []struct {
		name   string
		values []int
		want   string
	}{
		{"temp", []int{21, -3, 7}, "temp:21,-3,7\n"},
		{"x", nil, "x:\n"},
		{"", []int{0}, ":0\n"},
		{"long", []int{-9223372036854775808, 9223372036854775807}, "long:-9223372036854775808,9223372036854775807\n"},
		{"temp", []int{1}, "temp:1\n"}, // after a long line: a reused buffer must start empty
	} {
		var w countingWriter
		require.NoError(t, e.Encode(&w, tc.name, tc.values))
		assert.Equal(t, tc.want, w.String(), "Encode(%q, %v)", tc.name, tc.values)
		assert.Equal(t, 1, w.writes, "Encode must write the line in one call of w.Write, not piece by piece")
	}
	// Many lines through one Encoder: each must be right, whichever buffer the pool hands out.
	for i := range 50 {
		var w countingWriter
		require.NoError(t, e.Encode(&w, "n", []int{i}))
		require.Equal(t, fmt.Sprintf("n:%d\n", i), w.String(), "line %d through a reused Encoder is wrong: "+
			"reset the buffer from the pool (buf[:0]) before you append", i)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrShortWrite }

func TestEncoderConcurrentAndErrors(t *testing.T) {
	coursetest.CheckLeaks(t)
	var e Encoder
	assert.ErrorIs(t, e.Encode(failingWriter{}, "a", []int{1}), io.ErrShortWrite, "Encode returns w.Write's error")
	var wg sync.WaitGroup
	out := make([]bytes.Buffer, 8)
	for g := range out {
		wg.Go(func() {
			for i := range 200 {
				if err := e.Encode(&out[g], fmt.Sprint("g", g), []int{i, g}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	coursetest.Within(t, wg.Wait, "concurrent Encode calls never finished")
	for g := range out {
		lines := strings.Split(strings.TrimSuffix(out[g].String(), "\n"), "\n")
		require.Len(t, lines, 200, "goroutine %d's writer got the wrong number of lines", g)
		for i, l := range lines {
			require.Equal(t, fmt.Sprintf("g%d:%d,%d", g, i, g), l,
				"concurrent Encode calls mixed up their lines: two calls used the same buffer at once")
		}
	}
}

func TestEncoderAllocatesNothing(t *testing.T) {
	var e Encoder
	if raceEnabled {
		// The race detector makes sync.Pool drop a quarter of what is put back, on purpose, so a
		// pooled Encoder allocates now and then: about half an allocation per line on average,
		// against one (or more) for an Encoder that allocates a buffer for every line.
		const lines = 20000
		var before, after runtime.MemStats
		e.Encode(io.Discard, "t", []int{1})
		runtime.ReadMemStats(&before)
		for range lines {
			e.Encode(io.Discard, "t", []int{1})
		}
		runtime.ReadMemStats(&after)
		avg := float64(after.Mallocs-before.Mallocs) / lines
		assert.Less(t, avg, 0.8, "Encode allocated %.2f times per line on average; reusing buffers from a "+
			"sync.Pool (Get, then Put once w.Write is done) brings that to 0 (about 0.5 under -race, which "+
			"drops pooled buffers on purpose)", avg)
		return
	}
	values := []int{21, -3, 7, 1000000, -42}
	for range 10 {
		e.Encode(io.Discard, "temperature", values) // warm up: the pool's buffers grow to fit
	}
	allocs := testing.AllocsPerRun(1000, func() { e.Encode(io.Discard, "temperature", values) })
	assert.Zero(t, allocs, "once warmed up, Encode must allocate nothing per line (it did %v times): take "+
		"the buffer from a sync.Pool of *[]byte and put it back after w.Write", allocs)
}

// BenchmarkCounters compares the three counters under contention: go test -bench=Counters -cpu=1,2,4
func BenchmarkCounters(b *testing.B) {
	b.Run("mutex", func(b *testing.B) {
		var c MutexCounter
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Inc()
			}
		})
	})
	b.Run("atomic", func(b *testing.B) {
		var c AtomicCounter
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Inc()
			}
		})
	})
	b.Run("sharded", func(b *testing.B) {
		c := NewShardedCounter(runtime.GOMAXPROCS(0))
		var next sync.Mutex
		worker := 0
		b.RunParallel(func(pb *testing.PB) {
			next.Lock()
			w := worker
			worker++
			next.Unlock()
			for pb.Next() {
				c.Inc(w)
			}
		})
	})
}

// BenchmarkChannel compares sending values one by one over a channel with sending them in batches.
func BenchmarkChannel(b *testing.B) {
	const n = 1 << 16
	produce := func(emit func(int)) {
		for v := range n {
			emit(v)
		}
	}
	b.Run("one-by-one", func(b *testing.B) {
		for b.Loop() {
			ch := make(chan int)
			go func() {
				defer close(ch)
				produce(func(v int) { ch <- v })
			}()
			for range ch {
			}
		}
	})
	for _, size := range []int{16, 256} {
		b.Run(fmt.Sprintf("batches-of-%d", size), func(b *testing.B) {
			for b.Loop() {
				for range Batch(size, produce) {
				}
			}
		})
	}
}

// BenchmarkEncode compares the pooled Encoder with a fresh buffer per line.
func BenchmarkEncode(b *testing.B) {
	values := []int{21, -3, 7, 1000000, -42}
	b.Run("pool", func(b *testing.B) {
		var e Encoder
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				e.Encode(io.Discard, "temperature", values)
			}
		})
	})
	b.Run("fresh-buffer", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var buf bytes.Buffer
				fmt.Fprintf(&buf, "%s:%v\n", "temperature", values)
				io.Discard.Write(buf.Bytes())
			}
		})
	})
}
