package cpuio

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestWorkersFor(t *testing.T) {
	// Several settings, changed while the program runs: a value read once and kept is caught.
	for _, procs := range []int{3, 1, 5, 8} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			coursetest.Procs(t, procs)
			assert.Equal(t, procs, WorkersFor(CPUBound),
				"CPU-bound work wants one worker per P: runtime.GOMAXPROCS(0), read now (not runtime.NumCPU(), "+
					"not a value kept from an earlier call)")
			assert.Equal(t, IOWorkersPerP*procs, WorkersFor(IOBound),
				"I/O-bound work wants IOWorkersPerP workers per P, far more than the cores")
		})
	}
	assert.Panics(t, func() { WorkersFor(Workload(7)) }, "WorkersFor must panic on an unknown Workload")
}

func TestParallelMapKeepsInputOrder(t *testing.T) {
	coursetest.CheckLeaks(t)
	coursetest.Bubble(t, "ParallelMap never returned", func(t *testing.T) {
		const n = 20
		items := make([]int, n)
		for i := range items {
			items[i] = i
		}
		// Later items finish first, so completion order is the reverse of input order.
		got := ParallelMap(items, 4, func(i int) string {
			time.Sleep(time.Duration(n-i) * time.Millisecond)
			return fmt.Sprint(i * i)
		})
		require.Len(t, got, n, "ParallelMap returns one result per item")
		for i, r := range got {
			if r != fmt.Sprint(i*i) {
				t.Fatalf("result %d is %q, want %q (the result of item %d): results go at their item's index, "+
					"not in the order the calls finish", i, r, fmt.Sprint(i*i), i)
			}
		}
	})
}

func TestParallelMapRunsExactlyWorkersAtOnce(t *testing.T) {
	for _, tc := range []struct{ items, workers, want int }{
		{items: 12, workers: 3, want: 3},
		{items: 12, workers: 1, want: 1},
		{items: 4, workers: 10, want: 4}, // more workers than items: one per item
		{items: 1, workers: 3, want: 1},
	} {
		t.Run(fmt.Sprintf("%d items, %d workers", tc.items, tc.workers), func(t *testing.T) {
			coursetest.CheckLeaks(t)
			coursetest.Bubble(t, "ParallelMap's calls were left blocked for good", func(t *testing.T) {
				var hw coursetest.HighWater
				var calls atomic.Int32
				release := make(chan struct{})
				done := make(chan []int)
				goroutinesBefore := runtime.NumGoroutine()
				go func() {
					done <- ParallelMap(make([]int, tc.items), tc.workers, func(int) int {
						hw.Enter()
						defer hw.Exit()
						calls.Add(1)
						<-release
						return 1
					})
				}()
				synctest.Wait() // every worker is blocked in a call, waiting for release
				running := hw.Current()
				started := runtime.NumGoroutine() - goroutinesBefore - 1 // less the goroutine calling ParallelMap
				close(release)
				res := <-done
				require.Equal(t, int64(tc.want), running,
					"with %d items and %d workers, %d calls must run at once (min(workers, items)); %d did: "+
						"fewer means the workers are not running side by side, more means the limit is not kept",
					tc.items, tc.workers, tc.want, running)
				assert.LessOrEqual(t, hw.Max(), int64(tc.workers), "never more than workers calls at once")
				// Room for a feeder or a closer goroutine, but not for one goroutine per item.
				assert.LessOrEqual(t, started, tc.want+2,
					"ParallelMap started %d goroutines for %d items and %d workers: start min(workers, items) "+
						"workers, not one goroutine per item", started, tc.items, tc.workers)
				assert.Equal(t, int32(tc.items), calls.Load(), "fn must be called once per item")
				assert.Len(t, res, tc.items)
			})
		})
	}
}

func TestParallelMapKeepsEveryWorkerBusy(t *testing.T) {
	// Item 0 is slow; the rest are instant. While item 0 is stuck, the other workers must get
	// through every other item: a worker takes the next item as soon as it is free, not a fixed
	// share of the items, and not in waves that wait for their slowest call.
	coursetest.CheckLeaks(t)
	coursetest.Bubble(t, "ParallelMap's calls were left blocked for good", func(t *testing.T) {
		const n, workers = 12, 3
		release := make(chan struct{})
		var finished atomic.Int32
		done := make(chan struct{})
		items := make([]int, n)
		for i := range items {
			items[i] = i
		}
		go func() {
			ParallelMap(items, workers, func(i int) int {
				if i == 0 {
					<-release
				}
				finished.Add(1)
				return i
			})
			close(done) // not deferred: a panic must end the binary with its own message, not look like a return
		}()
		synctest.Wait() // item 0 is stuck; every other item had a free worker
		got := finished.Load()
		close(release)
		<-done
		require.Equal(t, int32(n-1), got, "while item 0 was slow, only %d of the other %d items were done with %d "+
			"workers: each worker must take the next item as soon as it is free (one channel of indexes), "+
			"not a fixed chunk of items or a wave that waits for its slowest call", got, n-1, workers)
	})
}

