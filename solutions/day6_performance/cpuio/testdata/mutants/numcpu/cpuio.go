// Mutant: WorkersFor counts the machine's CPUs (runtime.NumCPU) instead of the Ps the program may use (GOMAXPROCS).
// Package cpuio is Day 6's first exercise: how many goroutines a job should use depends on what it
// waits for. CPU-bound work (hashing, parsing, compressing) is limited by cores: more workers than
// GOMAXPROCS only take turns. I/O-bound work (network calls, disk reads, sleeps) spends its time
// blocked, using no core at all, so far more workers than cores help, up to what the other side can
// take.
//
// In Python the GIL makes CPU-bound threads useless and pushes you to processes; in Go the same pool
// of goroutines serves both kinds of work, only its size changes.
package cpuio

import (
	"runtime"
	"sync"
)

// Workload says what a job's tasks spend their time on.
type Workload int

const (
	// CPUBound tasks keep a core busy from start to finish.
	CPUBound Workload = iota
	// IOBound tasks spend nearly all their time blocked, waiting for the outside world.
	IOBound
)

// IOWorkersPerP is how many I/O-bound workers WorkersFor gives each P.
const IOWorkersPerP = 16

// WorkersFor returns how many workers suit a workload on this program's current GOMAXPROCS (read at
// each call, since a program may change it): GOMAXPROCS for CPU-bound work, and IOWorkersPerP times
// GOMAXPROCS for I/O-bound work. It panics on an unknown Workload.
func WorkersFor(w Workload) int {
	procs := runtime.NumCPU()
	switch w {
	case CPUBound:
		return procs
	case IOBound:
		return IOWorkersPerP * procs
	}
	panic("cpuio: unknown Workload")
}

// ParallelMap calls fn on every item and returns the results in the order of items, whatever order
// the calls finish in. It runs the calls on min(workers, len(items)) goroutines, so that never more
// than workers calls run at once, and exactly that many while enough items are left. It returns once
// every call has returned. It panics if workers < 1.
func ParallelMap[T, R any](items []T, workers int, fn func(T) R) []R {
	if workers < 1 {
		panic("cpuio: ParallelMap needs at least one worker")
	}
	results := make([]R, len(items))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(items)) {
		wg.Go(func() {
			for i := range next {
				results[i] = fn(items[i]) // each worker writes only the slots it was given
			}
		})
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}
