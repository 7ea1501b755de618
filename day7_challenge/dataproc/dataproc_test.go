package dataproc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Worker processes are this test binary started again with WorkerEnv=1: TestMain then plays a
// worker instead of running the tests. Two more variables let a test shape the worker:
//
//	DATAPROC_TEST_GATE=SOCK   before working, connect to the Unix socket SOCK and wait until the
//	                          test closes the connection (so a test can see N workers at once)
//	DATAPROC_TEST_CRASH=MODE  misbehave (see testWorker)
const (
	gateEnv  = "DATAPROC_TEST_GATE"
	crashEnv = "DATAPROC_TEST_CRASH"
)

func TestMain(m *testing.M) {
	if os.Getenv(WorkerEnv) == "1" {
		os.Exit(testWorker(os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

// crashMessage is what a crashing test worker writes on its standard error.
const crashMessage = "test worker exploded on purpose"

// testWorker is a worker process. Crash modes:
//
//	exit       write crashMessage to stderr and exit 3 without output
//	after      do the work, write the partial result, then crashMessage and exit 3
//	notfirst   exit 3 with crashMessage unless the range starts at byte 0 (one worker of many fails)
//	firstwaits like notfirst, and the worker of byte 0 waits at the gate; the others connect to the
//	           gate before they crash, without waiting, so that the test sees their processes end
//	latecrash  the worker of byte 0 works (without the gate); the others wait at the gate, then crash
//	garbage    write something that is not a partial result and exit 0
//	empty      write nothing and exit 0
func testWorker(args []string) int {
	crash := func() int { fmt.Fprintln(os.Stderr, crashMessage); return 3 }
	first := len(args) > 1 && args[1] == "0"
	dial := func() net.Conn {
		if sock := os.Getenv(gateEnv); sock != "" {
			if c, err := net.Dial("unix", sock); err == nil {
				return c
			}
		}
		return nil
	}
	gate := func() {
		if c := dial(); c != nil {
			_, _ = c.Read(make([]byte, 1)) // until the test closes the connection
			c.Close()
		}
	}
	switch os.Getenv(crashEnv) {
	case "exit":
		return crash()
	case "notfirst":
		if !first {
			return crash()
		}
	case "firstwaits":
		if !first {
			_ = dial() // left open: the system closes it when this process exits
			return crash()
		}
	case "latecrash":
		if !first {
			gate()
			return crash()
		}
	case "garbage":
		fmt.Println(`{"stations": [{"name": "Oops", "Min": 1, "Max"`)
		return 0
	case "empty":
		return 0
	}
	if os.Getenv(crashEnv) != "latecrash" {
		gate()
	}
	if err := ServeWorker(args, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if os.Getenv(crashEnv) == "after" {
		return crash()
	}
	return 0
}

// ---- the truth: a deliberately simple sequential implementation -------------------------------

type refStats struct{ min, max, sum, count int64 }

// refParse checks one line the slow, obvious way (the reference shares no code with the package):
// a name of 1 to 100 bytes without ';', then ';', an optional '-', one or two digits, '.' and one
// digit.
func refParse(line string) (name string, tenths int64, ok bool) {
	name, temp, found := strings.Cut(line, ";")
	if !found || len(name) < 1 || len(name) > 100 {
		return "", 0, false
	}
	whole, frac, found := strings.Cut(strings.TrimPrefix(temp, "-"), ".")
	if !found || len(whole) < 1 || len(whole) > 2 || len(frac) != 1 || strings.Trim(whole+frac, "0123456789") != "" {
		return "", 0, false
	}
	f, err := strconv.ParseFloat(temp, 64)
	if err != nil {
		return "", 0, false
	}
	return name, int64(f*10 + 0.5*sign(f)), true // exact: f has one decimal
}

// reference aggregates data line by line. bad is the 1-based number of the first malformed line,
// 0 if there is none.
func reference(data []byte) (stats map[string]*refStats, bad int) {
	stats = map[string]*refStats{}
	text := string(data)
	if text == "" {
		return stats, 0
	}
	text = strings.TrimSuffix(text, "\n")
	for i, line := range strings.Split(text, "\n") {
		name, v, ok := refParse(line)
		if !ok {
			return nil, i + 1
		}
		s, ok := stats[name]
		if !ok {
			s = &refStats{min: v, max: v}
			stats[name] = s
		}
		s.min, s.max = min(s.min, v), max(s.max, v)
		s.sum += v
		s.count++
	}
	return stats, 0
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

// refMean rounds sum/count tenths to the nearest tenth, half toward positive infinity, as Java's
// Math.round does. (A float64 quotient is exact enough here: a true half is exact, and anything
// else is at least 1/(2*count) away from one.)
func refMean(s *refStats) int64 {
	return int64(math.Floor(float64(s.sum)/float64(s.count) + 0.5))
}

func refTenths(v int64) string {
	s := fmt.Sprintf("%.1f", float64(v)/10)
	if s == "-0.0" {
		return "0.0"
	}
	return s
}

// refFormat is the challenge's output for stats.
func refFormat(stats map[string]*refStats) string {
	names := make([]string, 0, len(stats))
	for n := range stats {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		s := stats[n]
		parts[i] = n + "=" + refTenths(s.min) + "/" + refTenths(refMean(s)) + "/" + refTenths(s.max)
	}
	return "{" + strings.Join(parts, ", ") + "}\n"
}

// ---- helpers ----------------------------------------------------------------------------------

// writeFile writes data to a new file in t's temporary directory and returns its path.
func writeFile(t testing.TB, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "measurements.txt")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

// generated returns a generated file's bytes.
func generated(t testing.TB, rows, stations int, seed uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, Generate(&b, rows, stations, seed))
	return b.Bytes()
}

// requireSame fails t unless got holds exactly the stations of want, with the same stats,
// and formats as the reference does. what says how got was computed.
func requireSame(t testing.TB, want map[string]*refStats, got *Table, what string) {
	t.Helper()
	require.NotNil(t, got, "%s: returned a nil *Table without an error", what)
	have := make(map[string]Stats, got.Len())
	var totalWant, totalGot int64
	for name, s := range got.All() {
		have[name] = s
		totalGot += s.Count
	}
	var missing, extra []string
	for name, w := range want {
		totalWant += w.count
		if _, ok := have[name]; !ok {
			missing = append(missing, name)
		}
	}
	for name := range have {
		if want[name] == nil {
			extra = append(extra, name)
		}
	}
	if len(missing)+len(extra) > 0 {
		slices.Sort(missing)
		slices.Sort(extra)
		t.Fatalf("%s: %d stations, want %d; %d missing (first: %q), %d that are not in the file (first: %q).\n"+
			"A station that is not in the file is usually part of a line cut at a chunk boundary.",
			what, got.Len(), len(want), len(missing), first(missing), len(extra), first(extra))
	}
	var wrong []string
	for name, w := range want {
		if s := have[name]; s.Count != w.count || s.Sum != w.sum || s.Min != w.min || s.Max != w.max {
			wrong = append(wrong, name)
		}
	}
	if len(wrong) > 0 {
		slices.Sort(wrong)
		n := wrong[0]
		w, s := want[n], have[n]
		hint := "the merge or the table is wrong"
		switch {
		case totalGot < totalWant:
			hint = fmt.Sprintf("%d of %d lines are missing in all: lines are dropped (at chunk boundaries?)", totalWant-totalGot, totalWant)
		case totalGot > totalWant:
			hint = fmt.Sprintf("%d lines too many in all: some lines are counted twice (at chunk boundaries?)", totalGot-totalWant)
		case s.Count == w.count && s.Sum != w.sum:
			hint = "the counts are right but the sum is not: is the merge averaging averages, or are workers sharing a table?"
		case s.Count == w.count && s.Sum == w.sum:
			hint = "sum and count are right but min or max are not: does the merge start a new station from zero?"
		}
		t.Fatalf("%s: %d of %d stations are wrong; the first, %q, has min/max/sum/count %d/%d/%d/%d (tenths), want %d/%d/%d/%d: %s",
			what, len(wrong), len(want), n, s.Min, s.Max, s.Sum, s.Count, w.min, w.max, w.sum, w.count, hint)
	}
	if f, wf := Format(got), refFormat(want); f != wf {
		t.Fatalf("%s: the stats are right but Format (a given file) prints them wrong: %s", what, firstDiff(f, wf))
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// firstDiff describes where got and want first differ.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	clip := func(s string) string { return s[max(0, i-20):min(len(s), i+40)] }
	return fmt.Sprintf("lengths %d and %d, first difference at byte %d: got ...%q..., want ...%q...", len(got), len(want), i, clip(got), clip(want))
}

// process runs ProcessFile on data written to a file, within the guard.
func process(t *testing.T, data []byte, opts Options) (*Table, error) {
	t.Helper()
	path := writeFile(t, data)
	var got *Table
	var err error
	coursetest.Within(t, func() { got, err = ProcessFile(path, opts) },
		"ProcessFile(%+v) did not return: does every worker end once the chunks are handed out (close the channel)?", opts)
	return got, err
}

// gatedReader is an io.ReaderAt whose ReadAt calls wait until n of them are in progress at once
// (or until the test gives up): proof that n workers read at the same time. Once n have met, it
// lets every call through.
type gatedReader struct {
	r       *bytes.Reader
	n       int64
	inside  atomic.Int64
	open    atomic.Bool
	opened  chan struct{}
	giveUp  chan struct{}
	hw      coursetest.HighWater
	release sync.Once
	stop    func()
}

// gatePatience is how long a gatedReader waits for its n readers to meet: workers that start at
// once reach their first ReadAt within milliseconds, and a test that only uses the gate to make
// them overlap still passes when it gives up (workers taking turns then do not stall it for long).
const gatePatience = time.Second

// newGatedReader returns a gatedReader for n readers over data. If n readers have not met after
// the test's patience, it lets every call through (the test that needs them to meet then fails
// on g.opened); stop does the same at once.
func newGatedReader(t *testing.T, data []byte, n int) *gatedReader {
	g := &gatedReader{r: bytes.NewReader(data), n: int64(n), opened: make(chan struct{}), giveUp: make(chan struct{})}
	var once sync.Once
	g.stop = func() { once.Do(func() { close(g.giveUp) }) }
	timer := time.AfterFunc(min(coursetest.CurrentPatience(), gatePatience), g.stop)
	t.Cleanup(func() { timer.Stop(); g.stop() })
	return g
}

func (g *gatedReader) ReadAt(p []byte, off int64) (int, error) {
	if !g.open.Load() {
		g.hw.Enter()
		if g.inside.Add(1) >= g.n {
			g.release.Do(func() { g.open.Store(true); close(g.opened) })
		}
		select {
		case <-g.opened:
		case <-g.giveUp:
		}
		g.inside.Add(-1)
		g.hw.Exit()
	}
	return g.r.ReadAt(p, off)
}

// heldReader is an io.ReaderAt for tests inside a synctest bubble: a ReadAt call at an offset that
// hold reports waits (durably, on a channel) until the test changes hold with set. After
// synctest.Wait, waiting says exactly how many calls are held.
type heldReader struct {
	r       *bytes.Reader
	mu      sync.Mutex
	hold    func(off int64) bool
	wake    chan struct{} // closed and replaced by every set
	waiting atomic.Int64
}

// newHeldReader must be called inside the bubble.
func newHeldReader(data []byte, hold func(off int64) bool) *heldReader {
	return &heldReader{r: bytes.NewReader(data), hold: hold, wake: make(chan struct{})}
}

func (h *heldReader) ReadAt(p []byte, off int64) (int, error) {
	for {
		h.mu.Lock()
		held, wake := h.hold != nil && h.hold(off), h.wake
		h.mu.Unlock()
		if !held {
			return h.r.ReadAt(p, off)
		}
		h.waiting.Add(1)
		<-wake
		h.waiting.Add(-1)
	}
}

// set replaces hold (nil holds nothing) and wakes every held call to look again.
func (h *heldReader) set(hold func(off int64) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hold = hold
	close(h.wake)
	h.wake = make(chan struct{})
}

// ---- ScanChunk --------------------------------------------------------------------------------

// boundaryFile has lines of many lengths: a 1-byte name, a 100-byte name, non-ASCII names,
// negative values, -0.0, and stations that repeat.
func boundaryFile() []byte {
	long := strings.Repeat("L", 100)
	lines := []string{
		"A;1.0", "Abha;-23.4", long + ";-99.9", "Zürich;12.3", "A;-0.0", "Bo;99.9", "Abha;59.2",
		"Ñuñoa;-5.5", "A;2.5", long + ";10.0", "Cé;0.1", "Bo;-0.1", "Abha;5.0", "X;7.7",
	}
	var b strings.Builder
	for range 2 {
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	return []byte(b.String())
}

// scanAll scans every chunk of Split(len(data), chunkSize) into one table, in order. It stops the
// test at the first chunk that ScanChunk reads with a buffer far bigger than the chunk needs
// (see requireBufferFits): thousands of tiny chunks would each allocate it.
func scanAll(t *testing.T, data []byte, chunkSize int64) (*Table, error) {
	t.Helper()
	tbl := NewTable()
	r := &readSizes{r: bytes.NewReader(data)}
	for _, c := range Split(int64(len(data)), chunkSize) {
		r.max = 0
		err := ScanChunk(r, c, tbl)
		requireBufferFits(t, c, r.max)
		if err != nil {
			return tbl, fmt.Errorf("ScanChunk(%+v): %w", c, err)
		}
	}
	return tbl, nil
}

// readSizes is an io.ReaderAt that remembers the largest read asked of it (for one goroutine).
type readSizes struct {
	r   io.ReaderAt
	max int
}

func (s *readSizes) ReadAt(p []byte, off int64) (int, error) {
	s.max = max(s.max, len(p))
	return s.r.ReadAt(p, off)
}

// bufferSlack is how much more than the chunk plus one line a read may ask for: plenty for any
// reasonable buffer (bufio's default is 4 KiB), far less than the 1 MiB a large chunk gets.
const bufferSlack = 64 << 10

// requireBufferFits fails t if ScanChunk read the chunk c with reads of up to read bytes, far more
// than c and one more line can need.
func requireBufferFits(t testing.TB, c Chunk, read int) {
	t.Helper()
	if need := c.End - c.Off + MaxLineLen + 2; int64(read) > need+bufferSlack {
		t.Fatalf("ScanChunk(%+v) asked for %d bytes in one ReadAt for a chunk of %d bytes, whose lines need at most %d: "+
			"size the read buffer to the chunk plus one line (min(1 MiB, c.End-c.Off+MaxLineLen+2)); "+
			"a file cut into thousands of tiny chunks would otherwise allocate 1 MiB for each", c, read, c.End-c.Off, need)
	}
}

func TestScanChunkBufferFitsTheChunk(t *testing.T) {
	data := boundaryFile()
	chunks := Split(int64(len(data)), 1)[:64] // 64 one-byte chunks, many of them inside long lines
	r := &readSizes{r: bytes.NewReader(data)}
	tbl := NewTable()
	for _, c := range chunks {
		r.max = 0
		require.NoError(t, ScanChunk(r, c, tbl), "ScanChunk(%+v) of a well-formed file", c)
		requireBufferFits(t, c, r.max)
	}
	// The same with what ScanChunk allocates, however it reads: 64 chunks of 1 byte need a few
	// kilobytes in all, a buffer of 1 MiB each would be 64 MiB. (TotalAlloc counts every goroutine's
	// allocations, but nothing else in this test binary allocates megabytes while it runs.)
	tbl = NewTable()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, c := range chunks {
		_ = ScanChunk(r, c, tbl)
	}
	runtime.ReadMemStats(&after)
	const budget = 64 * bufferSlack // 4 MiB: over 1,000 times what 64 tiny chunks need
	if n := after.TotalAlloc - before.TotalAlloc; n > budget {
		t.Fatalf("ScanChunk allocated %d bytes for %d one-byte chunks (%d each): size its buffer to the chunk plus one line, "+
			"min(1 MiB, c.End-c.Off+MaxLineLen+2), and allocate it once per call", n, len(chunks), n/uint64(len(chunks)))
	}
}

func TestScanChunkCountsEveryLineOnceAtAnyCut(t *testing.T) {
	data := boundaryFile()
	want, _ := reference(data)
	sizes := []int64{}
	for cs := int64(1); cs <= 2*MaxLineLen+10; cs++ { // every size up to two lines
		sizes = append(sizes, cs)
	}
	sizes = append(sizes, 256, 301, int64(len(data))-1, int64(len(data)), int64(len(data))+1)
	for _, cs := range sizes {
		got, err := scanAll(t, data, cs)
		require.NoError(t, err, "chunks of %d bytes of a well-formed file", cs)
		requireSame(t, want, got, fmt.Sprintf("ScanChunk over chunks of %d bytes (a line is %d to %d bytes; the file %d)", cs, 4, 106, len(data)))
	}
}

func TestScanChunkOwnsTheLinesThatStartInIt(t *testing.T) {
	// Each chunk alone: exactly the lines whose first byte is in [Off, End).
	data := []byte("Aa;1.0\nBb;2.0\nCc;3.0\n")
	r := bytes.NewReader(data)
	cases := []struct {
		c    Chunk
		want []string
	}{
		{Chunk{0, 1}, []string{"Aa"}},
		{Chunk{0, 7}, []string{"Aa"}},       // Bb starts at 7, the next chunk's
		{Chunk{0, 8}, []string{"Aa", "Bb"}}, // Bb starts at 7 < 8
		{Chunk{6, 7}, nil},                  // only Aa's '\n'
		{Chunk{7, 8}, []string{"Bb"}},       // starts exactly on a line
		{Chunk{1, 14}, []string{"Bb"}},      // mid-line start skips Aa; Cc starts at 14
		{Chunk{8, 21}, []string{"Cc"}},      // mid-line start skips Bb
		{Chunk{20, 21}, nil},                // the final '\n'
		{Chunk{13, 15}, []string{"Cc"}},     // Off-1 is Bb's last digit, Off is '\n'... Cc starts at 14
		{Chunk{14, 14 + 1}, []string{"Cc"}}, // a one-byte chunk at a line start reads the whole line
		{Chunk{15, 21}, nil},                // inside the last line
		{Chunk{0, 21}, []string{"Aa", "Bb", "Cc"}},
	}
	for _, tc := range cases {
		tbl := NewTable()
		err := ScanChunk(r, tc.c, tbl)
		require.NoError(t, err, "ScanChunk(%+v) of %q", tc.c, data)
		got := tbl.Names()
		if len(got) == 0 {
			got = nil
		}
		require.Equal(t, tc.want, got, "ScanChunk(%+v) of %q: a chunk owns exactly the lines whose first byte is in [Off, End)", tc.c, data)
		for _, n := range got {
			s, _ := tbl.Lookup(n)
			require.EqualValues(t, 1, s.Count, "ScanChunk(%+v): station %s counted %d times", tc.c, n, s.Count)
		}
	}
}

func TestScanChunkLastLineWithoutNewline(t *testing.T) {
	for _, data := range [][]byte{
		[]byte("Aa;1.0\nBb;-2.0"),
		[]byte("Only;-0.1"),
		[]byte("Aa;1.0\n" + strings.Repeat("N", 100) + ";12.5"),
	} {
		want, _ := reference(data)
		for cs := int64(1); cs <= int64(len(data))+1; cs++ {
			got, err := scanAll(t, data, cs)
			require.NoError(t, err, "file %q in chunks of %d bytes: the last line may end without '\\n'", data, cs)
			requireSame(t, want, got, fmt.Sprintf("file %q (no newline at the end) in chunks of %d bytes", data, cs))
		}
	}
}

func TestScanChunkReportsMalformedLineOffset(t *testing.T) {
	data := []byte("Aa;1.0\nBb;2.0\nbroken\nCc;3.0\n")
	r := bytes.NewReader(data)
	for _, c := range []Chunk{{0, int64(len(data))}, {7, 15}, {10, 15}, {14, 15}, {3, 20}} {
		err := ScanChunk(r, c, NewTable())
		le, ok := errors.AsType[*LineError](err)
		require.True(t, ok, "ScanChunk(%+v) of %q: want a *LineError (NewLineError) for the line \"broken\", got %v", c, data, err)
		require.EqualValues(t, 14, le.Offset, "ScanChunk(%+v): the LineError's offset is where \"broken\" starts IN THE FILE (14), not in the chunk", c)
		require.Equal(t, "broken", le.Text, "ScanChunk(%+v): the LineError's text is the line without its newline", c)
	}
	for _, c := range []Chunk{{0, 14}, {16, int64(len(data))}} { // chunks that do not own "broken"
		require.NoError(t, ScanChunk(r, c, NewTable()), "ScanChunk(%+v) of %q: \"broken\" starts at 14, outside this chunk", c, data)
	}
}

// ---- Process: the goroutine pool --------------------------------------------------------------

func TestWorkersDoNotShareATable(t *testing.T) {
	// With the race detector (go test -race), workers writing to one Table is a reported race. The
	// gate makes them really run at once. It comes first among Process's tests, and its file is
	// small: racing workers are slow under the race detector, so the later tests' bigger files
	// would take seconds each to say the same. Its probe (requireOwnTables) must race first in the
	// test binary: the race detector reports a race once per process, and the later tests reuse the
	// probe's verdict.
	coursetest.CheckLeaksIfPassing(t)
	requireOwnTables(t)
	coursetest.Procs(t, 4)
	data := generated(t, 1500, 20, 6) // 13 chunks of 1,500 bytes
	want, _ := reference(data)
	met := ownTables.met // workers that did not meet at the probe's gate do not meet at this one
	for range 2 {
		g := newGatedReader(t, data, 4)
		if !met {
			g.stop() // they did not meet the first time: do not wait again
		}
		var got *Table
		var err error
		coursetest.WithinFor(t, 2*coursetest.Patience, func() {
			got, err = Process(g, int64(len(data)), Options{Workers: 4, ChunkSize: 1500})
		}, "Process with 4 workers did not return")
		select {
		case <-g.opened:
		default:
			met = false
		}
		g.stop()
		require.NoError(t, err)
		requireSame(t, want, got, "Process with 4 workers (each needs its own Table: a Table is not safe for concurrent use)")
	}
}

// ownTables is the verdict of requireOwnTables's probe, taken once per test binary.
var ownTables struct {
	once     sync.Once
	returned bool // Process returned in the probe
	ok       bool // and the probe passed
	met      bool // the 4 workers met at the probe's gate
}

// requireOwnTables stops t at once if Process's workers write to one shared Table. The first call
// runs a probe as a subtest of t: Process with 4 workers that a gate makes read at once, over a
// small file, whose only check is the race detector's (go test -race): workers writing to one
// Table is a reported race, which fails the subtest. Later calls reuse its verdict. Tests that run
// Process with several workers over bigger files call it first: under the race detector, workers
// racing on one Table take seconds per test to say again what the probe said in milliseconds.
// (Without -race the probe cannot fail, and the tests run as they would without it.)
func requireOwnTables(t *testing.T) {
	t.Helper()
	const probe = "probe: 4 workers at once, each with its own Table"
	ownTables.once.Do(func() {
		ownTables.ok = t.Run(probe, func(t *testing.T) {
			coursetest.Procs(t, 4)
			data := generated(t, 400, 20, 6)
			g := newGatedReader(t, data, 4)
			opts := Options{Workers: 4, ChunkSize: int64(len(data))/8 + 1} // 8 chunks: two for each worker
			ownTables.returned = coursetest.Within(t, func() { _, _ = Process(g, int64(len(data)), opts) },
				"Process(%+v) did not return: does every worker end once the chunks are handed out (close the channel)?", opts)
			select {
			case <-g.opened:
				ownTables.met = true
			default:
			}
		})
	})
	switch {
	case !ownTables.returned:
		t.Fatalf("Process with 4 workers did not return in the subtest %q, run by the first test that needed it: "+
			"does every worker end once the chunks are handed out (close the channel)? This test stops here rather "+
			"than wait again.", probe)
	case !ownTables.ok:
		t.Fatalf("Process with 4 workers failed the subtest %q, run by the first test that needed it: the race "+
			"detector saw its workers write to the same memory, most likely one shared Table (a Table is not safe for "+
			"concurrent use: give every worker its own, and Merge them at the end). This test stops here rather than "+
			"race again, slowly.", probe)
	}
}

func TestSameResultAsSequential(t *testing.T) {
	// One subtest per Options, and the test stops at the first that fails (a race the race detector
	// reported included): the ones after it would only repeat the news, slowly.
	coursetest.CheckLeaksIfPassing(t)
	requireOwnTables(t)
	data := generated(t, 4000, 500, 1)
	want, _ := reference(data)
	for _, opts := range []Options{{Workers: 1}, {Workers: 2, ChunkSize: 999}, {Workers: 3, ChunkSize: 4096},
		{Workers: 8, ChunkSize: 16384}, {Workers: 4}, {Workers: 8, ChunkSize: 777}} {
		ok := t.Run(fmt.Sprintf("Workers=%d,ChunkSize=%d", opts.Workers, opts.ChunkSize), func(t *testing.T) {
			got, err := process(t, data, opts)
			require.NoError(t, err, "ProcessFile(%+v) on a well-formed generated file", opts)
			requireSame(t, want, got, fmt.Sprintf("ProcessFile with %+v", opts))
		})
		if !ok {
			return
		}
	}
}

func TestNegativeValuesAndMinusZero(t *testing.T) {
	// Hand-written expectations. Means: B (-0.1+0.0)/2 = -0.05 rounds to 0.0 (never "-0.0");
	// C (-1.0-1.5)/2 = -1.25 rounds half up to -1.2; D (1.0+1.5)/2 = 1.25 to 1.3; E -0.0 is 0.0;
	// F (-0.1-0.1+0.1)/3 = -0.0333 rounds to 0.0.
	requireOwnTables(t)
	data := []byte("B;-0.1\nC;-1.0\nD;1.0\nE;-0.0\nF;-0.1\nB;0.0\nC;-1.5\nD;1.5\nF;-0.1\nF;0.1\nG;-99.9\nG;-12.3\n")
	const want = "{B=-0.1/0.0/0.0, C=-1.5/-1.2/-1.0, D=1.0/1.3/1.5, E=0.0/0.0/0.0, F=-0.1/0.0/0.1, G=-99.9/-56.1/-12.3}\n"
	for _, opts := range []Options{{Workers: 1}, {Workers: 4, ChunkSize: 5}, {Workers: 3, ChunkSize: 13}} {
		got, err := process(t, data, opts)
		require.NoError(t, err, "ProcessFile(%+v)", opts)
		require.NotNil(t, got)
		require.Equal(t, want, Format(got), "ProcessFile(%+v) of %q", opts, data)
	}
}

func TestOneStation(t *testing.T) {
	requireOwnTables(t)
	data := generated(t, 1000, 1, 7)
	want, _ := reference(data)
	require.Len(t, want, 1)
	for _, opts := range []Options{{Workers: 1}, {Workers: 4, ChunkSize: 100}} {
		got, err := process(t, data, opts)
		require.NoError(t, err, "ProcessFile(%+v)", opts)
		requireSame(t, want, got, fmt.Sprintf("one station, ProcessFile(%+v)", opts))
	}
}

func TestTenThousandStations(t *testing.T) {
	// Every station once, then generated rows over the same names.
	var b bytes.Buffer
	for i, name := range StationNames(10000, 3) {
		fmt.Fprintf(&b, "%s;%d.%d\n", name, i%100-50, i%10)
	}
	b.Write(generated(t, 5000, 10000, 3))
	data := b.Bytes()
	want, _ := reference(data)
	require.Len(t, want, 10000, "test data: 10,000 stations")
	// One worker over four chunks: its table grows past the 1,024 slots it starts with.
	opts := Options{Workers: 1, ChunkSize: 64 << 10}
	got, err := process(t, data, opts)
	require.NoError(t, err, "ProcessFile(%+v)", opts)
	requireSame(t, want, got, fmt.Sprintf("10,000 stations, ProcessFile(%+v)", opts))

	// Merging tables that big, directly: every other line into each of two tables (about 6,000
	// stations each, some 2,000 in both), then one into the other, which grows as it takes the
	// other's new stations. (Not through Process with several workers: workers wrongly sharing one
	// table are so slow under the race detector that this test would take seconds to fail, and
	// TestWorkersDoNotShareATable has already said it.)
	halves := [2]*Table{NewTable(), NewTable()}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		name, v, ok := refParse(line)
		require.True(t, ok, "test data: line %d, %q", i+1, line)
		halves[i%2].Add([]byte(name), v)
	}
	Merge(halves[0], halves[1])
	requireSame(t, want, halves[0], "10,000 stations, Merge of two tables of the file's even and odd lines")
}

func TestEmptyFile(t *testing.T) {
	got, err := process(t, nil, Options{Workers: 4})
	require.NoError(t, err, "an empty file is not an error")
	require.NotNil(t, got, "an empty file gives an empty table, not nil")
	require.Equal(t, "{}\n", Format(got))
}

// malformed are files with their first malformed line (1-based).
var malformed = []struct {
	name string
	data string
	line int64
}{
	{"no semicolon", "Aa;1.0\nBb;2.0\nCc 3.0\nDd;4.0\n", 3},
	{"two decimals", "Aa;1.0\nBb;2.25\n", 2},
	{"empty line", "Aa;1.0\n\nBb;2.0\n", 2},
	{"first line", "bad\nAa;1.0\n", 1},
	{"last line without newline", "Aa;1.0\nBb;2.0\nCc;x", 3},
	{"carriage return", "Aa;1.0\r\nBb;2.0\n", 1},
	{"two bad lines, the first wins", "Aa;1.0\nBb;2.0\nCc;3.0\nDd;4.0\nEe;5.0\nFf;6.0\nGg;7.0\nHh;8.0\nIi;9.0\nJj;1.0\n" +
		"first bad\nAa;1.0\nBb;2.0\nCc;3.0\nDd;4.0\nEe;5.0\nFf;6.0\nGg;7.0\nHh;8.0\nIi;9.0\nsecond bad\nZz;1.0\n", 11},
}

func TestMalformedLineReportedWithItsLineNumber(t *testing.T) {
	requireOwnTables(t)
	for _, tc := range malformed {
		_, bad := reference([]byte(tc.data))
		require.EqualValues(t, tc.line, bad, "test table: %s", tc.name)
		for _, opts := range []Options{{Workers: 1}, {Workers: 4, ChunkSize: 1}, {Workers: 2, ChunkSize: 9}, {Workers: 8, ChunkSize: 40}} {
			path := writeFile(t, []byte(tc.data))
			var err error
			coursetest.Within(t, func() { _, err = ProcessFile(path, opts) },
				"ProcessFile(%+v) on a file with a malformed line did not return", opts)
			le, ok := errors.AsType[*LineError](err)
			require.True(t, ok, "%s, ProcessFile(%+v): want a *LineError for line %d, got %v", tc.name, opts, tc.line, err)
			require.Equal(t, tc.line, le.Line, "%s, ProcessFile(%+v): the error names line %d, want %d (1-based, in the whole file; "+
				"the first malformed line of the FILE, and its offset from the start of the file)", tc.name, opts, le.Line, tc.line)
		}
	}
}

func TestWorkersScanAtOnce(t *testing.T) {
	// In a synctest bubble every ReadAt is held until all goroutines are blocked: then exactly as
	// many calls are held as workers scan at once.
	requireOwnTables(t)
	data := generated(t, 4000, 50, 5)
	want, _ := reference(data)
	const workers = 4
	opts := Options{Workers: workers, ChunkSize: 2048}
	chunks := len(Split(int64(len(data)), opts.ChunkSize))
	coursetest.BubbleWatchingLocks(t, "Process did not finish while the test held its reads: do the workers end once the chunks are handed out (close the channel)? "+
		"A lock held around ScanChunk makes the workers take turns (and stalls this test): each worker needs its own Table, not a lock", func(t *testing.T) {
		h := newHeldReader(data, func(int64) bool { return true })
		type result struct {
			t   *Table
			err error
		}
		done := make(chan result, 1)
		go func() {
			tbl, err := Process(h, int64(len(data)), opts)
			done <- result{tbl, err}
		}()
		synctest.Wait()
		atOnce := h.waiting.Load()
		h.set(nil)
		res := <-done
		if atOnce != workers {
			t.Fatalf("Process(%d chunks, Workers: %d) scanned %d chunks at once, want exactly %d: %s", chunks, workers, atOnce, workers,
				map[bool]string{true: "start the workers first, all of them, and let each take chunks from a channel",
					false: "start Workers goroutines, not one per chunk"}[atOnce < workers])
		}
		require.NoError(t, res.err)
		requireSame(t, want, res.t, "Process with 4 workers")
	})
}

func TestFirstMalformedLineOfTheFileWins(t *testing.T) {
	// Three chunks, three workers: the last chunk's bad line is found first (the test holds the
	// others' reads until it has been), yet the error must be the first chunk's.
	requireOwnTables(t)
	var b strings.Builder
	for i := range 90 {
		switch i {
		case 40:
			b.WriteString("early bad line\n")
		case 80:
			b.WriteString("late bad line\n")
		default:
			fmt.Fprintf(&b, "S%d;%d.%d\n", i%9, i%30, i%10)
		}
	}
	data := []byte(b.String())
	early := int64(strings.Index(b.String(), "early"))
	opts := Options{Workers: 3, ChunkSize: int64(len(data)+2) / 3}
	chunks := Split(int64(len(data)), opts.ChunkSize)
	require.Len(t, chunks, 3)
	require.True(t, chunks[1].Off < early && early < chunks[1].End && int64(strings.Index(b.String(), "late")) > chunks[2].Off)
	coursetest.BubbleWatchingLocks(t, "Process did not finish while the test held the first chunks' reads: do the workers end once the chunks are handed out? "+
		"A lock held around ScanChunk makes the workers take turns (and stalls this test)", func(t *testing.T) {
		last := chunks[2].Off - 1 // where the last chunk starts reading
		h := newHeldReader(data, func(off int64) bool { return off < last })
		done := make(chan error, 1)
		go func() {
			_, err := Process(h, int64(len(data)), opts)
			done <- err
		}()
		synctest.Wait() // the last chunk has been scanned; the others wait
		h.set(nil)
		err := <-done
		le, ok := errors.AsType[*LineError](err)
		require.True(t, ok, "Process on a file with two malformed lines: want a *LineError, got %v", err)
		require.Equal(t, early, le.Offset, "Process returned the error of %q, want the first malformed line of the file, %q, "+
			"even when a worker finds a later one first: keep an error per chunk and return the first in chunk order", le.Text, "early bad line")
	})
}

func TestProgressReportsEveryChunk(t *testing.T) {
	requireOwnTables(t)
	data := generated(t, 2000, 30, 8)
	var mu sync.Mutex
	var sum int64
	var calls int
	opts := Options{Workers: 3, ChunkSize: 1000, Progress: func(n int64) {
		mu.Lock()
		defer mu.Unlock()
		sum += n
		calls++
	}}
	_, err := process(t, data, opts)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, len(Split(int64(len(data)), 1000)), calls, "Progress is called once per chunk")
	require.EqualValues(t, len(data), sum, "the chunk sizes passed to Progress add up to the file's size")
}

// ---- Merge ------------------------------------------------------------------------------------

func tableOf(values map[string][]int64) *Table {
	t := NewTable()
	for name, vs := range values {
		for _, v := range vs {
			t.Add([]byte(name), v)
		}
	}
	return t
}

func TestMergeAddsSumsAndCounts(t *testing.T) {
	dst := tableOf(map[string][]int64{"A": {10, 20, 30}, "OnlyDst": {-5}})
	src := tableOf(map[string][]int64{"A": {100}})
	Merge(dst, src)
	a, _ := dst.Lookup("A")
	require.Equal(t, Stats{Min: 10, Max: 100, Sum: 160, Count: 4}, a,
		"Merge of A {1.0, 2.0, 3.0} and A {10.0}: want sum 16.0 over 4, mean 4.0 (the mean of the two means, 6.0, is wrong)")
	require.EqualValues(t, 40, a.Mean())
	o, ok := dst.Lookup("OnlyDst")
	require.True(t, ok, "Merge lost a station that was only in dst")
	require.Equal(t, Stats{Min: -5, Max: -5, Sum: -5, Count: 1}, o, "Merge changed a station that was only in dst")
}

func TestMergeCopiesNewStations(t *testing.T) {
	dst := tableOf(map[string][]int64{"A": {10}})
	src := tableOf(map[string][]int64{"Warm": {150, 250}, "Cold": {-300, -100}})
	Merge(dst, src)
	w, ok := dst.Lookup("Warm")
	require.True(t, ok, "Merge did not add a station that was only in src")
	require.Equal(t, Stats{Min: 150, Max: 250, Sum: 400, Count: 2}, w,
		"a station new to dst comes from Get with Count 0 and Min = Max = 0: copy src's stats instead of min(0, 15.0)")
	c, _ := dst.Lookup("Cold")
	require.Equal(t, Stats{Min: -300, Max: -100, Sum: -400, Count: 2}, c,
		"a station new to dst comes from Get with Count 0 and Min = Max = 0: copy src's stats instead of max(0, -10.0)")
	require.Equal(t, 3, dst.Len())
	require.Equal(t, 2, src.Len(), "Merge must not change src")
}

func TestMergeManyPartsWithUnevenCounts(t *testing.T) {
	parts := []map[string][]int64{
		{"A": {1}, "B": {-7, -8, -9}},
		{"A": {2, 2, 2, 2, 2}, "C": {99}},
		{"B": {0}, "A": {-50}},
		{},
	}
	want := map[string]*refStats{}
	dst := NewTable()
	for _, p := range parts {
		for name, vs := range p {
			for _, v := range vs {
				s := want[name]
				if s == nil {
					s = &refStats{min: v, max: v}
					want[name] = s
				}
				s.min, s.max, s.sum, s.count = min(s.min, v), max(s.max, v), s.sum+v, s.count+1
			}
		}
		Merge(dst, tableOf(p))
	}
	requireSame(t, want, dst, "Merge of four parts with uneven counts")
}

func TestScanChunkBiggerThanItsReads(t *testing.T) {
	// 70,000 lines of exactly 16 bytes: 1.1 MB, more than one read buffer, and every power-of-two
	// buffer of 16 bytes or more ends exactly at a '\n', where a scanner that stops at the end of
	// its buffer loses the rest of the chunk.
	var block bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&block, "Station%04d;%d.%d\n", i, i%10, i%7) // 11 + 1 + 3 + 1 bytes
	}
	const repeat = 70
	data := bytes.Repeat(block.Bytes(), repeat)
	require.Equal(t, 1000*repeat*16, len(data))
	want, _ := reference(block.Bytes())
	for _, s := range want {
		s.sum *= repeat
		s.count *= repeat
	}
	for _, cs := range []int64{int64(len(data))} {
		got, err := scanAll(t, data, cs)
		require.NoError(t, err, "chunks of %d bytes", cs)
		requireSame(t, want, got, fmt.Sprintf("ScanChunk over chunks of %d bytes of a %d-byte file (several reads per chunk)", cs, len(data)))
	}
}

// clip shortens err's message for a failure message (a LineError may hold a very long line).
func clip(err error) string {
	if err == nil {
		return "nil"
	}
	if s := err.Error(); len(s) > 200 {
		return s[:200] + "..."
	}
	return err.Error()
}

func TestLongMalformedLineFailsTheRun(t *testing.T) {
	// A line longer than any valid one, and than ScanChunk's read buffer (about a chunk plus a line
	// for a small chunk, 1 MiB at most), is malformed like any other: it is not skipped.
	requireOwnTables(t)
	for _, n := range []int{300, 3 << 20} {
		data := []byte("Aa;1.0\n" + strings.Repeat("x", n) + ";1.0\nBb;2.0\n")
		opts := []Options{{Workers: 1}, {Workers: 2, ChunkSize: 1 << 20}}
		if n < 1000 {
			opts = append(opts, Options{Workers: 2, ChunkSize: 1}, Options{Workers: 2, ChunkSize: 7}, Options{Workers: 3, ChunkSize: 50})
		}
		for _, o := range opts {
			got, err := process(t, data, o)
			le, ok := errors.AsType[*LineError](err)
			require.True(t, ok, "ProcessFile(%+v) of a file whose line 2 is %d bytes long: want a *LineError for line 2, got %s (table: %v). "+
				"A line that does not fit in the read buffer is malformed: return NewLineError for it, do not skip it", o, n+4, clip(err), got != nil)
			require.EqualValues(t, 2, le.Line, "ProcessFile(%+v): the error names line %d, want line 2, the %d-byte line", o, le.Line, n+4)

			// The same over a reader that is not a file: ProcessFile's *os.File is scanned in place
			// (MapFile), any other io.ReaderAt is read into ScanChunk's buffer, which the line overflows.
			r := bytes.NewReader(data)
			coursetest.Within(t, func() { got, err = Process(r, int64(len(data)), o) }, "Process(%+v) over a bytes.Reader did not return", o)
			le, ok = errors.AsType[*LineError](err)
			require.True(t, ok, "Process(%+v) over a bytes.Reader (read with ReadAt, not mapped) of a file whose line 2 is %d bytes long: want a *LineError "+
				"for line 2, got %s (table: %v). A line that does not fit in the read buffer is malformed: return NewLineError for it, do not skip it",
				o, n+4, clip(err), got != nil)
			require.EqualValues(t, 7, le.Offset, "Process(%+v) over a bytes.Reader: the error's offset is %d, want 7, where the %d-byte line starts", o, le.Offset, n+4)
		}
	}
}

// errReaderAt fails every read that reaches past at with errDisk.
type errReaderAt struct {
	r  *bytes.Reader
	at int64
}

var errDisk = errors.New("disk on fire")

func (e errReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > e.at {
		n, _ := e.r.ReadAt(p[:max(0, e.at-off)], off)
		return n, errDisk
	}
	return e.r.ReadAt(p, off)
}

func TestReadErrorFailsTheRun(t *testing.T) {
	// An I/O error is not the end of the file: Process must return it, not a shorter result.
	requireOwnTables(t)
	data := generated(t, 300, 30, 21)
	for _, opts := range []Options{{Workers: 1}, {Workers: 3, ChunkSize: 1000}, {Workers: 2, ChunkSize: 33}} {
		r := errReaderAt{bytes.NewReader(data), int64(len(data)) / 2}
		var err error
		coursetest.Within(t, func() { _, err = Process(r, int64(len(data)), opts) }, "Process(%+v) over a failing reader did not return", opts)
		require.ErrorIs(t, err, errDisk, "Process(%+v) over a reader whose reads fail half way through the file: want its error, got %s. "+
			"Only io.EOF is the end of the file; any other ReadAt error must be returned", opts, clip(err))
	}
}

func TestZeroWorkersMeansGOMAXPROCS(t *testing.T) {
	// Options{} (Workers 0) runs runtime.GOMAXPROCS(0) workers; the held reads count them, as in
	// TestWorkersScanAtOnce.
	coursetest.Procs(t, 3)
	requireOwnTables(t)
	data := generated(t, 4000, 50, 5)
	opts := Options{ChunkSize: 2048}
	coursetest.BubbleWatchingLocks(t, "Process did not finish while the test held its reads: do the workers end once the chunks are handed out (close the channel)? "+
		"A lock held around ScanChunk makes the workers take turns (and stalls this test): each worker needs its own Table, not a lock", func(t *testing.T) {
		h := newHeldReader(data, func(int64) bool { return true })
		done := make(chan error, 1)
		go func() { _, err := Process(h, int64(len(data)), opts); done <- err }()
		synctest.Wait()
		atOnce := h.waiting.Load()
		h.set(nil)
		require.NoError(t, <-done)
		require.EqualValues(t, runtime.GOMAXPROCS(0), atOnce, "Process(%+v) with GOMAXPROCS %d scanned %d chunks at once: "+
			"Workers < 1 means runtime.GOMAXPROCS(0) workers (use opts.workers(), not opts.Workers)", opts, runtime.GOMAXPROCS(0), atOnce)
	})
}
