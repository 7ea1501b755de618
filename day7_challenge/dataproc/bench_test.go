package dataproc

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The benchmark: the same 10 million generated rows, side by side in one run, by
//
//	naive       the code most people write first: bufio.Scanner, strings.Cut, strconv.ParseFloat
//	            and a map[string]*stats, one goroutine;
//	goroutines  Process (ProcessFile with Procs = 0): a chunked parallel scan;
//	procs       ProcessProcs: one worker process per core, each scanning its byte range.
//
// Each reports rows/s/core (rows per second divided by GOMAXPROCS), cpu-ns/row (the CPU time of this
// process and its worker processes per row: the work done, whatever else the machine runs) and,
// after naive has run in the same process, its speedup over naive (wall time) and cpu-ratio (naive's
// CPU time per row over this one's). Run it on the reference solution with
//
//	go test -run '^$' -bench Dataproc -benchtime 3x -overlay="$(go run ./cmd/course overlay day7_challenge/dataproc)" ./day7_challenge/dataproc/
const (
	benchRows     = 10_000_000
	benchStations = 413
	benchSeed     = 2026
)

// benchFile returns the path of the benchmark's input, generating it once into os.TempDir (about
// 140 MB); later runs reuse it.
func benchFile(b *testing.B) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("dataproc-bench-%d-%d-%d.txt", benchRows, benchStations, benchSeed))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp, err := os.CreateTemp(os.TempDir(), "dataproc-bench-*.tmp")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(tmp.Name())
	if err := Generate(tmp, benchRows, benchStations, benchSeed); err != nil {
		b.Fatal(err)
	}
	if err := tmp.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil { // atomic: a concurrent run sees all or nothing
		b.Fatal(err)
	}
	return path
}

type naiveStats struct {
	min, max, sum float64
	count         int64
}

// naive is the baseline: what most people write first.
func naive(path string) (map[string]*naiveStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]*naiveStats{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, temp, ok := strings.Cut(sc.Text(), ";")
		if !ok {
			return nil, fmt.Errorf("malformed line %q", sc.Text())
		}
		v, err := strconv.ParseFloat(temp, 64)
		if err != nil {
			return nil, err
		}
		s := m[name]
		if s == nil {
			s = &naiveStats{min: v, max: v}
			m[name] = s
		}
		s.min, s.max = min(s.min, v), max(s.max, v)
		s.sum += v
		s.count++
	}
	return m, sc.Err()
}

func BenchmarkDataproc(b *testing.B) {
	path := benchFile(b)
	var naiveNs, naiveCPU float64 // per op of naive, once it has run: wall and CPU nanoseconds
	var cpuStart time.Duration
	report := func(b *testing.B) {
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		cpu := float64((cpuTime() - cpuStart).Nanoseconds()) / float64(b.N)
		b.ReportMetric(benchRows/(ns/1e9)/float64(runtime.GOMAXPROCS(0)), "rows/s/core")
		if cpu > 0 {
			b.ReportMetric(cpu/benchRows, "cpu-ns/row")
		}
		if naiveNs > 0 {
			b.ReportMetric(naiveNs/ns, "speedup")
		}
		if naiveCPU > 0 && cpu > 0 {
			b.ReportMetric(naiveCPU/cpu, "cpu-ratio")
		}
	}
	var want int // stations, from naive
	b.Run("naive", func(b *testing.B) {
		cpuStart = cpuTime()
		for b.Loop() {
			m, err := naive(path)
			if err != nil {
				b.Fatal(err)
			}
			want = len(m)
		}
		report(b)
		naiveNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		naiveCPU = float64((cpuTime() - cpuStart).Nanoseconds()) / float64(b.N)
	})
	check := func(b *testing.B, t *Table, err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		for _, s := range t.All() {
			rows += s.Count
		}
		if rows != benchRows || (want > 0 && t.Len() != want) {
			b.Fatalf("%d rows and %d stations, want %d and %d", rows, t.Len(), benchRows, want)
		}
	}
	b.Run("goroutines", func(b *testing.B) {
		cpuStart = cpuTime()
		for b.Loop() {
			t, err := ProcessFile(path, Options{})
			check(b, t, err)
		}
		report(b)
	})
	b.Run("procs", func(b *testing.B) {
		exe, err := os.Executable()
		if err != nil {
			b.Fatal(err)
		}
		cpuStart = cpuTime()
		for b.Loop() {
			t, err := ProcessFile(path, Options{Procs: runtime.GOMAXPROCS(0), Exe: exe})
			check(b, t, err)
		}
		report(b)
	})
}
