package grader

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("builds test binaries")
	}
	root := t.TempDir()
	goSum, err := os.ReadFile(filepath.Join(moduleRoot(t), "go.sum"))
	require.NoError(t, err)
	test := func(pkg string) string {
		return "package " + pkg + "\n\nimport (\n\t\"testing\"\n\n\t\"go.uber.org/goleak\"\n)\n\n" +
			"func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }\n\n" +
			"func TestDouble(t *testing.T) {\n\tfor _, n := range []int{0, 1, 5} {\n\t\tif Double(n) != 2*n {\n\t\t\tt.Fatalf(\"Double(%d) = %d\", n, Double(n))\n\t\t}\n\t}\n}\n"
	}
	files := map[string]string{
		"go.mod": "module course.test\n\ngo 1.26\n\nrequire go.uber.org/goleak v1.3.0\n",
		"go.sum": string(goSum),
		"course.toml": `[[exercise]]
id = "day1_x/good"
title = "good"
day = 1
points = 10
topics = ["t"]
hints = ["a", "b"]

[[exercise]]
id = "day1_x/weak"
title = "weak"
day = 1
points = 10
topics = ["t"]
hints = ["a", "b"]
`,
		"day1_x/good/good.go":                                   "package good\n\n// TODO: double n.\nfunc Double(n int) int { panic(\"TODO: implement Double\") }\n",
		"day1_x/good/good_test.go":                              test("good"),
		"solutions/day1_x/good/good.go":                         "package good\n\nfunc Double(n int) int { return 2 * n }\n",
		"solutions/day1_x/good/testdata/mutants/plus/good.go":   "// Mutant: adds instead of multiplying.\npackage good\n\nfunc Double(n int) int { return n + 2 }\n",
		"solutions/day1_x/good/testdata/mutants/square/good.go": "// Mutant: squares.\npackage good\n\nfunc Double(n int) int { return n * n }\n",
		"day1_x/weak/weak.go":                                   "package weak\n\n// TODO: double n.\nfunc Double(n int) int { panic(\"TODO: implement Double\") }\n",
		"day1_x/weak/weak_test.go":                              test("weak"),
		"solutions/day1_x/weak/weak.go":                         "package weak\n\nfunc Double(n int) int { return 2 * n }\n",
		"solutions/day1_x/weak/testdata/mutants/shift/weak.go":  "// Mutant: the same thing, spelled differently, so no test can catch it.\npackage weak\n\nfunc Double(n int) int { return n << 1 }\n",
		"solutions/day1_x/weak/testdata/mutants/broken/weak.go": "// Mutant: does not compile.\npackage weak\n\nfunc Double(n int) int { return \"two\" }\n",
		"day1_x/unlisted/unlisted.go":                           "package unlisted\n",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	m, err := LoadManifest(filepath.Join(root, ManifestFile))
	require.NoError(t, err)
	var out bytes.Buffer
	var progress bytes.Buffer
	failed, err := VerifyWith(context.Background(), m, m.Exercises, Options{Root: root, Timeout: 30 * time.Second, Race: true, Progress: &progress},
		VerifyOptions{CPU: []string{"1", "4"}, Timings: true, FullRuns: true}, &out)
	require.NoError(t, err)
	timings, rest, ok := strings.Cut(out.String(), "\n\n")
	require.True(t, ok, "the timings, a blank line, the verdicts")
	assert.Regexp(t, `(?m)^ +\d+\.\ds  day1_x/good +stub$`, timings)
	assert.Regexp(t, `(?m)^ +\d+\.\ds  day1_x/good +mutant "plus" GOMAXPROCS=4  \(stops at the first failure\)$`, timings)
	assert.Regexp(t, `(?m)^Stub and mutant runs: 6, median \d+\.\ds \(goal < 3s\), max \d+\.\ds \(.*\), 0 at 15s or more \(goal: none\)$`, timings,
		"2 stubs and the full runs (at GOMAXPROCS=1) of 4 mutants")
	lines := strings.Split(strings.TrimSpace(rest), "\n")
	t.Log(out.String())
	t.Log(progress.String())
	assert.Equal(t, 2, failed)
	require.Len(t, lines, 5, "the GOMAXPROCS line, one line per exercise, one for the unlisted directory, and the closing count")
	assert.Equal(t, "Solutions must pass, and mutants be rejected, at GOMAXPROCS 1, 4 (one run each).", lines[0])
	lines = lines[1:]
	assert.Regexp(t, `^ok +day1_x/good +stub 0/1, solution 1/1, mutants 2/2 rejected$`, lines[0])
	assert.Regexp(t, `^FAIL +day1_x/weak +mutant "broken" .*; mutant "shift" .* GOMAXPROCS=1: .*; mutant "shift" .* GOMAXPROCS=4: `, lines[1],
		"an exercise's mutants' problems in name order, whichever round ended first")
	assert.Contains(t, lines[1], `mutant "shift" (the same thing, spelled differently, so no test can catch it.) passes every test at GOMAXPROCS=1`)
	assert.Contains(t, lines[1], `mutant "shift" (the same thing, spelled differently, so no test can catch it.) passes every test at GOMAXPROCS=4`)
	assert.Contains(t, lines[1], `mutant "broken" (does not compile.) does not compile`)

	// Progress names what each run looked at: the stub, the solution, or the mutant and its bug.
	p := progress.String()
	assert.Regexp(t, `(?m)^  day1_x/good +stub: not-started 0/1 \(\d+\.\ds\)$`, p)
	assert.Regexp(t, `(?m)^  day1_x/good +solution at GOMAXPROCS=4: pass 1/1 `, p)
	assert.Regexp(t, `(?m)^  day1_x/good +mutant "plus" \(adds instead of multiplying.\) at GOMAXPROCS=1: fail 0/1 `, p)
	assert.Regexp(t, `(?m)^  day1_x/good +mutant "plus" \(adds instead of multiplying.\) at GOMAXPROCS=4: fail 0/1 `, p)
	assert.Regexp(t, `^FAIL +day1_x/unlisted +exercise directory is not listed`, lines[2])
	assert.Equal(t, "1 passed, 2 failed", lines[3])

	// Without FullRuns the same verdicts, and every mutant run stops at its first failing test.
	out.Reset()
	failed, err = VerifyWith(context.Background(), m, m.Exercises, Options{Root: root, Timeout: 30 * time.Second, Race: true},
		VerifyOptions{CPU: []string{"1", "4"}, Timings: true}, &out)
	require.NoError(t, err)
	assert.Equal(t, 2, failed)
	timings, rest, ok = strings.Cut(out.String(), "\n\n")
	require.True(t, ok, "the timings, a blank line, the verdicts")
	assert.Regexp(t, `(?m)^ +\d+\.\ds  day1_x/good +mutant "plus" GOMAXPROCS=1  \(stops at the first failure\)$`, timings)
	assert.Regexp(t, `(?m)^Stub runs: 2, median `, timings)
	assert.Equal(t, lines, strings.Split(strings.TrimSpace(rest), "\n")[1:], "the same verdicts, in the same order")

	// A binary the grader cannot run (here a go command that writes files that are not programs) is
	// the grader's failure: no stub "fails", no mutant is "rejected".
	fakeGo := filepath.Join(t.TempDir(), "go")
	require.NoError(t, os.WriteFile(fakeGo, []byte(`#!/bin/sh
for a; do [ "$prev" = -o ] && out=$a; prev=$a; done
for a; do case $a in ./*) echo 'not a program' > "$out/${a##*/}.test";; esac; done
`), 0o755))
	out.Reset()
	failed, err = VerifyWith(context.Background(), m, m.Exercises, Options{Root: root, Go: fakeGo, Timeout: 30 * time.Second, Race: true},
		VerifyOptions{CPU: []string{"1"}}, &out)
	require.NoError(t, err)
	assert.Equal(t, 3, failed, out.String())
	assert.NotRegexp(t, `(?m)^ok `, out.String())
	assert.Contains(t, out.String(), "stub not tested: the grader could not run the test binary")
	assert.Contains(t, out.String(), "solution not tested at GOMAXPROCS=1: the grader could not run the test binary")
	assert.Contains(t, out.String(), `mutant "plus" (adds instead of multiplying.) not tested at GOMAXPROCS=1: the grader could not run the test binary`)
}

