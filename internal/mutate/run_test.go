package mutate

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocourse/week11/internal/grader"
)

// fixtureCourse writes a one-exercise course: a counter whose tests catch an unlocked Inc (lost
// updates and the race detector) but never read Value concurrently, so an unlocked Value survives.
func fixtureCourse(t *testing.T, extraManifest string) string {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	require.True(t, ok)
	goSum, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "..", "go.sum"))
	require.NoError(t, err)
	root := t.TempDir()
	files := map[string]string{
		"go.mod": "module course.test\n\ngo 1.26\n\nrequire go.uber.org/goleak v1.3.0\n",
		"go.sum": string(goSum),
		"course.toml": `[[exercise]]
id = "day1_x/counter"
title = "counter"
day = 1
points = 10
topics = ["t"]
hints = ["a", "b"]
` + extraManifest,
		"day1_x/counter/counter.go": "package counter\n\n// Counter counts.\ntype Counter struct{}\n\n// TODO: count.\nfunc (c *Counter) Inc() { panic(\"TODO: Inc\") }\n\n// Value returns the count.\nfunc (c *Counter) Value() int { panic(\"TODO: Value\") }\n",
		"day1_x/counter/counter_test.go": `package counter

import (
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestInc(t *testing.T) {
	var c Counter
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Inc()
			}
		})
	}
	wg.Wait()
	if got := c.Value(); got != 8000 {
		t.Fatalf("Value() = %d after 8000 Inc calls: lost updates", got)
	}
}
`,
		"solutions/day1_x/counter/counter.go": `package counter

import "sync"

// Counter counts, safely from many goroutines.
type Counter struct {
	mu sync.Mutex
	n  int
}

// Inc adds one.
func (c *Counter) Inc() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
}

// Value returns the count.
func (c *Counter) Value() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
`,
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return root
}

func TestRunKillsOneAndReportsTheSurvivor(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs test binaries")
	}
	root := fixtureCourse(t, "")
	m, err := grader.LoadManifest(filepath.Join(root, grader.ManifestFile))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	rep, err := Run(ctx, m.Exercises, Options{
		Grader:   grader.Options{Root: root, Timeout: 60 * time.Second, Race: true},
		CPU:      []string{"1", "4"},
		Progress: &progress,
	})
	require.NoError(t, err)
	t.Log(progress.String())
	require.Len(t, rep.Exercises, 1)
	e := rep.Exercises[0]
	byID := map[string]Result{}
	for _, r := range e.Mutants {
		byID[r.ID] = r
	}
	require.Contains(t, byID, "drop-lock/Counter.Inc/1")
	require.Contains(t, byID, "drop-lock/Counter.Value/1")
	assert.Equal(t, Killed, byID["drop-lock/Counter.Inc/1"].Status, "an unlocked Inc loses updates and races")
	assert.Equal(t, "1", byID["drop-lock/Counter.Inc/1"].CPU, "killed at the first GOMAXPROCS")
	sv := byID["drop-lock/Counter.Value/1"]
	assert.Equal(t, Survived, sv.Status, "no test reads Value while Inc runs")
	assert.Equal(t, "4", sv.CPU, "a survivor was run at every GOMAXPROCS")
	assert.Equal(t, 2, e.Total)
	assert.Equal(t, 1, e.Killed)

	var out bytes.Buffer
	rep.WriteText(&out, 95, false)
	text := out.String()
	t.Log(text)
	assert.Regexp(t, `(?m)^LOW +day1_x/counter +1/2 +killed \( *50\.0%\)`, text)
	assert.Contains(t, text, "survivor day1_x/counter drop-lock/Counter.Value/1 [drop-lock]")
	assert.Contains(t, text, "-\tc.mu.Lock()\n")
	lines := strings.Split(strings.TrimSpace(text), "\n")
	assert.Equal(t, "mutation score: 1/2 killed (50.0%)", lines[len(lines)-1])

	file := filepath.Join(t.TempDir(), "m.json")
	require.NoError(t, rep.WriteJSON(file))
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"status": "survived"`)
}

func TestEquivalentMutantsAreExcludedAndStaleEntriesReported(t *testing.T) {
	root := fixtureCourse(t, `equivalent = [
  { mutant = "drop-lock/Counter.Value/1", reason = "No test may read Value while Inc runs." },
  { mutant = "drop-lock/Counter.Gone/1", reason = "This method was removed." },
]
`)
	m, err := grader.LoadManifest(filepath.Join(root, grader.ManifestFile))
	require.NoError(t, err)
	rep, err := Run(context.Background(), m.Exercises, Options{Grader: grader.Options{Root: root}, ListOnly: true})
	require.NoError(t, err)
	e := rep.Exercises[0]
	assert.Equal(t, 1, e.Total, "the equivalent mutant is not counted")
	require.Len(t, e.Equivalent, 1)
	assert.Equal(t, "drop-lock/Counter.Value/1", e.Equivalent[0].Mutant)
	assert.Equal(t, []string{"day1_x/counter: drop-lock/Counter.Gone/1"}, rep.Stale())
	var out bytes.Buffer
	rep.WriteText(&out, 95, false)
	assert.Contains(t, out.String(), "equivalent day1_x/counter drop-lock/Counter.Value/1: No test may read Value while Inc runs.")
	assert.Contains(t, out.String(), `"drop-lock/Counter.Gone/1" as equivalent, but no such mutant is generated any more`)
}

// A mutant whose binary the grader cannot run is not killed: the run stops and says why.
func TestRunStopsWhenTheGraderCannotRunABinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds test binaries")
	}
	root := fixtureCourse(t, "")
	m, err := grader.LoadManifest(filepath.Join(root, grader.ManifestFile))
	require.NoError(t, err)
	realGo, err := exec.LookPath("go")
	require.NoError(t, err)
	// Its `go test -c` writes files that are not programs; everything else is the real go command.
	fakeGo := filepath.Join(t.TempDir(), "go")
	require.NoError(t, os.WriteFile(fakeGo, []byte(`#!/bin/sh
[ "$1" = test ] || exec `+realGo+` "$@"
for a; do [ "$prev" = -o ] && out=$a; prev=$a; done
for a; do case $a in ./*) echo 'not a program' > "$out/${a##*/}.test";; esac; done
`), 0o755))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, m.Exercises, Options{Grader: grader.Options{Root: root, Go: fakeGo, Timeout: 30 * time.Second}, CPU: []string{"1"}})
	require.Error(t, err, "no mutant may count as killed by a binary that never ran: %+v", rep)
	assert.Contains(t, err.Error(), "could not run the test binary")
}
