package grader

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is a small course whose exercises each misbehave in one way. Every file is a real Go file;
// the grader builds and runs them exactly as it does a student's work.
var fixture = map[string]string{
	"good/good.go": `package good

func Add(a, b int) int { return a + b }
`,
	"good/good_test.go": `package good

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAdd(t *testing.T) {
	if Add(1, 2) != 3 {
		t.Fatal("Add(1, 2) != 3")
	}
}

func TestSubtests(t *testing.T) {
	for _, n := range []int{1, 2} {
		t.Run("case", func(t *testing.T) {
			if Add(n, 0) != n {
				t.Fatal("wrong")
			}
		})
	}
}
`,
	"builderr/builderr.go": `package builderr

func Broken() int { return "not an int" }
`,
	"builderr/builderr_test.go": `package builderr

import "testing"

func TestBroken(t *testing.T) { Broken() }
`,
	"todo/todo.go": `package todo

// TODO: implement Run.
func Run() int { panic("TODO: implement Run (todo)") }
`,
	"todo/todo_test.go": `package todo

import "testing"

func TestOne(t *testing.T) { Run() }
func TestTwo(t *testing.T) { Run() }
`,
	"panics/panics.go": `package panics

func Boom() { var m map[string]int; m["x"] = 1 }
`,
	"panics/panics_test.go": `package panics

import "testing"

func TestA_Panics(t *testing.T) { Boom() }
func TestB_Passes(t *testing.T) {}
func TestC_Passes(t *testing.T) {}
`,
	"bgpanic/bgpanic.go": `package bgpanic

// Start panics on another goroutine; done is never closed, so the panic always ends the binary
// while the test waits.
func Start(done chan struct{}) { go func() { panic("background boom") }() }
`,
	"bgpanic/bgpanic_test.go": `package bgpanic

import "testing"

func TestA_Background(t *testing.T) { done := make(chan struct{}); Start(done); <-done }
func TestB_Passes(t *testing.T) {}
`,
	"deadlock/deadlock.go": `package deadlock

func Wait() { ch := make(chan int); <-ch }
`,
	"deadlock/deadlock_test.go": `package deadlock

import "testing"

func TestA_Passes(t *testing.T) {}
func TestB_Deadlocks(t *testing.T) { Wait() }
`,
	"spin/spin.go": `package spin

func Spin() int { n := 0; for { n++ } }
`,
	"spin/spin_test.go": `package spin

import "testing"

func TestA_Spins(t *testing.T) { Spin() }
func TestB_Passes(t *testing.T) {}
`,
	"exit0/exit0.go": `package exit0

import "os"

func init() { os.Exit(0) }

func Answer() int { return 42 }
`,
	"exit0/exit0_test.go": `package exit0

import "testing"

func TestAnswer(t *testing.T) {
	if Answer() != 42 {
		t.Fatal("wrong")
	}
}
`,
	"forge/forge.go": `package forge

import "fmt"

const lies = "--- PASS: TestAnswer (0.00s)\n--- PASS: TestOther (0.00s)\nPASS\nok  \tfixture/forge\t0.001s\n"

func init() { fmt.Print(lies) }

func Answer() int { fmt.Print(lies); return 41 }
`,
	"forge/forge_test.go": `package forge

import "testing"

func TestAnswer(t *testing.T) {
	if Answer() != 42 {
		t.Fatal("wrong answer")
	}
}

func TestOther(t *testing.T) {
	if Answer() != 42 {
		t.Fatal("wrong answer")
	}
}
`,
	"framed/framed.go": `package framed

import "fmt"

// Answer prints genuine-looking test2json framing for another test, then answers wrongly.
func Answer() int {
	fmt.Print("\x16=== RUN   TestOther\n\x16--- PASS: TestOther (0.00s)\n")
	return 41
}
`,
	"framed/framed_test.go": `package framed

import "testing"

func TestAnswer(t *testing.T) { Answer() }

func TestOther(t *testing.T) {
	if Answer() != 42 {
		t.Fatal("wrong answer")
	}
}
`,
	"leak/leak.go": `package leak

func Start() { go func() { select {} }() }
`,
	"leak/leak_test.go": `package leak

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStart(t *testing.T) { Start() }
`,
	"race/race.go": `package race

var counter int

// Bump increments counter from two goroutines without synchronisation.
func Bump() {
	done := make(chan bool)
	go func() { counter++; done <- true }()
	counter++
	<-done
}
`,
	"race/race_test.go": `package race

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Bump() // outside any test
	os.Exit(code)
}

func TestNothing(t *testing.T) {}
`,
	"printer/printer.go": `package printer

import "fmt"

func Chatter() {
	for {
		fmt.Println("all work and no play makes Jack a dull boy; all work and no play makes Jack a dull boy")
	}
}
`,
	"printer/printer_test.go": `package printer

import "testing"

func TestChatter(t *testing.T) { Chatter() }
`,
}