func TestParallelMapStartsNoIdleWorkers(t *testing.T) {
	coursetest.CheckLeaks(t)
	coursetest.Bubble(t, "ParallelMap never returned", func(t *testing.T) {
		const workers = 1000
		before := runtime.NumGoroutine()
		var during int
		ParallelMap([]int{1}, workers, func(int) int {
			during = runtime.NumGoroutine() - before
			return 0
		})
		assert.LessOrEqual(t, during, 3, "one item and %d workers: %d goroutines were running during the call. "+
			"Start min(workers, len(items)) workers: the others would have nothing to do", workers, during)
	})
}

func TestIOBoundWorkFinishesInFakeTime(t *testing.T) {
	coursetest.CheckLeaks(t)
	coursetest.Bubble(t, "ParallelMap never returned", func(t *testing.T) {
		// 100 calls that each wait 1 s for "the network", on 10 workers: 10 rounds of 1 s.
		start := time.Now()
		res := ParallelMap(make([]int, 100), 10, func(int) bool {
			time.Sleep(time.Second)
			return true
		})
		elapsed := time.Since(start)
		assert.Len(t, res, 100)
		assert.Equal(t, 10*time.Second, elapsed,
			"100 waits of 1 s on 10 workers take exactly 10 s when the 10 wait side by side (100 s one at a "+
				"time, 1 s with a goroutine per item); this took %v", elapsed)
	})
}

func TestCPUBoundUsesEveryP(t *testing.T) {
	// Four Ps, even on a machine with fewer cores: the gate proves that four calls are under way at
	// once, which is what lets CPU-bound work use four cores where there are four.
	coursetest.Procs(t, 4)
	coursetest.CheckLeaks(t)
	coursetest.Bubble(t, "ParallelMap's calls were left blocked for good", func(t *testing.T) {
		workers := WorkersFor(CPUBound)
		var hw coursetest.HighWater
		release := make(chan struct{})
		done := make(chan struct{})
		go func() {
			ParallelMap(make([]int, 40), workers, func(int) int {
				hw.Enter()
				defer hw.Exit()
				<-release
				return 0
			})
			close(done) // not deferred: a panic must end the binary with its own message, not look like a return
		}()
		synctest.Wait()
		running := hw.Current()
		close(release)
		<-done
		assert.Equal(t, int64(4), running, "at GOMAXPROCS 4, CPU-bound work must keep 4 calls under way at once")
	})
}

func TestParallelMapEdges(t *testing.T) {
	coursetest.CheckLeaks(t)
	t.Run("no items", func(t *testing.T) {
		coursetest.Within(t, func() {
			res := ParallelMap([]int{}, 3, func(int) int { t.Error("fn called with no items"); return 0 })
			assert.Empty(t, res, "no items, no results")
		}, "ParallelMap of no items never returned")
	})
	t.Run("workers < 1 panics", func(t *testing.T) {
		for _, w := range []int{0, -1} {
			coursetest.Within(t, func() {
				assert.Panics(t, func() { ParallelMap([]int{1}, w, func(i int) int { return i }) },
					"ParallelMap with %d workers must panic: no worker would ever call fn", w)
			}, "ParallelMap with %d workers neither panicked nor returned: with no worker, nobody takes the first "+
				"item. Panic when workers < 1, before you start anything", w)
		}
	})
	t.Run("returns only after every call", func(t *testing.T) {
		var finished atomic.Int32
		coursetest.Within(t, func() {
			ParallelMap(make([]int, 50), 7, func(int) int {
				runtime.Gosched()
				finished.Add(1)
				return 0
			})
		}, "ParallelMap never returned")
		assert.Equal(t, int32(50), finished.Load(), "ParallelMap returned before every call of fn had returned")
	})
}

// spinPrimes counts primes below n by trial division: CPU-bound work for the benchmarks.
func spinPrimes(n int) int {
	count := 0
	for i := 2; i < n; i++ {
		prime := true
		for d := 2; d*d <= i; d++ {
			if i%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			count++
		}
	}
	return count
}

// BenchmarkCPUBound shows that CPU-bound work stops getting faster at GOMAXPROCS workers:
// go test -bench=CPUBound -cpu=1,2,4 ./day6_performance/cpuio/
func BenchmarkCPUBound(b *testing.B) {
	items := make([]int, 64)
	for i := range items {
		items[i] = 20_000
	}
	for _, w := range []int{1, 2, 4, 8, 64} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				ParallelMap(items, w, spinPrimes)
			}
		})
	}
}

// BenchmarkIOBound shows that waiting work keeps getting faster far past the number of cores.
func BenchmarkIOBound(b *testing.B) {
	items := make([]int, 64)
	for _, w := range []int{1, 2, 4, 16, 64} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				ParallelMap(items, w, func(int) int { time.Sleep(time.Millisecond); return 0 })
			}
		})
	}
}
