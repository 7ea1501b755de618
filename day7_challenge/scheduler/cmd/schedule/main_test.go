package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocourse/week11/day7_challenge/scheduler"
	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite testdata/example.json.golden from the command's output")

// The tests of the given code (the job-file loader, tasks' validation, the timeline) pass on the
// student's stub. TestExampleTimeline runs the command on the scheduler, so it passes only once
// dispatch.go is done (or with the reference solution swapped in with -overlay).

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run([]string{"-h"}, &stdout, &stderr, false), "-h exits 0")
	assert.Contains(t, stderr.String(), "Usage: schedule", "-h prints the usage on stderr")
	assert.Empty(t, stdout.String(), "-h prints nothing on stdout")

	stderr.Reset()
	assert.Equal(t, 2, run(nil, &stdout, &stderr, false), "no job file is a usage error")
	stderr.Reset()
	assert.Equal(t, 1, run([]string{"jobs.yaml"}, &stdout, &stderr, false), "an unknown extension is an error")
	assert.Contains(t, stderr.String(), ".json or .toml")
}

func TestExampleFilesParse(t *testing.T) {
	for _, name := range []string{"example.toml", "example.json"} {
		jf, err := load(filepath.Join("testdata", name))
		require.NoError(t, err, name)
		require.NotEmpty(t, jf.Jobs, name)
		for _, j := range jf.Jobs {
			_, err := j.Task(time.Now(), nil)
			assert.NoError(t, err, "%s: job %q", name, j.ID)
		}
	}
}

func TestParseJobFile(t *testing.T) {
	const toml = `max_concurrent = 2
for = "3s"
[[jobs]]
id = "a"
delay = "1.5s"
every = "1s"
mode = "fixed-delay"
overlap = "queue"
jitter = "100ms"
priority = 3
work = "300ms"
[[jobs]]
id = "b"
depends_on = ["a"]
retries = 2
backoff = "1s"
max_backoff = "3s"
retry_jitter = "10ms"
timeout = "2s"
fail = 1
`
	const json = `{"max_concurrent": 2, "for": "3s", "jobs": [
 {"id": "a", "delay": "1.5s", "every": "1s", "mode": "fixed-delay", "overlap": "queue", "jitter": "100ms", "priority": 3, "work": "300ms"},
 {"id": "b", "depends_on": ["a"], "retries": 2, "backoff": "1s", "max_backoff": "3s", "retry_jitter": "10ms", "timeout": "2s", "fail": 1}]}`
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for format, data := range map[string]string{"toml": toml, "json": json} {
		jf, err := scheduler.ParseJobFile([]byte(data), format)
		require.NoError(t, err, format)
		assert.Equal(t, 2, jf.MaxConcurrent, format)
		assert.Equal(t, scheduler.Duration(3*time.Second), jf.For, format)
		require.Len(t, jf.Jobs, 2, format)
		a, err := jf.Jobs[0].Task(start, nil)
		require.NoError(t, err, format)
		assert.Equal(t, start.Add(1500*time.Millisecond), a.At, "%s: a job is first due at the start + its delay", format)
		assert.Equal(t, time.Second, a.Every, format)
		assert.Equal(t, scheduler.FixedDelay, a.Mode, format)
		assert.Equal(t, scheduler.Queue, a.Overlap, format)
		assert.Equal(t, 100*time.Millisecond, a.Jitter, format)
		assert.Equal(t, 3, a.Priority, format)
		b, err := jf.Jobs[1].Task(start, nil)
		require.NoError(t, err, format)
		assert.Equal(t, []string{"a"}, b.DependsOn, format)
		assert.Equal(t, scheduler.Retry{Retries: 2, Backoff: time.Second, MaxBackoff: 3 * time.Second, Jitter: 10 * time.Millisecond}, b.Retry, format)
		assert.Equal(t, 2*time.Second, b.Timeout, format)
		assert.Equal(t, start, b.At, format)
	}
	for _, bad := range []struct{ format, data, want string }{
		{"toml", "[[jobs]]\nid = \"a\"\nwrok = \"1s\"\n", "unknown field"},
		{"json", `{"jobs": [{"id": "a", "wrok": "1s"}]}`, "unknown field"},
		{"json", `{"jobs": [{"id": "a", "work": "soon"}]}`, "duration"},
		{"toml", "max_concurrent = 2\n", "no jobs"},
		{"yaml", "jobs: []", "unknown format"},
	} {
		_, err := scheduler.ParseJobFile([]byte(bad.data), bad.format)
		if assert.Error(t, err, "%s %q", bad.format, bad.data) {
			assert.Contains(t, err.Error(), bad.want, "%s %q", bad.format, bad.data)
		}
	}
	for _, bad := range []scheduler.Job{{ID: "m", Mode: "hourly"}, {ID: "o", Overlap: "pile-up"}, {ID: "w", Work: -1}, {ID: "p", Every: 1, Retries: 1}} {
		_, err := bad.Task(start, nil)
		assert.Error(t, err, "job %+v", bad)
	}
}