// A scorecard of mutants is an instructor's: it gives no "Next:" exercise and no hint.
func TestMutantReportGivesNoAdvice(t *testing.T) {
	rep := &Report{Mode: "mutant", Exercises: []ExerciseResult{{ID: "day1_x/a", Day: 1, Status: StatusFail, Reason: "TestA: wrong", Total: 1}}}
	m := &Manifest{Exercises: []Exercise{{ID: "day1_x/a", Title: "a", Hints: []string{"h1", "h2"}}}}
	var b bytes.Buffer
	rep.WriteText(&b, m)
	assert.NotContains(t, b.String(), "Next:")
	assert.NotContains(t, b.String(), "Hint")
	assert.Contains(t, b.String(), "day1_x/a")
}

// Without -v, verify still writes the slow runs and the summary line, so that a CI log shows them.
func TestTimingsSummaryWithoutVerbose(t *testing.T) {
	ts := []timing{
		{kind: "stub", id: "day1_x/a", seconds: 0.4},
		{kind: "solution", id: "day1_x/a", cpu: "1", seconds: 20},
		{kind: "mutant", id: "day1_x/a", what: `"slow"`, cpu: "1", seconds: 16.5},
		{kind: "mutant", id: "day1_x/a", what: `"slow"`, cpu: "2", seconds: 16, failFast: true},
		{kind: "mutant", id: "day1_x/a", what: `"quick"`, cpu: "1", seconds: 1.0},
	}
	var quiet, verbose bytes.Buffer
	writeTimings(&quiet, slices.Clone(ts), false, true)
	writeTimings(&verbose, slices.Clone(ts), true, true)
	assert.Equal(t, "    16.5s  day1_x/a                   mutant \"slow\" GOMAXPROCS=1  SLOW: the goal is under 15 s\n"+
		"Stub and mutant runs: 3, median 1.0s (goal < 3s), max 16.5s (day1_x/a mutant \"slow\"), 1 at 15s or more (goal: none)\n\n",
		quiet.String(), "only the slow full run (not the solution, not the run that stops at the first failure) and the summary")
	assert.Equal(t, 8, strings.Count(verbose.String(), "\n"), "-v: a header, every run, the summary and a blank line:\n%s", verbose.String())
}

