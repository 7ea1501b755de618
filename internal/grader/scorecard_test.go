package grader

import (
	"bytes"
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A testify failure as `go test` prints it: the scorecard's line is the test's own sentence.
const testifyOutput = `=== RUN   TestBarrierReleasesAll
    barrier_test.go:42: 
        	Error Trace:	/home/s/course/day2_sync/barrier/barrier_test.go:42
        	Error:      	Not equal: 
        	            	expected: 4
        	            	actual  : 3
        	Test:       	TestBarrierReleasesAll
        	Messages:   	Barrier released 3 of 4 waiters: did you Broadcast after the last arrival?
--- FAIL: TestBarrierReleasesAll (0.00s)
`

func TestFailureMessageIsTheUsefulLine(t *testing.T) {
	for _, tc := range []struct{ name, out, want string }{
		{"testify message", testifyOutput, "Barrier released 3 of 4 waiters: did you Broadcast after the last arrival?"},
		{"testify without a message", strings.Replace(testifyOutput, "        	Messages:   	Barrier released 3 of 4 waiters: did you Broadcast after the last arrival?\n", "", 1),
			"Not equal: expected: 4, actual : 3"},
		{"t.Fatalf", "=== RUN   TestX\n    x_test.go:12: Stop returned before fn did\n--- FAIL: TestX (0.00s)\n", "Stop returned before fn did"},
		{"a helper's t.Fatalf", "=== RUN   TestX\n    coursetest.go:80: Run did not return within 5s: is a goroutine waiting forever?\n--- FAIL: TestX\n", "Run did not return within 5s: is a goroutine waiting forever?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, failureMessage(tc.out))
		})
	}
}

func TestVerdictNamesTheFirstFailingTestInFileOrder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a_test.go", "package a\n\nimport \"testing\"\n\nfunc TestZebra(t *testing.T) {}\nfunc TestApple(t *testing.T) {}\n")
	tests := []TestResult{ // sorted by name, as the report lists them
		{Name: "TestApple", Status: TestFail, Output: "    a_test.go:6: apple is wrong\n"},
		{Name: "TestZebra", Status: TestFail, Output: "    a_test.go:5: zebra is wrong\n"},
	}
	status, reason := verdict(inFileOrder(tests, dir), nil)
	assert.Equal(t, StatusFail, status)
	assert.Equal(t, "TestZebra: zebra is wrong", reason, "TestZebra comes first in the file")
}

func TestScorecardOfASelection(t *testing.T) {
	m := &Manifest{Exercises: []Exercise{
		{ID: "day1_x/a", Title: "A", Day: 1, Points: 10, Hints: []string{"a1", "a2"}},
		{ID: "day1_x/b", Title: "B", Day: 1, Points: 10, Hints: []string{"b1", "b2"}},
		{ID: "day1_x/c", Title: "C", Day: 1, Points: 10, Hints: []string{"c1", "c2"}},
	}}
	rep := &Report{Race: true, Points: 10, MaxPoints: 10, Exercises: []ExerciseResult{
		{ID: "day1_x/b", Day: 1, Status: StatusPass, Points: 10, MaxPoints: 10, Passed: 2, Total: 2},
	}}
	var b bytes.Buffer
	rep.WriteText(&b, m)
	out := b.String()
	assert.Contains(t, out, "Every selected exercise passes.")
	assert.NotContains(t, out, "Every exercise passes", "a selection is not the whole week")
	assert.Contains(t, out, "Next in the week: day1_x/c (C), not graded in this run", "the exercise after the selection")
	assert.NotContains(t, out, "WITHOUT the race detector")

	rep.Exercises[0].ID = "day1_x/c"
	b.Reset()
	rep.WriteText(&b, m)
	assert.Contains(t, b.String(), "Next in the week: day1_x/a (A)", "after the last exercise, the first one not graded")
}

