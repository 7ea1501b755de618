// Package bench compares Day 5's reference executor with the tools Go programs use instead, on the
// two workloads of ants' own benchmarks: many short sleeping tasks (I/O-shaped) and many tiny CPU
// tasks. Run it from this directory:
//
//	go test -bench=. -benchmem -count=5 | tee new.txt
//
// It is a separate module so that the course's go.mod does not need ants.
package bench

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocourse/week11/solutions/day5_futures/executor"
	"github.com/panjf2000/ants/v2"
	"golang.org/x/sync/errgroup"
)

const (
	sleepTasks = 10_000
	sleepFor   = time.Millisecond
	sleepPool  = 1_000

	cpuTasks = 100_000
)

var sink [64]int64

// cpuWork is a tiny CPU-bound task: a few hundred nanoseconds of arithmetic.
func cpuWork(i int) {
	x := int64(i)
	for range 100 {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink[i%len(sink)] = x
}

type workload struct {
	name  string
	tasks int
	pool  func() int
	task  func(i int)
}

var workloads = []workload{
	{"sleep", sleepTasks, func() int { return sleepPool }, func(int) { time.Sleep(sleepFor) }},
	{"cpu", cpuTasks, func() int { return runtime.GOMAXPROCS(0) }, cpuWork},
}

// peakMeter samples, every sampleEvery, the memory the runtime holds for heap objects (live ones and
// dead ones not yet swept) and for goroutine stacks, and keeps the highest sample since its last
// reset. It is what a batch costs in memory at its worst moment, as opposed to -benchmem's bytes
// allocated over the whole batch (which is also what ants' own README reports, as TotalAlloc deltas).
type peakMeter struct {
	high    atomic.Uint64
	stop    chan struct{}
	stopped chan struct{}
}

const sampleEvery = 100 * time.Microsecond

var memoryMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/stacks:bytes"}

func startPeakMeter() *peakMeter {
	m := &peakMeter{stop: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(m.stopped)
		samples := newSamples()
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-tick.C:
				m.record(readMemory(samples))
			}
		}
	}()
	return m
}

func newSamples() []metrics.Sample {
	samples := make([]metrics.Sample, len(memoryMetrics))
	for i, name := range memoryMetrics {
		samples[i].Name = name
	}
	return samples
}

func readMemory(samples []metrics.Sample) uint64 {
	metrics.Read(samples)
	var total uint64
	for _, s := range samples {
		total += s.Value.Uint64()
	}
	return total
}

// record raises the high-water mark to v if v is higher.
func (m *peakMeter) record(v uint64) {
	for old := m.high.Load(); v > old && !m.high.CompareAndSwap(old, v); old = m.high.Load() {
	}
}

// reset collects garbage, so that every batch starts from the same heap, and returns that baseline.
func (m *peakMeter) reset() uint64 {
	runtime.GC()
	base := readMemory(newSamples())
	m.high.Store(base)
	return base
}

// peak returns the highest sample since reset, counting one taken now.
func (m *peakMeter) peak() uint64 {
	m.record(readMemory(newSamples()))
	return m.high.Load()
}

func (m *peakMeter) close() { close(m.stop); <-m.stopped }

// bench runs batch once per iteration for every workload and reports, beside -benchmem's figures,
// peak-B: the memory a batch added at its peak over the heap it started from, averaged over batches.
func bench(b *testing.B, batch func(b *testing.B, w workload)) {
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			m := startPeakMeter()
			defer m.close()
			var added, batches uint64
			for b.Loop() {
				b.StopTimer()
				base := m.reset()
				b.StartTimer()
				batch(b, w)
				added += m.peak() - base
				batches++
			}
			b.ReportMetric(float64(added)/float64(batches), "peak-B")
		})
	}
}

func BenchmarkExecutor(b *testing.B) {
	bench(b, func(b *testing.B, w workload) {
		e := executor.NewExecutor(w.pool())
		for i := range w.tasks {
			if _, err := executor.Submit(e, func() (struct{}, error) { w.task(i); return struct{}{}, nil }); err != nil {
				b.Fatal(err)
			}
		}
		e.Shutdown(true, false)
	})
}

// BenchmarkExecutorBounded is BenchmarkExecutor with the backpressure that ants' Submit and
// errgroup's Go apply themselves: the submitter waits for a free slot before each Submit, at most
// pool tasks are submitted and not yet finished at once, and each task frees its slot as it ends.
// The executor's Submit never waits, so the caller bounds what it queues; this measures what that
// bound does to the peak.
func BenchmarkExecutorBounded(b *testing.B) {
	bench(b, func(b *testing.B, w workload) {
		e := executor.NewExecutor(w.pool())
		slots := make(chan struct{}, w.pool())
		for i := range w.tasks {
			slots <- struct{}{}
			if _, err := executor.Submit(e, func() (struct{}, error) { w.task(i); <-slots; return struct{}{}, nil }); err != nil {
				b.Fatal(err)
			}
		}
		e.Shutdown(true, false)
	})
}

func BenchmarkErrgroupSetLimit(b *testing.B) {
	bench(b, func(b *testing.B, w workload) {
		var g errgroup.Group
		g.SetLimit(w.pool())
		for i := range w.tasks {
			g.Go(func() error { w.task(i); return nil })
		}
		_ = g.Wait()
	})
}

func BenchmarkAnts(b *testing.B) {
	bench(b, func(b *testing.B, w workload) {
		p, err := ants.NewPool(w.pool())
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range w.tasks {
			wg.Add(1)
			if err := p.Submit(func() { defer wg.Done(); w.task(i) }); err != nil {
				b.Fatal(err)
			}
		}
		wg.Wait()
		p.Release()
	})
}

func BenchmarkGoroutinePerTask(b *testing.B) {
	bench(b, func(b *testing.B, w workload) {
		var wg sync.WaitGroup
		for i := range w.tasks {
			wg.Go(func() { w.task(i) })
		}
		wg.Wait()
	})
}
