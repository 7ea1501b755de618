package grader

// The attacks of "Grading a pull request that cannot be faked, take two", each written as the
// exercise code a pull request could submit, graded the way CI grades it. Every attack targets a stub
// that is not solved: it must earn 0 points.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answerTest is the test every attacked exercise has: the stub returns 0, the test wants 42.
func answerTest(pkg string) string {
	return "package " + pkg + `

import "testing"

func TestAnswer(t *testing.T) {
	if Answer() != 42 {
		t.Fatal("want 42")
	}
}

func TestAgain(t *testing.T) {
	if Answer() != 42 {
		t.Fatal("want 42")
	}
}
`
}

// attackCourse writes a course whose exercises are the given exercise files (id -> source of id.go),
// each with answerTest, and returns its root and exercises, allowed the Days 1-3 imports plus extra.
func attackCourse(t *testing.T, sources map[string]string, extra ...string) (string, []Exercise) {
	t.Helper()
	return attackCourseWith(t, sources, nil, extra...)
}

// attackCourseWith is attackCourse with tests of its own for some exercises (id -> source of id_test.go).
func attackCourseWith(t *testing.T, sources, tests map[string]string, extra ...string) (string, []Exercise) {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.Chmod(root, 0o755)) // the sandbox's uid must be able to read the course
	goSum, err := os.ReadFile(filepath.Join(moduleRoot(t), "go.sum"))
	require.NoError(t, err)
	write := func(name, body string) {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	write("go.mod", "module attack\n\ngo 1.26\n\nrequire go.uber.org/goleak v1.3.0\n")
	write("go.sum", string(goSum))
	var exs []Exercise
	ids := slices.Sorted(maps.Keys(sources))
	for _, id := range ids {
		pkg := id[strings.LastIndex(id, "/")+1:]
		write(id+"/"+pkg+".go", sources[id])
		if test, ok := tests[id]; ok {
			write(id+"/"+pkg+"_test.go", test)
		} else {
			write(id+"/"+pkg+"_test.go", answerTest(pkg))
		}
		exs = append(exs, Exercise{ID: id, Title: pkg, Day: 1, Points: 10,
			allowed: append([]string{"errors", "fmt", "sync", "time"}, extra...)})
	}
	return root, exs
}

func gradeByID(t *testing.T, root string, exs []Exercise, opts Options) map[string]ExerciseResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts.Root = root
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	opts.Race = true
	rep, err := Grade(ctx, exs, opts)
	require.NoError(t, err)
	got := map[string]ExerciseResult{}
	for _, e := range rep.Exercises {
		got[e.ID] = e
	}
	return got
}

// Attack class 1: code at package initialisation without func init, which kept the real tests from
// running and printed results of its own.
var initAttacks = map[string]string{
	// Appends -test.run=^$ to os.Args, so that no test runs, and prints unframed results.
	"day1_a/initargs": `package initargs

import (
	"fmt"
	"os"
)

var _ = lie()

func lie() int {
	os.Args = append(os.Args, "-test.run=^$")
	fmt.Print("=== RUN   TestAnswer\n--- PASS: TestAnswer (0.00s)\n=== RUN   TestAgain\n--- PASS: TestAgain (0.00s)\nPASS\n")
	return 0
}

func Answer() int { return 0 }
`,
	// Makes package flag exit 0 (its -h handling) before any test runs.
	"day1_a/initflag": `package initflag

import "flag"

var _ = flag.NewFlagSet("x", flag.ExitOnError).Parse([]string{"-h"})

func Answer() int { return 0 }
`,
	// Prints the framed results for every test, then makes the binary exit 0 without running any.
	"day1_a/initframe": `package initframe

import (
	"fmt"
	"os"
)

var _ = forge()

func forge() int {
	f := string(rune(0x16))
	fmt.Print(f + "=== RUN   TestAnswer\n" + f + "--- PASS: TestAnswer (0.00s)\n" + f + "=== RUN   TestAgain\n" + f + "--- PASS: TestAgain (0.00s)\n" + f + "PASS\n")
	os.Args = append(os.Args, "-test.run=^$")
	return 0
}

func Answer() int { return 0 }
`,
	// Replaces the test binary with a shell that prints framed results and exits 0.
	"day1_a/initexec": `package initexec

import "syscall"

var _ = syscall.Exec("/bin/sh", []string{"sh", "-c", "printf '\\026=== RUN   TestAnswer\\n\\026--- PASS: TestAnswer (0.00s)\\n\\026=== RUN   TestAgain\\n\\026--- PASS: TestAgain (0.00s)\\n\\026PASS\\n'"}, nil)

func Answer() int { return 0 }
`,
}