func TestScorecardWithoutTheRaceDetector(t *testing.T) {
	rep := &Report{Race: false, NoRace: "CGO_ENABLED=0 is set in your environment", Exercises: []ExerciseResult{
		{ID: "day1_x/a", Day: 1, Status: StatusPass, Points: 10, MaxPoints: 10, Passed: 1, Total: 1},
		{ID: "day1_x/b", Day: 1, Status: StatusFail, MaxPoints: 10, Total: 1, Reason: "TestB: wrong"},
	}}
	var b bytes.Buffer
	rep.WriteText(&b, nil)
	out := b.String()
	assert.Contains(t, out, "Graded WITHOUT the race detector, because CGO_ENABLED=0 is set in your environment")
	assert.Contains(t, out, "go test ./day1_x/b/", "the suggested command must work without cgo")
	assert.NotContains(t, out, "go test -race")
	b.Reset()
	rep.WriteMarkdown(&b)
	assert.Contains(t, b.String(), "Graded WITHOUT the race detector")
}

// syncBuffer is a bytes.Buffer safe for the heartbeat's goroutine and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestHeartbeatWhileAnExerciseIsSlow(t *testing.T) {
	defer func(d time.Duration) { heartbeatEvery = d }(heartbeatEvery)
	heartbeatEvery = 20 * time.Millisecond
	var out syncBuffer
	hb := newHeartbeat(&out)
	hb.begin("testing day3_x/slow")
	assert.Eventually(t, func() bool { return strings.Contains(out.String(), "still testing day3_x/slow (") },
		5*time.Second, 5*time.Millisecond, "a slow exercise gets a line saying the grader is still at it")
	hb.endWith("testing day3_x/slow", "  graded day3_x/slow pass\n")
	hb.stop()
	assert.True(t, strings.HasSuffix(out.String(), "  graded day3_x/slow pass\n"), "nothing after the exercise is done: %q", out.String())
}

func writeFile(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRaceSaysWhere(t *testing.T) {
	out := `=== RUN   TestCounter
==================
WARNING: DATA RACE
Read at 0x00c000014118 by goroutine 8:
  example.com/course/day2_sync/guarded.(*Counter).Value()
      /home/s/course/day2_sync/guarded/guarded.go:31 +0x3c
  example.com/course/day2_sync/guarded.TestCounter.func1()
      /home/s/course/day2_sync/guarded/guarded_test.go:20 +0x44

Previous write at 0x00c000014118 by goroutine 7:
  sync.(*Mutex).Unlock()
      ` + build.Default.GOROOT + `/src/sync/mutex.go:222 +0x1
  example.com/course/day2_sync/guarded.(*Counter).Inc()
      /home/s/course/day2_sync/guarded/guarded.go:24 +0x50

Goroutine 8 (running) created at:
  example.com/course/day2_sync/guarded.TestCounter()
      /home/s/course/day2_sync/guarded/guarded_test.go:18 +0x1
==================
    testing.go:1712: race detected during execution of test
--- FAIL: TestCounter (0.00s)
`
	assert.Equal(t, "data race detected: a read at guarded.go:31 and a previous write at guarded.go:24, without synchronisation between them",
		describe(TestResult{Name: "TestCounter", Status: TestFail, Output: out}))
	assert.Equal(t, "data race detected", describe(TestResult{Name: "TestCounter", Status: TestFail, Output: "WARNING: DATA RACE\n    testing.go:1712: race detected during execution of test\n"}),
		"without the report's body, no place is made up")

	// Built with -trimpath (verify's cached binaries), frames name module paths: the standard
	// library's and a module's frames are still skipped.
	trimmed := strings.NewReplacer("/home/s/course/", "example.com/course/", build.Default.GOROOT+"/src/", "").Replace(out)
	trimmed = strings.Replace(trimmed, "Previous write at 0x00c000014118 by goroutine 7:\n",
		"Previous write at 0x00c000014118 by goroutine 7:\n  github.com/stretchr/testify/assert.Equal()\n      github.com/stretchr/testify@v1.11.1/assert/assertions.go:1 +0x1\n", 1)
	require.Contains(t, trimmed, "      sync/mutex.go:222")
	require.Contains(t, trimmed, "testify@v1.11.1")
	assert.Equal(t, "data race detected: a read at guarded.go:31 and a previous write at guarded.go:24, without synchronisation between them",
		describe(TestResult{Name: "TestCounter", Status: TestFail, Output: trimmed}))
}
