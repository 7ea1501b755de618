package timeline

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "record the traces in testdata/ again")

// spin keeps a P busy for d of real time. It is the workload of the recorded traces, not a way
// to wait for anything.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// record writes a trace of work run with GOMAXPROCS 2 to testdata/name.
func record(t *testing.T, name string, work func()) {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var buf bytes.Buffer
	require.NoError(t, trace.Start(&buf))
	work()
	trace.Stop()
	require.NoError(t, os.WriteFile(filepath.Join("testdata", name), buf.Bytes(), 0o644))
}

// TestRecord rewrites the recorded traces when run with -update; otherwise it does nothing.
func TestRecord(t *testing.T) {
	if !*update {
		return
	}
	record(t, "parallel.trace", func() {
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { spin(40 * time.Millisecond) })
		}
		wg.Wait()
	})
	record(t, "sequential.trace", func() {
		for range 2 {
			spin(40 * time.Millisecond)
		}
	})
}

// svgDoc is the part of the picture's structure the tests look at.
type svgDoc struct {
	Groups []struct {
		Class string `xml:"class,attr"`
		Proc  string `xml:"data-proc,attr"`
		Rects []struct {
			Class string  `xml:"class,attr"`
			Width float64 `xml:"width,attr"`
		} `xml:"rect"`
	} `xml:"g"`
}

func readFixture(t *testing.T, name string) *Timeline {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	tl, err := Read(f)
	require.NoError(t, err, "the recorded trace %s must parse", name)
	return tl
}

func TestReadRecordedTraces(t *testing.T) {
	par := readFixture(t, "parallel.trace")
	seq := readFixture(t, "sequential.trace")
	assert.GreaterOrEqual(t, len(par.Lanes), 2, "a trace run with GOMAXPROCS 2 has a lane for each P")
	assert.Greater(t, par.Parallelism(), 1.8, "two goroutines spinning at once keep both Ps busy")
	assert.Less(t, seq.Parallelism(), 1.2, "one goroutine spinning twice keeps one P busy at a time, whichever P it is")
	for _, tl := range []*Timeline{par, seq} {
		for _, l := range tl.Lanes {
			for i, b := range l.Bars {
				require.Less(t, b.Start, b.End, "a bar has positive length")
				require.LessOrEqual(t, b.End, tl.Duration, "a bar ends within the trace")
				if i > 0 {
					require.LessOrEqual(t, l.Bars[i-1].End, b.Start, "bars on one P do not overlap: a P runs one goroutine at a time")
				}
			}
		}
	}
}

func TestSVGStructure(t *testing.T) {
	for _, name := range []string{"parallel.trace", "sequential.trace"} {
		tl := readFixture(t, name)
		var out bytes.Buffer
		require.NoError(t, tl.WriteSVG(&out, "a <title> & more"))
		var doc svgDoc
		require.NoError(t, xml.Unmarshal(out.Bytes(), &doc), "the picture is well-formed XML")
		lanes, runs := 0, 0
		for _, g := range doc.Groups {
			if g.Class != "lane" {
				continue
			}
			lanes++
			assert.NotEmpty(t, g.Proc, "every lane names its P")
			for _, r := range g.Rects {
				if r.Class == "run" {
					runs++
					assert.Greater(t, r.Width, 0.0)
				}
			}
		}
		assert.Equal(t, len(tl.Lanes), lanes, "%s: one lane per P", name)
		assert.Positive(t, runs, "%s: the lanes hold bars", name)
		assert.Less(t, runs, 5000, "%s: bars closer than a pixel are merged", name)
		assert.Contains(t, out.String(), "a &lt;title&gt; &amp; more", "the title is escaped")
	}
}

func TestMergeAndCounts(t *testing.T) {
	tl := &Timeline{
		Duration: 1000,
		Lanes: []Lane{{Proc: 0, Bars: []Bar{
			{Start: 0, End: 100, G: 1, Func: "a"},
			{Start: 100, End: 200, G: 1, Func: "a"}, // touches the one before: merged
			{Start: 200, End: 300, G: 2, Func: "b"}, // another function: kept apart
			{Start: 600, End: 700, G: 1, Func: "a"}, // far from the rest: kept apart
		}}},
		Counts: []Count{{At: 0, Runnable: 3}, {At: 500, Blocked: 2}},
	}
	assert.Equal(t, int64(400), tl.Lanes[0].Busy())
	assert.Len(t, merge(tl.Lanes[0].Bars, tl.Duration), 3, "adjacent bars of one function are drawn as one")
	var out bytes.Buffer
	require.NoError(t, tl.WriteSVG(&out, "t"))
	s := out.String()
	assert.Equal(t, 3, strings.Count(s, `class="run"`))
	assert.Contains(t, s, "P0  40% busy")
	assert.Contains(t, s, "peak 3")
	assert.Positive(t, strings.Count(s, `class="runnable"`))
}

func TestReadRejectsGarbage(t *testing.T) {
	_, err := Read(strings.NewReader("not a trace"))
	assert.Error(t, err)
}