func TestAttackPackageInitialisers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds test binaries")
	}
	root, exs := attackCourse(t, initAttacks)
	// As graded: the static rules flag every one of them, name the line, and nothing runs.
	got := gradeByID(t, root, exs, Options{})
	for id := range initAttacks {
		e := got[id]
		assert.Zero(t, e.Points, "%s must earn nothing (%s)", id, e.Reason)
		assert.Equal(t, StatusFail, e.Status, id)
		require.NotEmpty(t, e.Flags, "%s must be flagged", id)
		assert.Positive(t, e.Flags[0].Line, "%s: the flag names a line", id)
		assert.Contains(t, e.Reason, id+"/", "%s: the reason names the file", id)
	}
	assert.Contains(t, flagRules(got["day1_a/initargs"]), "package-init")
	assert.Contains(t, flagRules(got["day1_a/initargs"]), "package-state", "the assignment to os.Args is named too")
	assert.Contains(t, flagRules(got["day1_a/initexec"]), "import", "syscall is not on the Day 1 allowlist")

	// Even if such code ran (as the ones a static check cannot see might), the run-time rules hold:
	// unframed lines are not events, a binary that runs no test earns nothing, and framed results
	// of tests that the testing package never started do not count. (initexec is left out: a
	// program that replaces the test binary and prints a perfect stream is caught by the static
	// rules alone, and so is initframe: code that runs before the testing package has parsed its
	// flags can do anything the testing package can, including printing a perfect framed stream
	// and making it run nothing. See INSTRUCTORS.md.)
	runnable := map[string]string{"day1_a/initargs": initAttacks["day1_a/initargs"], "day1_a/initflag": initAttacks["day1_a/initflag"]}
	root, exs = attackCourse(t, runnable, "os", "flag")
	got = gradeByID(t, root, exs, Options{noStatic: true})
	for id := range runnable {
		e := got[id]
		assert.Zero(t, e.Points, "%s must earn nothing when it runs (%s)", id, e.Reason)
		assert.Zero(t, e.Passed, "%s: no test passed", id)
		assert.NotEqual(t, StatusPass, e.Status, id)
	}
}

func flagRules(e ExerciseResult) []string {
	var rules []string
	for _, f := range e.Flags {
		rules = append(rules, f.Rule)
	}
	return rules
}

