package grader

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Exercise statuses, as DESIGN.md names them.
const (
	StatusPass       = "pass"
	StatusPartial    = "partial"
	StatusFail       = "fail"
	StatusBuildError = "build-error"
	StatusTimeout    = "timeout"
	StatusNotStarted = "not-started"
)

// Test statuses.
const (
	TestPass    = "pass"
	TestFail    = "fail"
	TestSkip    = "skip"
	TestTimeout = "timeout"
	TestNotRun  = "not-run"
)

// Options configures a grading run.
type Options struct {
	Root     string        // the course root, holding go.mod and course.toml
	Overlay  Overlay       // files swapped in through `go test -overlay`; nil grades the files on disk
	Timeout  time.Duration // how long one run of an exercise's test binary may take
	Jobs     int           // test binaries run at once; 0 means GOMAXPROCS
	Race     bool          // build with the race detector
	Go       string        // the go command; "" means "go"
	Progress io.Writer     // if set, one line per exercise as it is graded, and a line while one is slow
	NoRace   string        // why Race is off, for the report ("" when it is on)
	// CPU, if set, is the test binary's -test.cpu list (GOMAXPROCS values), e.g. "4". Use one value
	// per Grade call: with several, every test runs once per value under the same name.
	CPU string
	// FailFast stops an exercise's run at its first failing test (-test.failfast), and does not run
	// the rest: for mutants, where one failure is the verdict.
	FailFast bool
	// NoVet builds without the go vet checks that `go test` runs first (-vet=off): for mutants,
	// whose code is the reference solution's, vetted already, with a bug in it.
	NoVet bool
	// Only, if set, limits an exercise (by id) to the named top-level tests; its result counts only
	// those. For verify's re-runs of a mutant at other GOMAXPROCS values: the tests that caught it.
	Only map[string][]string
	// OnResult, if set, is called with each exercise's result as soon as it is graded (one call at a
	// time), in place of the Progress line.
	OnResult func(ExerciseResult)
	// Sandbox runs every test binary inside the grading sandbox (see sandbox.go; CheckSandbox says
	// whether it works here). Hide lists more directories the sandboxed processes must not see,
	// such as where the reports will be written.
	Sandbox bool
	Hide    []string
	// Binaries, if set, keeps the test binaries built by one Grade call for the next ones (see
	// BinaryCache); verify sets it.
	Binaries *BinaryCache

	noStatic bool   // tests only: run flagged code, to test the run-time defences on their own
	modPath  string // the course's module path, read once per run
}

func (o *Options) goCmd() string {
	if o.Go == "" {
		return "go"
	}
	return o.Go
}

// env is the environment of the go command and the test binaries. A -race binary sleeps a second at
// exit by default; atexit_sleep_ms=0 removes that without weakening the detector.
// GOFLAGS gains -mod=readonly (on top of the user's own flags) so that grading never edits go.mod.
func (o *Options) env() []string {
	return append(os.Environ(), "GORACE="+raceEnv, "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=readonly"))
}

