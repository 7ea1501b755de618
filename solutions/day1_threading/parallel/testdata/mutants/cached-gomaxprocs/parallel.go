// Mutant: CountPrimes uses GOMAXPROCS read once at start-up into a package variable, so it ignores later changes (and runtime.GOMAXPROCS set by the test).
// Package parallel is Day 1's fifth exercise: CPU-bound work split across cores. Go has no GIL: goroutines
// run in parallel on up to runtime.GOMAXPROCS(0) OS threads at once (by default, one per CPU core), so
// splitting CPU-bound work into chunks makes it faster, which Python's threads cannot do.
package parallel

import (
	"runtime"
	"sync"
)

// Range is the half-open interval of integers [Lo, Hi).
type Range struct{ Lo, Hi int }

// Len returns the number of integers in r (0 if Hi <= Lo).
func (r Range) Len() int { return max(0, r.Hi-r.Lo) }

// Chunks splits [lo, hi) into min(n, hi-lo) contiguous, non-empty chunks, in order, whose sizes differ
// by at most one (the first (hi-lo) % n chunks get the extra element). The chunks cover [lo, hi)
// exactly: the first starts at lo, each starts where the previous one ends, the last ends at hi.
// n < 1 counts as 1. An empty range (hi <= lo) has no chunks: Chunks returns an empty slice.
//
// For example Chunks(0, 10, 3) is [{0 4} {4 7} {7 10}].
func Chunks(lo, hi, n int) []Range {
	total := max(0, hi-lo)
	n = min(max(n, 1), total)
	chunks := make([]Range, 0, n)
	if n == 0 {
		return chunks
	}
	size, rem := total/n, total%n
	start := lo
	for i := range n {
		end := start + size
		if i < rem {
			end++
		}
		chunks = append(chunks, Range{start, end})
		start = end
	}
	return chunks
}

// Sum splits [lo, hi) with Chunks(lo, hi, workers), calls part on every chunk, each on its own
// goroutine and all at the same time, waits for all of them, and returns the sum of what they
// returned. It returns 0 for an empty range, without calling part.
func Sum(lo, hi, workers int, part func(Range) int) int {
	chunks := Chunks(lo, hi, workers)
	partial := make([]int, len(chunks)) // one slot per goroutine: no shared accumulator, no lock
	var wg sync.WaitGroup
	for i, r := range chunks {
		wg.Go(func() { partial[i] = part(r) })
	}
	wg.Wait()
	total := 0
	for _, p := range partial {
		total += p
	}
	return total
}

// CountPrimes returns the number of primes p with lo <= p < hi, using every core: it splits the range
// into runtime.GOMAXPROCS(0) chunks with Sum and counts each chunk with CountPrimesSequential.
func CountPrimes(lo, hi int) int {
	if procs == 0 {
		procs = runtime.GOMAXPROCS(0) // read once, on the first call, and kept
	}
	return Sum(lo, hi, procs, func(r Range) int { return CountPrimesSequential(r.Lo, r.Hi) })
}

var procs int

// CountPrimesSequential returns the number of primes p with lo <= p < hi, on the calling goroutine.
// It is the baseline the benchmarks compare CountPrimes with.
func CountPrimesSequential(lo, hi int) int {
	n := 0
	for i := lo; i < hi; i++ {
		if IsPrime(i) {
			n++
		}
	}
	return n
}

// IsPrime reports whether n is prime, by trial division: slow on purpose, it is the CPU-bound work.
func IsPrime(n int) bool {
	if n < 2 {
		return false
	}
	if n%2 == 0 {
		return n == 2
	}
	for d := 3; d*d <= n; d += 2 {
		if n%d == 0 {
			return false
		}
	}
	return true
}