// Attack class 3 and the strict event rules, on the raw stream a test binary prints.
func TestAttackEventStream(t *testing.T) {
	const f = "\x16"
	tests := []struct {
		name, stream string
		passed       []string // the tests that end with a pass
		forged       bool
	}{
		{"genuine", f + "=== RUN   TestA\nhi\n" + f + "--- PASS: TestA (0.00s)\n" + f + "=== RUN   TestB\n" + f + "--- FAIL: TestB (0.00s)\n" + f + "FAIL\n", []string{"TestA"}, false},
		{"unframed events are output", "=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n--- PASS: TestB (0.00s)\nPASS\n", nil, false},
		{"unframed before framed", "=== RUN   TestA\n--- PASS: TestA (0.00s)\n" + f + "=== RUN   TestB\n" + f + "--- PASS: TestB (0.00s)\n", []string{"TestB"}, false},
		{"a pass without a run", f + "--- PASS: TestA (0.00s)\n", nil, true},
		{"a forged pass before the real fail", f + "=== RUN   TestA\n" + f + "--- PASS: TestA (0.00s)\n" + f + "--- FAIL: TestA (0.00s)\n", nil, true},
		{"a test started twice", f + "=== RUN   TestA\n" + f + "=== RUN   TestA\n" + f + "--- PASS: TestA (0.00s)\n", nil, true},
		{"a test the grader did not ask for", f + "=== RUN   TestC\n" + f + "--- PASS: TestC (0.00s)\n", nil, true},
		{"events after the final result", f + "=== RUN   TestA\n" + f + "--- PASS: TestA (0.00s)\n" + f + "PASS\n" + f + "=== RUN   TestB\n" + f + "--- PASS: TestB (0.00s)\n", []string{"TestA"}, true},
		{"a frame after text with no newline", f + "=== RUN   TestA\npartial" + f + "--- PASS: TestA (0.00s)\n", []string{"TestA"}, false},
		{"subtests do not score", f + "=== RUN   TestA\n" + f + "=== RUN   TestA/x\n" + f + "--- PASS: TestA/x (0.00s)\n" + f + "--- FAIL: TestA (0.00s)\n", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &binaryRun{started: map[string]bool{}, final: map[string]string{}, output: map[string]*capBuf{},
				pkgOut: newCapBuf(1<<10, 1<<10), hung: map[string]bool{}, marks: map[string][]string{},
				asked: map[string]bool{"TestA": true, "TestB": true}}
			r.read(strings.NewReader(tc.stream))
			var passed []string
			for _, name := range []string{"TestA", "TestB"} {
				if r.final[name] == TestPass {
					passed = append(passed, name)
				}
			}
			assert.Equal(t, tc.passed, passed, "tests that pass")
			assert.Equal(t, tc.forged, len(r.forged) > 0, "forged: %v", r.forged)
		})
	}
}

// Attack class 6: racy code that passes by re-executing its own test binary with GORACE=report_bugs=0
// (from start-up code, which the static rules would flag; here it runs, to test the run-time
// defence): the child runs the real tests with the race detector's reports off, and the parent
// relays its genuine events and exit status. internal/coursetest's init refuses such a GORACE in any
// process of the test binary, and refuses any GORACE but the grader's where the grader marked it.
func racyRelay(pkg string, keepMark bool) string {
	filter := "_ = slices.Contains[[]string]; _ = strings.Contains"
	if !keepMark {
		filter = `env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "COURSE_GRADER_GORACE=") })`
	}
	return "package " + pkg + `

import (
	"os"
	"os/exec"
	"slices"
	"strings"
)

var _ = relay()

func relay() int {
	if os.Getenv("RELAYED") != "" {
		return 0
	}
	env := append(os.Environ(), "GORACE=report_bugs=0", "RELAYED=1")
	` + filter + `
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
	return 0
}

// Answer is right, but races on n.
func Answer() int {
	n := 0
	done := make(chan bool)
	go func() { n++; done <- true }()
	n++
	<-done
	return 42
}
`
}

func TestAttackRaceDetectorSwitchedOff(t *testing.T) {
	if testing.Short() {
		t.Skip("builds test binaries")
	}
	guarded := func(pkg string) string {
		return strings.Replace(answerTest(pkg), `import "testing"`, "import (\n\t\"testing\"\n\n\t_ \"attack/internal/coursetest\"\n)", 1)
	}
	sources := map[string]string{
		"day1_a/marked":    racyRelay("marked", true),
		"day1_a/unmarked":  racyRelay("unmarked", false),
		"day1_a/unguarded": racyRelay("unguarded", true),
	}
	tests := map[string]string{"day1_a/marked": guarded("marked"), "day1_a/unmarked": guarded("unmarked")}
	root, exs := attackCourseWith(t, sources, tests)
	// The course's coursetest, as every exercise test package imports it.
	for _, f := range []string{"env.go", "race_on.go", "race_off.go"} {
		data, err := os.ReadFile(filepath.Join(moduleRoot(t), "internal", "coursetest", f))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(root, "internal", "coursetest"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, "internal", "coursetest", f), data, 0o644))
	}
	got := gradeByID(t, root, exs, Options{noStatic: true})
	for _, id := range []string{"day1_a/marked", "day1_a/unmarked"} {
		assert.Zero(t, got[id].Points, "%s: racy code must not pass (%s)", id, got[id].Reason)
		assert.NotEqual(t, StatusPass, got[id].Status, id)
	}
	assert.Contains(t, got["day1_a/marked"].Tests[0].Output+got["day1_a/marked"].Reason, "GORACE", "the student is told why")
	// Without coursetest the attack works: that is what the defence is for.
	assert.Equal(t, StatusPass, got["day1_a/unguarded"].Status, "the unguarded relay passes: %s", got["day1_a/unguarded"].Reason)
}