// writeFixture lays the fixture course out in a temporary directory, sharing this module's go.sum so
// the go command finds goleak in the module cache without a download.
func writeFixture(t *testing.T) (string, []Exercise) {
	t.Helper()
	root := t.TempDir()
	goSum, err := os.ReadFile(filepath.Join(moduleRoot(t), "go.sum"))
	require.NoError(t, err)
	files := map[string]string{
		"go.mod": "module fixture\n\ngo 1.26\n\nrequire go.uber.org/goleak v1.3.0\n",
		"go.sum": string(goSum),
	}
	for name, body := range fixture {
		files[name] = body
	}
	var exs []Exercise
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		if dir, file := filepath.Split(name); strings.HasSuffix(file, "_test.go") {
			exs = append(exs, Exercise{ID: strings.TrimSuffix(dir, "/"), Title: file, Day: 1, Points: 10})
		}
	}
	return root, exs
}

func moduleRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestGradeBrokenExercises(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a dozen test binaries")
	}
	testGradeBrokenExercises(t, false)
}

// TestGradeBrokenExercisesInTheSandbox grades the same fixture in the sandbox: crashes, hangs, kills
// at the timeout and floods of output come out the same.
func TestGradeBrokenExercisesInTheSandbox(t *testing.T) {
	needSandbox(t)
	testGradeBrokenExercises(t, true)
}

func testGradeBrokenExercises(t *testing.T, sandbox bool) {
	root, exs := writeFixture(t)
	require.NoError(t, os.Chmod(root, 0o755))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The static rules would refuse to run exit0, forge and framed; here we test what the grader
	// does at run time when such code runs anyway.
	rep, err := Grade(ctx, exs, Options{Root: root, Timeout: 4 * time.Second, Race: true, noStatic: true, Sandbox: sandbox})
	require.NoError(t, err)

	got := map[string]ExerciseResult{}
	for _, e := range rep.Exercises {
		got[e.ID] = e
	}
	tests := []struct {
		id           string
		status       string
		passed       int
		reasonSays   string
		testStatuses map[string]string
	}{
		{"good", StatusPass, 2, "", map[string]string{"TestAdd": TestPass, "TestSubtests": TestPass}},
		{"builderr", StatusBuildError, 0, "cannot use", map[string]string{"TestBroken": TestNotRun}},
		{"todo", StatusNotStarted, 0, "TODO", map[string]string{"TestOne": TestFail, "TestTwo": TestFail}},
		{"panics", StatusPartial, 2, "assignment to entry in nil map", map[string]string{"TestA_Panics": TestFail, "TestB_Passes": TestPass, "TestC_Passes": TestPass}},
		{"bgpanic", StatusPartial, 1, "background boom", map[string]string{"TestA_Background": TestFail, "TestB_Passes": TestPass}},
		{"deadlock", StatusTimeout, 1, "TestB_Deadlocks: timed out", map[string]string{"TestA_Passes": TestPass, "TestB_Deadlocks": TestTimeout}},
		{"spin", StatusTimeout, 1, "timed out", map[string]string{"TestA_Spins": TestTimeout, "TestB_Passes": TestPass}},
		{"exit0", StatusFail, 0, "never ran", map[string]string{"TestAnswer": TestNotRun}},
		{"forge", StatusFail, 0, "wrong answer", map[string]string{"TestAnswer": TestFail, "TestOther": TestFail}},
		{"framed", StatusFail, 1, "tampered", map[string]string{"TestOther": TestFail}},
		{"leak", StatusFail, 1, "goroutine leak", map[string]string{"TestStart": TestPass}},
		{"race", StatusFail, 1, "data race", map[string]string{"TestNothing": TestPass}},
		{"printer", StatusTimeout, 0, "timed out", map[string]string{"TestChatter": TestTimeout}},
	}
	require.Len(t, got, len(tests), "every fixture exercise must be graded")
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			e := got[tc.id]
			assert.Equal(t, tc.status, e.Status, "status of %s (reason: %s)", tc.id, e.Reason)
			assert.Equal(t, tc.passed, e.Passed, "passed tests of %s", tc.id)
			assert.Contains(t, e.Reason, tc.reasonSays, "reason of %s", tc.id)
			statuses := map[string]string{}
			for _, tr := range e.Tests {
				statuses[tr.Name] = tr.Status
				assert.LessOrEqual(t, len(tr.Output), 9<<10, "output of %s must be capped", tr.Name)
			}
			for name, want := range tc.testStatuses {
				assert.Equal(t, want, statuses[name], "status of %s/%s", tc.id, name)
			}
			if e.Status != StatusPass {
				assert.Less(t, e.Points, e.MaxPoints, "%s must not earn full points", tc.id)
			}
		})
	}
	assert.Equal(t, 10.0, got["good"].Points, "a broken exercise must not cost the good one its points")
	assert.InDelta(t, 10.0*2/3, got["panics"].Points, 0.01, "points are proportional to passing top-level tests")
	assert.Zero(t, got["leak"].Points, "a leak found after the tests leaves no points")

	// The report is valid course-grade/v1 JSON.
	file := filepath.Join(t.TempDir(), "grade.json")
	require.NoError(t, rep.WriteJSON(file))
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var decoded map[string]any
	require.NoError(t, json.Unmarshal(data, &decoded))
	assert.Equal(t, Schema, decoded["schema"])
	for _, key := range []string{"points", "max_points", "exercises"} {
		assert.Contains(t, decoded, key)
	}
	ex0 := decoded["exercises"].([]any)[0].(map[string]any)
	for _, key := range []string{"id", "day", "status", "points", "max_points", "tests"} {
		assert.Contains(t, ex0, key)
	}
}
