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
	"sync"
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

func BenchmarkExecutor(b *testing.B) {
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e := executor.NewExecutor(w.pool())
				for i := range w.tasks {
					if _, err := executor.Submit(e, func() (struct{}, error) { w.task(i); return struct{}{}, nil }); err != nil {
						b.Fatal(err)
					}
				}
				e.Shutdown(true, false)
			}
		})
	}
}

func BenchmarkErrgroupSetLimit(b *testing.B) {
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var g errgroup.Group
				g.SetLimit(w.pool())
				for i := range w.tasks {
					g.Go(func() error { w.task(i); return nil })
				}
				_ = g.Wait()
			}
		})
	}
}

func BenchmarkAnts(b *testing.B) {
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
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
			}
		})
	}
}

func BenchmarkGoroutinePerTask(b *testing.B) {
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var wg sync.WaitGroup
				for i := range w.tasks {
					wg.Go(func() { w.task(i) })
				}
				wg.Wait()
			}
		})
	}
}