// hostile is text an attacker controls (a panic message, a file name, a forged field of the raw
// report), trying every way Markdown, HTML and GitHub have to do more than show text.
const hostile = "[click](https://evil.example) ![x](https://evil.example/p.png) <img src=x onerror=alert(1)> " +
	"<details><summary>evil</summary> @octocat #1 https://evil.example\n# heading\n::add-mask::evil\n::error::evil `code` |x| \x1b[31m\u202eevil"

// outsideCode returns md without its code spans: what GitHub renders as Markdown.
func outsideCode(md string) string {
	var b strings.Builder
	in := false
	for _, r := range md {
		if r == '`' {
			in = !in
			continue
		}
		if !in {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Attack classes 7 and 9: untrusted text reaching the trusted job's summary, comment and log.
func TestAttackTrustedOutputEscapesEverything(t *testing.T) {
	root, m := trustedCourse(t)
	raw, err := json.Marshal(Report{Schema: Schema,
		Protected: []ProtectedChange{{Path: "day1_x/a/a_test.go", Action: hostile}},
		Exercises: []ExerciseResult{
			{ID: "day1_x/a", Status: StatusFail, Reason: "TestOne: panicked: " + hostile,
				Flags: []Flag{{File: hostile, Line: 3, Rule: hostile, Message: hostile}},
				Tests: []TestResult{{Name: "TestOne", Status: TestFail, Output: "panic: " + hostile}}},
			{ID: "day1_x/b", Status: StatusPartial, Reason: hostile, Tests: []TestResult{{Name: "TestOnly", Status: TestFail}}},
		}})
	require.NoError(t, err)
	changed := []string{"day1_x/a/a.go", "day1_x/a/" + strings.ReplaceAll(hostile, "\n", " ") + ".go", "docs/" + hostile}
	rep, err := Rescore(raw, m, root, changed)
	require.NoError(t, err)

	for _, c := range rep.Protected {
		assert.NotEqual(t, hostile, c.Action, "protected changes come from the API's list, not the raw report")
	}
	var md strings.Builder
	rep.WriteMarkdown(&md)
	out := outsideCode(md.String())
	for _, bad := range []string{"evil", "octocat", "<", "](", "#1", "::", "\x1b", "\u202e"} {
		assert.NotContains(t, out, bad, "outside code spans, the summary shows nothing of the hostile text")
	}
	assert.Contains(t, md.String(), "evil", "the text is shown, as code")
	for _, line := range strings.Split(md.String(), "\n") {
		assert.False(t, strings.HasPrefix(line, "# "), "no hostile heading: %q", line)
		assert.Equal(t, 0, strings.Count(line, "`")%2, "every code span is closed on its line: %q", line)
	}
	var cls struct {
		Tests []struct{ Message string }
	}
	data, err := base64.StdEncoding.DecodeString(rep.ClassroomResult())
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &cls))
	for _, tc := range cls.Tests {
		assert.NotContains(t, tc.Message, "\n", "the Classroom message is one plain line")
	}
}

// Attack class 10: a pull request with more files than the API lists could hide a .github/ edit.
func TestAttackTooManyChangedFilesVoidsTheGrade(t *testing.T) {
	root, m := trustedCourse(t)
	raw := rawReport(t, ExerciseResult{ID: "day1_x/b", Status: StatusPass, Points: 6, Tests: []TestResult{{Name: "TestOnly", Status: TestPass}}})
	rep, err := RescorePR(raw, m, root, []string{"day1_x/b/b.go"}, 3000, 3001)
	require.NoError(t, err)
	assert.Zero(t, rep.Points, "fails closed")
	assert.Contains(t, rep.Exercises[1].Reason, "listed only 3000")
	rep, err = RescorePR(raw, m, root, []string{"day1_x/b/b.go"}, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, 6.0, rep.Points, "a complete list grades normally")
}
