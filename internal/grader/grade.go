package grader

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
	Progress io.Writer     // if set, one line per exercise as it is graded
	// CPU, if set, is the test binary's -test.cpu list (GOMAXPROCS values), e.g. "4". Use one value
	// per Grade call: with several, every test runs once per value under the same name.
	CPU string
	// FailFast stops an exercise's run at its first failing test (-test.failfast), and does not run
	// the rest: for mutants, where one failure is the verdict.
	FailFast bool
	// OnResult, if set, is called with each exercise's result as soon as it is graded (one call at a
	// time), in place of the Progress line.
	OnResult func(ExerciseResult)

	noStatic  bool   // tests only: run flagged code, to test the run-time defences on their own
	test2json string // the toolchain's test2json binary, found once per run
	modPath   string // the course's module path, read once per run
}

// findTest2json returns the path of the toolchain's test2json, so that each test run does not pay
// for starting the go command; "" falls back to `go tool test2json`.
func findTest2json(ctx context.Context, opts *Options) string {
	out, err := exec.CommandContext(ctx, opts.goCmd(), "env", "GOTOOLDIR").Output()
	if err != nil {
		return ""
	}
	bin := filepath.Join(strings.TrimSpace(string(out)), "test2json")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if !fileExists(bin) {
		return ""
	}
	return bin
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
	return append(os.Environ(), "GORACE=atexit_sleep_ms=0", "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=readonly"))
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
	if opts.test2json == "" {
		opts.test2json = findTest2json(ctx, &opts)
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
	builds, err := buildAll(ctx, &opts, exs, filepath.Join(tmp, "bin"), overlayFile)
	if err != nil {
		return nil, err
	}

	rep := &Report{Schema: Schema, Exercises: make([]ExerciseResult, len(exs))}
	var wg sync.WaitGroup
	var mu sync.Mutex // serialises progress lines
	sem := make(chan struct{}, opts.Jobs)
	for i, e := range exs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			// The wall time of this package's test runs (the build is batched and not included),
			// measured here, where the grader starts and waits for the package's own test binary.
			start := time.Now()
			res := gradeExercise(ctx, &opts, e, builds[e.ID])
			res.Seconds = round2(time.Since(start).Seconds())
			rep.Exercises[i] = res
			if opts.OnResult != nil {
				mu.Lock()
				opts.OnResult(res)
				mu.Unlock()
			} else if opts.Progress != nil {
				mu.Lock()
				fmt.Fprintf(opts.Progress, "  graded %-34s %s\n", e.ID, res.Status)
				mu.Unlock()
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
	if !opts.noStatic {
		if flags := CheckExercise(opts.Root, dir, opts.modPath, opts.Overlay); len(flags) > 0 {
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
			for _, name := range remaining {
				tests[name] = &TestResult{Name: name, Status: TestNotRun, Output: "the grader could not run the test binary: " + run.err.Error()}
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
		var next []string
		anyFailed := false
		for _, name := range remaining {
			switch {
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
		if !anyFailed && run.exitCode != 0 {
			afterTests = append(afterTests, packageFailure(run))
		}
		if opts.FailFast && (anyFailed || run.exitCode != 0) {
			for _, name := range next {
				tests[name] = &TestResult{Name: name, Status: TestNotRun, Output: "not run: an earlier test failed (fail-fast)"}
			}
			next = nil
		}
		if len(next) == len(remaining) {
			// No test even started: the binary exits before running tests (os.Exit in init, a
			// broken TestMain, a crash at start-up).
			why := "the test binary exited before running this test"
			switch txt := strings.TrimSpace(run.pkgOut.String()); {
			case run.killed:
				why = "the test binary hung before running this test (killed at the timeout)"
			case txt != "":
				why += "; it printed:\n" + truncate(txt, 4<<10)
			default:
				why += fmt.Sprintf(" (exit status %d; did something call os.Exit?)", run.exitCode)
			}
			for _, name := range next {
				tests[name] = &TestResult{Name: name, Status: TestNotRun, Output: why}
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
	res.Status, res.Reason = verdict(res.Tests, afterTests)
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
	case t.Status == TestTimeout:
		return "timed out (a hang: deadlock, lost wake-up or an endless loop)"
	case t.Status == TestNotRun:
		return "never ran: " + firstLine(out)
	case t.Status == TestSkip:
		return "skipped (a skipped test earns no points)"
	case panicLine(out, "TODO") != "":
		return "not started: " + panicLine(out, "TODO")
	case strings.Contains(out, "WARNING: DATA RACE") || strings.Contains(out, "race detected during execution of test"):
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

// failureMessage picks the first assertion message out of a failing test's output.
func failureMessage(out string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Messages:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "Messages:"))
		}
		if strings.HasPrefix(l, "Error:") && i+1 < len(lines) {
			if m := strings.TrimSpace(strings.TrimPrefix(l, "Error:")); m != "" {
				return m
			}
		}
	}
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.Contains(l, "_test.go:") {
			if _, msg, ok := strings.Cut(l, ": "); ok && msg != "" {
				return msg
			}
		}
	}
	return ""
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