func TestTaskValidate(t *testing.T) {
	nop := func(context.Context) error { return nil }
	valid := []scheduler.Task{
		{ID: "a"}, {ID: "b", Delay: time.Second}, {ID: "c", Every: time.Second, Jitter: time.Second, Mode: scheduler.FixedDelay},
		{ID: "d", Retry: scheduler.Retry{Retries: 3, Backoff: time.Second}, DependsOn: []string{"a", "b"}},
	}
	invalid := []scheduler.Task{
		{}, {ID: "no-run"}, {ID: "both", At: time.Now(), Delay: time.Second}, {ID: "neg", Delay: -1},
		{ID: "jitter", Jitter: time.Second}, {ID: "periodic-retry", Every: time.Second, Retry: scheduler.Retry{Retries: 1}},
		{ID: "mode", Mode: 7}, {ID: "overlap", Overlap: 7}, {ID: "dup", DependsOn: []string{"x", "x"}},
		{ID: "empty-dep", DependsOn: []string{""}}, {ID: "neg-retry", Retry: scheduler.Retry{Retries: -1}},
	}
	for _, task := range valid {
		task.Run = nop
		assert.NoError(t, task.Validate(), "%q is valid", task.ID)
	}
	for i, task := range invalid {
		if task.ID != "no-run" {
			task.Run = nop
		}
		assert.ErrorIs(t, task.Validate(), scheduler.ErrInvalid, "invalid task %d (%q)", i, task.ID)
	}
}

func TestTimelinePrint(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, scheduler.PrintEntries(&out, []scheduler.Entry{
		{At: 0, Task: "a", What: "start (run 1)"},
		{At: 1500 * time.Millisecond, Task: "longer-name", What: "ok    (run 1)"},
	}))
	want := "   0.000s  a            start (run 1)\n   1.500s  longer-name  ok    (run 1)\n"
	assert.Equal(t, want, out.String())
}

func TestProgress(t *testing.T) {
	var log bytes.Buffer
	p := newProgress(&log, false)
	p.show("1 of 2", "1 of 2, 5 entries")
	p.show("1 of 2", "1 of 2, 6 entries")
	p.show("2 of 2", "2 of 2, 7 entries")
	p.done()
	assert.Equal(t, "1 of 2\n2 of 2\n", log.String(), "off a terminal, one plain line each time the short form changes")

	var term bytes.Buffer
	p = newProgress(&term, true)
	p.show("1 of 2", "1 of 2, 5 entries")
	p.show("1 of 2", "1 of 2, 5 entries")
	p.show("1 of 2", "1 of 2, 6 entries")
	p.done()
	assert.Equal(t, "\r\033[K1 of 2, 5 entries\r\033[K1 of 2, 6 entries\n", term.String(), "on a terminal, the line is rewritten in place")
}

// TestExampleTimeline runs testdata/example.json in fake time and compares the timeline and the
// outcomes with testdata/example.json.golden. It needs a working scheduler (dispatch.go).
func TestExampleTimeline(t *testing.T) {
	golden := filepath.Join("testdata", "example.json.golden")
	jf, err := load(filepath.Join("testdata", "example.json"))
	require.NoError(t, err)
	var stdout, stderr bytes.Buffer
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("the command panicked (is dispatch.go written yet?): %v", r)
			}
		}()
		// BubbleWatchingLocks, not synctest.Test alone: a scheduler stuck on its mutex is not durably
		// blocked, and the bare bubble would wait for it until go test's timeout.
		coursetest.BubbleWatchingLocks(t, "the example never finished: the scheduler got stuck (its own tests say "+
			"where: go test ./day7_challenge/scheduler/)", func(t *testing.T) {
			require.NoError(t, execute(jf, time.Second, &stdout, newProgress(&stderr, false)))
		})
	}()
	if *update {
		require.NoError(t, os.WriteFile(golden, stdout.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	if got := stdout.String(); got != string(want) {
		t.Errorf("the example's output differs from testdata/example.json.golden:\n--- got\n%s--- want\n%s", got, want)
	}
	assert.True(t, strings.HasSuffix(stderr.String(), "shutting down\n"), "progress ends with the shutdown: %q", stderr.String())
}