// Without FullRuns every mutant run stops at its first failure: the summary times the stubs alone
// and says how to time the mutants' whole runs.
func TestTimingsSummaryOfStubsAlone(t *testing.T) {
	ts := []timing{
		{kind: "stub", id: "day1_x/a", seconds: 0.4},
		{kind: "stub", id: "day1_x/b", seconds: 0.8},
		{kind: "mutant", id: "day1_x/a", what: `"slow"`, cpu: "1", seconds: 16.5, failFast: true},
	}
	var out bytes.Buffer
	writeTimings(&out, ts, false, false)
	assert.Equal(t, "Stub runs: 2, median 0.6s (goal < 3s), max 0.8s (day1_x/b stub), 0 at 15s or more (goal: none)\n"+
		"Mutants stopped at their first failing test; `course verify --times` runs each one's whole suite, as a student's go test does, and times it.\n\n",
		out.String())
}

func TestLargeBesideSmall(t *testing.T) {
	assert.Empty(t, largeBesideSmall(0))
	assert.Equal(t, []int{0}, largeBesideSmall(1))
	assert.Equal(t, []int{0, 4, 1, 3, 2}, largeBesideSmall(5))
	assert.Equal(t, []int{0, 5, 1, 4, 2, 3}, largeBesideSmall(6))
}
