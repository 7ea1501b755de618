package scheduler

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchTasks is how many short tasks each benchmark iteration dispatches.
const benchTasks = 100_000

// peakGoroutines samples runtime.NumGoroutine from inside the tasks, every 64th call.
type peakGoroutines struct {
	calls atomic.Int64
	peak  atomic.Int64
}

func (p *peakGoroutines) sample() {
	if p.calls.Add(1)%64 != 0 {
		return
	}
	g := int64(runtime.NumGoroutine())
	for {
		old := p.peak.Load()
		if g <= old || p.peak.CompareAndSwap(old, g) {
			return
		}
	}
}

// report adds the per-task metrics: tasks per second, allocations per task, peak goroutines.
func report(b *testing.B, start time.Time, mallocs uint64, peak int64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	tasks := float64(b.N) * benchTasks
	b.ReportMetric(tasks/time.Since(start).Seconds(), "tasks/s")
	b.ReportMetric(float64(ms.Mallocs-mallocs)/tasks, "allocs/task")
	b.ReportMetric(float64(peak), "peak-goroutines")
}

// BenchmarkDispatch runs 100,000 short tasks, all due at once, through the Scheduler (MaxConcurrent =
// GOMAXPROCS) and, side by side, through the baseline: one time.AfterFunc per task, which runs each
// on a goroutine of its own as soon as it is due (no limit, no priorities, no dependencies, no
// retries). Compare tasks/s and peak-goroutines.
func BenchmarkDispatch(b *testing.B) {
	ids := make([]string, benchTasks)
	for i := range ids {
		ids[i] = "t" + strconv.Itoa(i)
	}
	b.Run("scheduler", func(b *testing.B) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		var p peakGoroutines
		start := time.Now()
		for range b.N {
			s := New(Options{MaxConcurrent: runtime.GOMAXPROCS(0)})
			var left atomic.Int64
			left.Store(benchTasks)
			done := make(chan struct{})
			run := func(context.Context) error {
				p.sample()
				if left.Add(-1) == 0 {
					close(done)
				}
				return nil
			}
			for _, id := range ids {
				if err := s.Add(Task{ID: id, Run: run}); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			if err := s.Shutdown(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start, ms.Mallocs, p.peak.Load())
	})
	b.Run("AfterFunc", func(b *testing.B) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		var p peakGoroutines
		start := time.Now()
		for range b.N {
			var left atomic.Int64
			left.Store(benchTasks)
			done := make(chan struct{})
			run := func(context.Context) error {
				p.sample()
				if left.Add(-1) == 0 {
					close(done)
				}
				return nil
			}
			ctx := context.Background()
			for range ids {
				time.AfterFunc(0, func() { _ = run(ctx) })
			}
			<-done
		}
		report(b, start, ms.Mallocs, p.peak.Load())
	})
}