// Grade builds and runs the tests of exs and scores them. It returns an error only when grading
// itself was impossible (the go command would not run); anything a student's code does is a verdict.
func Grade(ctx context.Context, exs []Exercise, opts Options) (*Report, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.GOMAXPROCS(0)
	}
	opts.modPath = ModulePath(opts.Root)
	tmp, err := os.MkdirTemp("", "course-grade-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	overlayFile := ""
	if len(opts.Overlay) > 0 {
		overlayFile = filepath.Join(tmp, "overlay.json")
		data, _ := json.Marshal(map[string]Overlay{"Replace": opts.Overlay})
		if err := os.WriteFile(overlayFile, data, 0o644); err != nil {
			return nil, err
		}
	}
	hb := newHeartbeat(opts.Progress)
	defer hb.stop()
	hb.begin("building the test binaries")
	builds, err := opts.Binaries.build(ctx, &opts, exs, tmp, overlayFile)
	hb.end("building the test binaries")
	if err != nil {
		return nil, err
	}

	rep := &Report{Schema: Schema, Race: opts.Race, NoRace: opts.NoRace, Exercises: make([]ExerciseResult, len(exs))}
	var wg sync.WaitGroup
	var mu sync.Mutex // serialises OnResult calls
	sem := make(chan struct{}, opts.Jobs)
	for i, e := range exs {
		sem <- struct{}{} // in course order: with Jobs 1, one exercise after the other
		wg.Go(func() {
			defer func() { <-sem }()
			// The wall time of this package's test runs (the build is batched and not included),
			// measured here, where the grader starts and waits for the package's own test binary.
			start := time.Now()
			hb.begin("testing " + e.ID)
			res := gradeExercise(ctx, &opts, e, builds[e.ID])
			res.Seconds = round2(time.Since(start).Seconds())
			rep.Exercises[i] = res
			if opts.OnResult != nil {
				hb.end("testing " + e.ID)
				mu.Lock()
				opts.OnResult(res)
				mu.Unlock()
			} else {
				hb.endWith("testing "+e.ID, fmt.Sprintf("  graded %-34s %s\n", e.ID, res.Status))
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, r := range rep.Exercises {
		rep.Points += r.Points
		rep.MaxPoints += r.MaxPoints
	}
	rep.Points = round2(rep.Points)
	return rep, nil
}

// gradeExercise scores one exercise. It runs the known tests; when the binary dies (a panic, a
// timeout, os.Exit) it runs the tests that never reported again, without the one that was running,
// until every test has a verdict or a run makes no progress. So a crash costs one test, not the rest.
func gradeExercise(ctx context.Context, opts *Options, e Exercise, b *buildResult) ExerciseResult {
	res := ExerciseResult{ID: e.ID, Day: e.Day, Title: e.Title, MaxPoints: e.Points}
	dir := filepath.Join(opts.Root, filepath.FromSlash(e.ID))
	known, err := KnownTests(dir)
	if err != nil || len(known) == 0 {
		res.Status = StatusBuildError
		res.Reason = "no tests found in " + e.ID
		if err != nil {
			res.Reason = err.Error()
		}
		return res
	}
	if only := opts.Only[e.ID]; len(only) > 0 {
		known = slices.DeleteFunc(known, func(name string) bool { return !slices.Contains(only, name) })
	}
	if !opts.noStatic {
		if flags := CheckExerciseImports(opts.Root, dir, opts.modPath, opts.Overlay, e.AllowedImports()); len(flags) > 0 {
			// Not run at all: flagged code could print fake results.
			res.Status, res.Flags = StatusFail, flags
			res.Reason = fmt.Sprintf("flagged, not run: %s:%d: %s", flags[0].File, flags[0].Line, flags[0].Message)
			res.Tests, res.Total = notRun(known), len(known)
			return res
		}
	}
	tests := map[string]*TestResult{}
	if b == nil || b.bin == "" {
		res.Status = StatusBuildError
		out := ""
		if b != nil {
			out = b.output
		}
		res.Reason = "does not compile: " + firstLine(buildMessage(out))
		res.BuildOutput = truncate(out, 8<<10)
		res.Tests, res.Total = notRun(known), len(known)
		return res
	}

	remaining := append([]string(nil), known...)
	var afterTests []string // package-level failures with no failing test to blame
	var tampered []string   // signs that something other than the testing package printed events
	for len(remaining) > 0 && ctx.Err() == nil {
		run := runBinary(ctx, opts, b.bin, dir, e.ID, remaining)
		if run.err != nil {
			res.GraderError = "could not run the test binary: " + run.err.Error()
			for _, name := range remaining {
				tests[name] = &TestResult{Name: name, Status: TestNotRun, Output: "the grader " + res.GraderError}
			}
			remaining = nil
			break
		}
		for name := range run.hung {
			delete(run.final, name) // a verdict printed before the alarm is not a pass
		}
		if len(run.forged) > 0 {
			tampered = append(tampered, run.forged...)
		}
		var next, provisional []string
		anyFailed := false
		for _, name := range remaining {
			switch {
			case run.final[name] == TestPass && run.exitCode != 0:
				// A pass counts only from a binary that exits 0: run it again with the tests
				// that have no verdict yet, without the one that failed (decided below).
				provisional = append(provisional, name)
			case run.final[name] != "":
				st := run.final[name]
				tests[name] = &TestResult{Name: name, Status: st}
				if st != TestPass {
					anyFailed = true
					tests[name].Output = truncate(run.testText(name), 8<<10)
				}
			case run.started[name]:
				// It was running when the binary died or was killed.
				anyFailed = true
				st := TestFail
				txt := run.text(name)
				if run.killed || run.alarm {
					st = TestTimeout
				}
				tests[name] = &TestResult{Name: name, Status: st, Output: truncate(txt, 8<<10)}
			default:
				next = append(next, name)
			}
		}
		if len(next) == len(remaining) {
			// No test even started: the binary exits before running tests (os.Exit in init, a
			// broken TestMain, a crash at start-up), or hangs there (a busy loop at start-up). Not a
			// failure "after the tests": there were none.
			why, st := "the test binary exited before running this test", TestNotRun
			switch txt := strings.TrimSpace(run.pkgOut.String()); {
			case run.killed:
				why, st = hungBeforeTests, TestTimeout
			case txt != "":
				why += "; it printed:\n" + truncate(txt, 4<<10)
			default:
				why += fmt.Sprintf(" (exit status %d; did something call os.Exit?)", run.exitCode)
			}
			for _, name := range next {
				tests[name] = &TestResult{Name: name, Status: st, Output: why}
			}
			next = nil
		} else if !anyFailed && run.exitCode != 0 {
			afterTests = append(afterTests, packageFailure(run))
			for _, name := range provisional {
				tests[name] = &TestResult{Name: name, Status: TestPass}
			}
			provisional = nil
		}
		next = append(provisional, next...)
		if opts.FailFast && (anyFailed || run.exitCode != 0) {
			for _, name := range next {
				tests[name] = &TestResult{Name: name, Status: TestNotRun, Output: "not run: an earlier test failed (fail-fast)"}
			}
			next = nil
		}
		remaining = next
	}

	passed := 0
	for _, name := range known {
		t := tests[name]
		if t == nil { // only when ctx was cancelled
			t = &TestResult{Name: name, Status: TestNotRun}
		}
		if t.Status == TestPass {
			passed++
		}
		res.Tests = append(res.Tests, *t)
	}
	res.Passed, res.Total = passed, len(known)
	res.Points = round2(e.Points * float64(passed) / float64(len(known)))
	res.Status, res.Reason = verdict(inFileOrder(res.Tests, dir), afterTests)
	if len(afterTests) > 0 {
		res.Points = 0
	}
	if len(tampered) > 0 {
		res.Status, res.Points = StatusFail, 0
		res.Reason = "the test output was tampered with: " + tampered[0]
		res.Flags = append(res.Flags, Flag{Rule: "forged-events", Message: res.Reason})
	}
	return res
}

// notRun lists the known tests, none of them run.
func notRun(known []string) []TestResult {
	out := make([]TestResult, len(known))
	for i, name := range known {
		out[i] = TestResult{Name: name, Status: TestNotRun}
	}
	return out
}

// verdict derives the exercise status and a one-line reason from its tests' results.
func verdict(tests []TestResult, afterTests []string) (status, reason string) {
	passed, todo, timeouts := 0, 0, 0
	firstBad := -1
	for i, t := range tests {
		switch {
		case t.Status == TestPass:
			passed++
			continue
		case t.Status == TestTimeout:
			timeouts++
		case panicLine(t.Output, "TODO") != "":
			todo++
		}
		if firstBad < 0 {
			firstBad = i
		}
	}
	switch {
	case len(afterTests) > 0:
		return StatusFail, "every test passed, but " + afterTests[0]
	case passed == len(tests):
		return StatusPass, ""
	case passed == 0 && todo == len(tests):
		return StatusNotStarted, "the stub still panics with TODO"
	}
	bad := tests[firstBad]
	reason = bad.Name + ": " + describe(bad)
	if bad.Output == hungBeforeTests {
		reason = hungBeforeTests // about the binary, not about one test
	}
	switch {
	case timeouts > 0:
		return StatusTimeout, reason
	case passed > 0:
		return StatusPartial, reason
	default:
		return StatusFail, reason
	}
}

// describe says in a few words what happened to a test that did not pass.
func describe(t TestResult) string {
	out := t.Output
	switch {
	case t.Status == TestTimeout && out == hungBeforeTests:
		return hungBeforeTests
	case t.Status == TestTimeout:
		return "timed out (a hang: deadlock, lost wake-up or an endless loop)"
	case t.Status == TestNotRun:
		return "never ran: " + firstLine(out)
	case t.Status == TestSkip:
		return "skipped (a skipped test earns no points)"
	case panicLine(out, "TODO") != "":
		return "not started: " + panicLine(out, "TODO")
	case strings.Contains(out, "WARNING: DATA RACE") || strings.Contains(out, "race detected during execution of test"):
		if where := raceWhere(out); where != "" {
			return "data race detected: " + where
		}
		return "data race detected"
	case strings.Contains(out, "all goroutines are asleep - deadlock") || strings.Contains(out, "deadlock: "):
		return "deadlock"
	case strings.Contains(out, "found unexpected goroutines"):
		return "goroutine leak: goroutines were still running after the test"
	case panicLine(out, "") != "":
		return "panicked: " + panicLine(out, "")
	}
	if msg := failureMessage(out); msg != "" {
		return msg
	}
	return "failed"
}

// packageFailure explains a test binary that failed although none of its tests did.
func packageFailure(run *binaryRun) string {
	out := run.pkgOut.String()
	switch {
	case strings.Contains(out, "found unexpected goroutines"):
		return "goleak found goroutines still running after the tests (a goroutine leak)"
	case strings.Contains(out, "WARNING: DATA RACE"):
		return "the race detector found a data race outside any test"
	case panicLine(out, "") != "":
		return "the test binary panicked outside any test: " + panicLine(out, "")
	case run.killed:
		return "the test binary did not exit after its tests (killed at the timeout)"
	}
	return fmt.Sprintf("the test binary exited with status %d", run.exitCode)
}

// failureMessage picks the sentence that says why a failing test failed: testify's "Messages:" (the
// test's own words for the student) wherever it is, else testify's "Error:" with its expected and
// actual values, else the first message a t.Error or t.Fatal printed ("    x_test.go:12: message").
func failureMessage(out string) string {
	lines := strings.Split(out, "\n")
	for _, l := range lines {
		if msg, ok := testifyField(l, "Messages:"); ok && msg != "" {
			return msg
		}
	}
	for i, l := range lines {
		msg, ok := testifyField(l, "Error:")
		if !ok || msg == "" {
			continue
		}
		// "Not equal:" and friends go on with "expected: ..." and "actual  : ..." lines.
		var vals []string
		for _, next := range lines[i+1 : min(i+3, len(lines))] {
			v := strings.TrimSpace(next)
			if strings.HasPrefix(v, "expected") || strings.HasPrefix(v, "actual") {
				vals = append(vals, strings.Join(strings.Fields(v), " "))
			}
		}
		if len(vals) > 0 {
			msg = strings.TrimSuffix(msg, ":") + ": " + strings.Join(vals, ", ")
		}
		return firstLine(msg)
	}
	for _, l := range lines {
		if m := testingLine.FindStringSubmatch(l); m != nil && strings.TrimSpace(m[1]) != "" {
			return firstLine(m[1])
		}
	}
	return ""
}

// testingLine is a message of t.Error, t.Fatal or t.Log: indented, "file.go:line: message".
var testingLine = regexp.MustCompile(`^\s+[\w.-]+\.go:\d+: (.*)$`)

// testifyField returns the value of a testify failure field ("\tError:      \tNot equal:").
func testifyField(line, field string) (string, bool) {
	v, ok := strings.CutPrefix(strings.TrimSpace(line), field)
	return strings.TrimSpace(v), ok
}

// panicLine returns the message of the first Go panic in out whose message starts with prefix, or "".
// The runtime prints a panic at the start of a line ("panic: send on closed channel"); an assertion
// message that merely mentions "panic: " is indented by the testing package and does not count.
func panicLine(out, prefix string) string {
	for line := range strings.SplitSeq(out, "\n") {
		if msg, ok := strings.CutPrefix(line, "panic: "); ok && strings.HasPrefix(msg, prefix) {
			return firstLine(msg)
		}
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// buildMessage drops the "# package" headers of compiler output.
func buildMessage(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "#") && strings.TrimSpace(l) != "" {
			keep = append(keep, l)
		}
	}
	if len(keep) == 0 {
		return out
	}
	return strings.Join(keep, "\n")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "[...]\n" + s[len(s)-n:]
}

func round2(x float64) float64 {
	return float64(int64(x*100+0.5)) / 100
}
