package parallel

import (
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestChunksExamples checks Chunks on hand-worked examples.
func TestChunksExamples(t *testing.T) {
	for _, tc := range []struct {
		lo, hi, n int
		want      []Range
	}{
		{0, 10, 3, []Range{{0, 4}, {4, 7}, {7, 10}}},
		{0, 9, 3, []Range{{0, 3}, {3, 6}, {6, 9}}},
		{5, 6, 1, []Range{{5, 6}}},
		{5, 8, 10, []Range{{5, 6}, {6, 7}, {7, 8}}},
		{-4, 4, 2, []Range{{-4, 0}, {0, 4}}},
		{100, 107, 4, []Range{{100, 102}, {102, 104}, {104, 106}, {106, 107}}},
		{0, 5, 0, []Range{{0, 5}}},
		{0, 5, -1, []Range{{0, 5}}},
		{3, 3, 4, []Range{}},
		{7, 2, 4, []Range{}},
	} {
		if !t.Run(fmt.Sprintf("[%d,%d) into %d", tc.lo, tc.hi, tc.n), func(t *testing.T) {
			got := Chunks(tc.lo, tc.hi, tc.n)
			assert.NotNil(t, got, "Chunks must return an empty slice, not nil, for an empty range")
			assert.Equal(t, tc.want, got, "Chunks(%d, %d, %d)", tc.lo, tc.hi, tc.n)
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// TestChunksCoverTheRangeExactly checks the chunk rules on many ranges: no element lost, none counted
// twice, sizes within one of each other.
func TestChunksCoverTheRangeExactly(t *testing.T) {
	for lo := -3; lo <= 3; lo++ {
		for size := 0; size <= 40; size++ {
			for n := 1; n <= 12; n++ {
				hi := lo + size
				chunks := Chunks(lo, hi, n)
				if problem := checkChunks(chunks, lo, hi, n); problem != "" {
					t.Fatalf("Chunks(%d, %d, %d) = %v: %s", lo, hi, n, chunks, problem)
				}
			}
		}
	}
}

// checkChunks returns what is wrong with chunks as a split of [lo, hi) into n, or "".
func checkChunks(chunks []Range, lo, hi, n int) string {
	if want := min(n, hi-lo); len(chunks) != want {
		return fmt.Sprintf("want min(n, hi-lo) = %d chunks, got %d", want, len(chunks))
	}
	next, smallest, largest := lo, hi-lo, 0
	for _, c := range chunks {
		if c.Lo != next {
			return fmt.Sprintf("chunk %v must start where the previous one ended (%d): an element is lost or counted twice", c, next)
		}
		if c.Hi <= c.Lo {
			return fmt.Sprintf("chunk %v is empty", c)
		}
		next = c.Hi
		smallest, largest = min(smallest, c.Len()), max(largest, c.Len())
	}
	if len(chunks) > 0 && next != hi {
		return fmt.Sprintf("the last chunk must end exactly at hi = %d, not %d", hi, next)
	}
	if largest-smallest > 1 {
		return fmt.Sprintf("chunk sizes must differ by at most one (smallest %d, largest %d)", smallest, largest)
	}
	return ""
}

// TestSumRunsEveryChunkAtOnce proves Sum really runs the chunks concurrently: every part blocks until
// the test has seen all of them start, whatever the number of cores. GOMAXPROCS is 2 here, so that
// a Sum that runs at most GOMAXPROCS (or NumCPU) parts at a time is caught on any machine.
func TestSumRunsEveryChunkAtOnce(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, tc := range []struct{ lo, hi, workers int }{
		{0, 100, 2}, {0, 1000, 4}, {10, 17, 7}, {0, 3, 8}, {0, 10, 4}, {0, 10, 6}, {0, 1000, 64}, {-500, 500, 300},
	} {
		if !t.Run(fmt.Sprintf("[%d,%d) with %d workers", tc.lo, tc.hi, tc.workers), func(t *testing.T) {
			coursetest.Bubble(t, "Sum never returned after every part was released", func(t *testing.T) {
				var started atomic.Int64
				release := make(chan struct{})
				var mu sync.Mutex
				var seen []Range
				sumDone := make(chan int, 1)
				go func() {
					sumDone <- Sum(tc.lo, tc.hi, tc.workers, func(r Range) int {
						started.Add(1)
						mu.Lock()
						seen = append(seen, r)
						mu.Unlock()
						<-release
						return r.Len()
					})
				}()
				synctest.Wait() // every part that has started is blocked on release
				want := min(tc.workers, tc.hi-tc.lo)
				assert.Equal(t, int64(want), started.Load(),
					"only %d of %d chunks were being worked on at once: Sum must start a goroutine per chunk "+
						"before waiting for any, all at the same time (no loop running them one by one, no limit such "+
						"as GOMAXPROCS or NumCPU on how many run at once)", started.Load(), want)
				close(release)
				total := <-sumDone
				assert.Equal(t, tc.hi-tc.lo, total, "Sum of the chunk lengths must be hi-lo")
				slices.SortFunc(seen, func(a, b Range) int { return a.Lo - b.Lo })
				coursetest.EqualSlices(t, Chunks(tc.lo, tc.hi, tc.workers), seen, "Sum must call part once for every chunk of "+
					"Chunks(lo, hi, workers), and on no other range: split the range with Chunks, not with a split of your own")
			})
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// TestSumAddsThePartsUp checks Sum's total with parts that return different values, from several
// goroutines at once; run it with -race.
func TestSumAddsThePartsUp(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	sumOfSquares := func(r Range) int {
		s := 0
		for i := r.Lo; i < r.Hi; i++ {
			s += i * i
		}
		return s
	}
	for _, tc := range []struct{ lo, hi, workers int }{
		{0, 0, 4}, {0, 1, 4}, {0, 10, 1}, {0, 10, 3}, {-50, 50, 4}, {1, 10_001, 8}, {0, 5000, 64},
		{0, 10, 0}, {0, 10, -3}, {3, 3, 1}, {7, 2, 0},
	} {
		if !t.Run(fmt.Sprintf("[%d,%d) with %d workers", tc.lo, tc.hi, tc.workers), func(t *testing.T) {
			var calls atomic.Int64
			var got int
			coursetest.Within(t, func() {
				got = Sum(tc.lo, tc.hi, tc.workers, func(r Range) int { calls.Add(1); return sumOfSquares(r) })
			}, "Sum never returned")
			assert.Equal(t, sumOfSquares(Range{tc.lo, tc.hi}), got,
				"Sum over [%d,%d) with %d workers is wrong: is a chunk missing, counted twice, or a partial result lost "+
					"(goroutines adding to one shared variable)?", tc.lo, tc.hi, tc.workers)
			wantCalls := max(0, min(max(tc.workers, 1), tc.hi-tc.lo)) // workers < 1 counts as 1; an empty range has no chunks
			assert.Equal(t, int64(wantCalls), calls.Load(), "Sum must call part once per chunk of Chunks(lo, hi, workers) "+
				"(workers < 1 counts as 1), and never for an empty range")
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// TestCountPrimes checks CountPrimes on known counts, with several GOMAXPROCS values.
func TestCountPrimes(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	cases := []struct{ lo, hi, want int }{
		{0, 2, 0}, {2, 3, 1}, {-10, 10, 4}, {0, 100, 25}, {10, 20, 4}, {100, 200, 21},
		{0, 1000, 168}, {7919, 7920, 1}, {0, 10_000, 1229}, {0, 100_000, 9592},
	}
	for _, procs := range []int{1, 3, 4} {
		if !t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			for _, tc := range cases {
				var got int
				coursetest.Within(t, func() { got = CountPrimes(tc.lo, tc.hi) }, "CountPrimes never returned")
				assert.Equal(t, tc.want, got, "CountPrimes(%d, %d) with GOMAXPROCS=%d", tc.lo, tc.hi, procs)
			}
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// TestCountPrimesCountsTheChunksInParallel checks that CountPrimes counts runtime.GOMAXPROCS(0) chunks,
// each on its own goroutine, all at the same time, reading GOMAXPROCS on every call. Nothing can make
// CountPrimesSequential wait at a gate, so the test counts primes again and again, and looks at every
// goroutine's stack until it has seen every chunk being counted at the same moment; it also fails if it
// ever sees more chunks than that. It runs with GOMAXPROCS 3 and 7, so that no fixed number of chunks
// (the machine's core count, a value read once at start-up) passes.
func TestCountPrimesCountsTheChunksInParallel(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for _, procs := range []int{3, 7} {
		if !t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			countChunksInParallel(t, procs)
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// countChunksInParallel is TestCountPrimesCountsTheChunksInParallel with GOMAXPROCS = procs.
func countChunksInParallel(t *testing.T, procs int) {
	t.Helper()
	// First count the goroutines one call creates: one per chunk, and at most two helpers. Other
	// goroutines may start meanwhile (a timer's function, the garbage collector), so take the fewest
	// of a few calls.
	runtime.GC() // let the garbage collector start its goroutines for the new GOMAXPROCS now, not during the call
	var got int
	created := uint64(math.MaxUint64)
	for range 5 {
		before := goroutinesCreated()
		coursetest.Within(t, func() { got = CountPrimes(0, 1000) }, "CountPrimes(0, 1000) never returned")
		created = min(created, goroutinesCreated()-before-1) // Within started one
		if created <= uint64(procs+2) {
			break
		}
	}
	if created < uint64(procs) || created > uint64(procs+2) {
		t.Fatalf("with GOMAXPROCS=%d, CountPrimes(0, 1000) started %d goroutines: it must split [lo, hi) into "+
			"runtime.GOMAXPROCS(0) chunks with Sum, reading it on every call (not once at start-up, and not "+
			"runtime.NumCPU() or a fixed number), and count each chunk on its own goroutine", procs, created)
	}
	assert.Equal(t, 168, got, "CountPrimes(0, 1000)")

	stop := make(chan struct{})
	counting := make(chan struct{})
	go func() {
		defer close(counting)
		for {
			select {
			case <-stop:
				return
			default:
				CountPrimes(1_000_000_000, 1_000_040_000) // chunks of about the same cost
			}
		}
	}()
	defer coursetest.Within(t, func() { close(stop); <-counting }, "CountPrimes never returned")

	// countingNow reports how many goroutines are counting primes at this moment.
	countingNow := func() int {
		n := 0
		for _, g := range coursetest.Goroutines() {
			if strings.Contains(g.Stack, "parallel.CountPrimesSequential(") || strings.Contains(g.Stack, "parallel.IsPrime(") {
				n++
			}
		}
		return n
	}
	most, samples := 0, 0
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	// Not coursetest.After: that guard's timer is never stopped, and once it fires it hurries every later
	// guard of the binary, but this loop legitimately takes a while on a busy machine.
	deadline := time.NewTimer(coursetest.Patience)
	defer deadline.Stop()
	for most < procs || samples < 10 {
		select {
		case <-tick.C:
			n := countingNow()
			if n > procs {
				t.Fatalf("with GOMAXPROCS=%d, CountPrimes had %d chunks being counted at the same time: it must split "+
					"[lo, hi) into exactly runtime.GOMAXPROCS(0) chunks, reading it on every call (not once at start-up, "+
					"and not runtime.NumCPU() or a fixed number)", procs, n)
			}
			if n > 0 {
				samples++
			}
			most = max(most, n)
		case <-deadline.C:
			t.Fatalf("with GOMAXPROCS=%d, CountPrimes never had %d chunks being counted at the same time (the most "+
				"seen at once was %d): it must split [lo, hi) into runtime.GOMAXPROCS(0) chunks with Sum, reading it on "+
				"every call, and count each with CountPrimesSequential on its own goroutine; calling "+
				"CountPrimesSequential on the whole range, or splitting into runtime.NumCPU() or a fixed number of "+
				"chunks, does not", procs, procs, most)
		}
	}
}

// goroutinesCreated returns how many goroutines the program has created since it started.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// The benchmark pair: see how CPU-bound work speeds up with cores (Go has no GIL) by running
//
//	go test -run '^$' -bench CountPrimes -cpu 1,2,4 ./day1_threading/parallel/
//
// -cpu sets GOMAXPROCS for each run: Sequential stays flat, Parallel gets faster up to your core count.
const benchHi = 1_000_000

func BenchmarkCountPrimesSequential(b *testing.B) {
	for b.Loop() {
		CountPrimesSequential(0, benchHi)
	}
}

func BenchmarkCountPrimesParallel(b *testing.B) {
	for b.Loop() {
		CountPrimes(0, benchHi)
	}
}
