package grader

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// SolutionOverlay swaps the reference solution of every exercise in exs into place.
func SolutionOverlay(root string, exs []Exercise) (Overlay, error) {
	o := Overlay{}
	for _, e := range exs {
		if err := o.AddDir(root, e.ID, SolutionDir(root, e.ID)); err != nil {
			return nil, fmt.Errorf("%s: no reference solution: %w", e.ID, err)
		}
	}
	return o, nil
}

// MutantOverlay swaps in the k-th mutant (0-based, in name order) of every exercise in exs that has
// one, over its reference solution, and returns the exercises it covers.
func MutantOverlay(root string, exs []Exercise, k int) (Overlay, []Exercise, error) {
	o := Overlay{}
	var covered []Exercise
	for _, e := range exs {
		ms, err := Mutants(root, e.ID)
		if err != nil {
			return nil, nil, err
		}
		if k >= len(ms) {
			continue
		}
		if err := o.AddDir(root, e.ID, SolutionDir(root, e.ID)); err != nil {
			return nil, nil, err
		}
		if err := o.AddDir(root, e.ID, ms[k]); err != nil {
			return nil, nil, err
		}
		covered = append(covered, e)
	}
	return o, covered, nil
}

// VerifyOptions are the settings of Verify beyond the grading options.
type VerifyOptions struct {
	// CPU lists the GOMAXPROCS values every solution must pass at and every mutant must be rejected
	// at, each in its own run of the test binary (a separate process: the race detector reports a
	// race once per process, so one process for every value would hide it from the later ones).
	// Default: 1, 2, 4 and 8.
	CPU []string
	// Timings lists the wall time of every stub, solution and mutant run before the median and the
	// maximum of the stub and mutant runs, flagging any of SlowRun or more. Without it, only the
	// slow runs and that summary line are written.
	Timings bool
	// FullRuns runs every test of each mutant at the first GOMAXPROCS, as a student's
	// `go test -race` would, so that the summary times the package's whole run. Without it, mutants
	// stop at their first failing test at every GOMAXPROCS: the same verdicts in less time, and only
	// the stubs' runs are timed whole.
	FullRuns bool
}

// SlowRun is the wall time a stub's or a mutant's package run should always stay under.
const SlowRun = 15 * time.Second

// Verify checks the course itself with the default VerifyOptions.
func Verify(ctx context.Context, m *Manifest, exs []Exercise, opts Options, w io.Writer) (failed int, err error) {
	return VerifyWith(ctx, m, exs, opts, VerifyOptions{}, w)
}

// timing is one run's wall time, for VerifyOptions.Timings.
type timing struct {
	kind, id, what, cpu string
	seconds             float64
	failFast            bool
}

// VerifyWith checks the course itself: for every exercise, the stub compiles and fails every test,
// the reference solution passes every test at every GOMAXPROCS of vo.CPU, and every mutant compiles
// and is rejected at every one of them. It writes one line per exercise and, last, "N passed, N
// failed", and reports how many exercises failed. Progress lines (opts.Progress) name what each run
// was: the stub, the solution, or which mutant and its bug.
func VerifyWith(ctx context.Context, m *Manifest, exs []Exercise, opts Options, vo VerifyOptions, w io.Writer) (failed int, err error) {
	if m.Edition == StudentEdition {
		return 0, fmt.Errorf("this is the student edition of the course: it has no solutions to verify (use `make grade`)")
	}
	if opts.Binaries == nil {
		if opts.Binaries, err = NewBinaryCache(); err != nil {
			return 0, err
		}
		defer opts.Binaries.Close()
	}
	cpus := vo.CPU
	if len(cpus) == 0 {
		cpus = []string{"1", "2", "4", "8"}
	}
	problems := map[string][]string{}
	summary := map[string][]string{}
	var mu sync.Mutex // guards problems, summary, timings and the progress writer
	note := func(id, format string, args ...any) {
		problems[id] = append(problems[id], fmt.Sprintf(format, args...))
	}
	var timings []timing
	progress := func(kind, label string, cpu string, failFast bool) func(ExerciseResult) {
		return func(r ExerciseResult) {
			// Called by Grade one at a time; mu also orders it against other rounds.
			mu.Lock()
			defer mu.Unlock()
			name, _, _ := strings.Cut(label, " (") // the mutant's name, without its bug
			timings = append(timings, timing{kind, r.ID, name, cpu, r.Seconds, failFast})
			if opts.Progress == nil {
				return
			}
			at := ""
			if cpu != "" {
				at = " at GOMAXPROCS=" + cpu
			}
			what := kind
			if label != "" {
				what += " " + label
			}
			fmt.Fprintf(opts.Progress, "  %-26s %s%s: %s %d/%d (%.1fs)\n", r.ID, what, at, r.Status, r.Passed, r.Total, r.Seconds)
		}
	}

	for _, e := range exs {
		checkLayout(opts.Root, e, note)
	}
	for _, id := range unlisted(opts.Root, m) {
		note(id, "exercise directory is not listed in %s", ManifestFile)
	}

	// Stubs: compile, every test fails.
	st := opts
	st.OnResult = progress("stub", "", "", false)
	stubs, err := Grade(ctx, exs, st)
	if err != nil {
		return 0, err
	}
	for _, r := range stubs.Exercises {
		switch {
		case r.GraderError != "":
			note(r.ID, "stub not tested: the grader %s", r.GraderError)
		case r.Status == StatusBuildError:
			note(r.ID, "stub does not compile: %s", r.Reason)
		case r.Passed > 0:
			note(r.ID, "stub passes %d of %d tests (every test must fail on the stub): %s", r.Passed, r.Total, passingNames(r))
		default:
			summary[r.ID] = append(summary[r.ID], fmt.Sprintf("stub 0/%d", r.Total))
		}
	}

	// Solutions: every test passes, at every GOMAXPROCS. The first run builds; the others run the
	// same binaries (opts.Binaries).
	withSolution := withoutProblems(exs, problems, "no reference solution")
	sol := opts
	if sol.Overlay, err = SolutionOverlay(opts.Root, withSolution); err != nil {
		return 0, err
	}
	solPassed := map[string]int{}
	solTotal := map[string]int{}
	for _, cpu := range cpus {
		sol.CPU = cpu
		sol.OnResult = progress("solution", "", cpu, false)
		sols, err := Grade(ctx, withSolution, sol)
		if err != nil {
			return 0, err
		}
		for _, r := range sols.Exercises {
			solTotal[r.ID] = r.Total
			if r.GraderError != "" {
				note(r.ID, "solution not tested at GOMAXPROCS=%s: the grader %s", cpu, r.GraderError)
			} else if r.Status != StatusPass {
				note(r.ID, "solution does not pass at GOMAXPROCS=%s: %s %d/%d: %s", cpu, r.Status, r.Passed, r.Total, r.Reason)
			} else {
				solPassed[r.ID]++
			}
		}
	}
	for _, e := range withSolution {
		if solPassed[e.ID] == len(cpus) {
			summary[e.ID] = append(summary[e.ID], fmt.Sprintf("solution %d/%d", solTotal[e.ID], solTotal[e.ID]))
		}
	}

	// Mutants: each compiles and is rejected at every GOMAXPROCS. The k-th mutant of every exercise
	// runs in one batch, and a few batches run at once: much of a batch's time is spent waiting for
	// the mutants that hang until a test's patience runs out, not computing. Runs stop at the first
	// failing test (-test.failfast), since one failure is the verdict, except at the first
	// GOMAXPROCS value with vo.FullRuns: that run runs every test, and its wall time is the
	// package's full run, as a student sees it.
	var rounds []Options
	var coveredBy [][]Exercise
	for k := 0; ; k++ {
		mut := opts
		mut.NoVet = true
		var covered []Exercise
		if mut.Overlay, covered, err = MutantOverlay(opts.Root, withSolution, k); err != nil {
			return 0, err
		}
		if len(covered) == 0 {
			break
		}
		rounds, coveredBy = append(rounds, mut), append(coveredBy, covered)
	}
	// rejectedAt[k][id] counts the GOMAXPROCS values at which the k-th mutant of id was rejected.
	rejectedAt := make([]map[string]int, len(rounds))
	// mutantNotes[k][id] are the problems found with the k-th mutant of id, noted in k order once
	// every round has ended, so that the report does not depend on which round ended first.
	mutantNotes := make([]map[string][]string, len(rounds))
	for k := range rounds {
		rejectedAt[k] = map[string]int{}
		mutantNotes[k] = map[string][]string{}
	}
	// Six rounds at once, large ones (an early k: every exercise) beside small ones (a late k: only
	// the capstones, whose rounds are mostly waits), so that no stretch of the run is all computing
	// or all waiting. With vo.FullRuns, three: the runs' wall times are the point then, and the more
	// runs share the cores, the longer each one takes.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(6)
	if vo.FullRuns {
		g.SetLimit(3)
	}
	for _, k := range largeBesideSmall(len(rounds)) {
		g.Go(func() error {
			live := coveredBy[k]
			// caught[id] are the tests that rejected the mutant at the first GOMAXPROCS (only the
			// first to fail, without vo.FullRuns): at the others they run first, alone, and only if
			// they all pass does the whole suite run.
			caught := map[string][]string{}
			for i, cpu := range cpus {
				if len(live) == 0 {
					return nil
				}
				labels := map[string]string{}
				for _, e := range live {
					labels[e.ID] = MutantLabel(opts.Root, e.ID, k)
				}
				run := func(exs []Exercise, only map[string][]string) (*Report, error) {
					o := rounds[k]
					o.CPU, o.FailFast, o.Only = cpu, i > 0 || !vo.FullRuns, only
					o.OnResult = func(r ExerciseResult) { progress("mutant", labels[r.ID], cpu, o.FailFast)(r) }
					return Grade(gctx, exs, o)
				}
				var results []ExerciseResult
				if i == 0 {
					rep, err := run(live, nil)
					if err != nil {
						return err
					}
					results = rep.Exercises
					for _, r := range results {
						for _, t := range r.Tests {
							if t.Status != TestPass && t.Status != TestNotRun {
								caught[r.ID] = append(caught[r.ID], t.Name)
							}
						}
					}
				} else {
					rep, err := run(live, caught)
					if err != nil {
						return err
					}
					var again []Exercise
					for j, r := range rep.Exercises {
						if r.Status == StatusPass && len(caught[r.ID]) > 0 {
							again = append(again, live[j]) // those tests missed it here: try them all
						} else {
							results = append(results, r)
						}
					}
					if len(again) > 0 {
						rep, err := run(again, nil)
						if err != nil {
							return err
						}
						results = append(results, rep.Exercises...)
					}
				}
				byID := map[string]Exercise{}
				for _, e := range live {
					byID[e.ID] = e
				}
				var next []Exercise
				mu.Lock()
				for _, r := range results {
					name := labels[r.ID]
					switch {
					case r.GraderError != "":
						mutantNotes[k][r.ID] = append(mutantNotes[k][r.ID], fmt.Sprintf("mutant %s not tested at GOMAXPROCS=%s: the grader %s", name, cpu, r.GraderError))
					case r.Status == StatusBuildError:
						mutantNotes[k][r.ID] = append(mutantNotes[k][r.ID], fmt.Sprintf("mutant %s does not compile: %s", name, r.Reason))
					case r.Status == StatusPass:
						mutantNotes[k][r.ID] = append(mutantNotes[k][r.ID], fmt.Sprintf("mutant %s passes every test at GOMAXPROCS=%s: the tests do not catch its bug", name, cpu))
						next = append(next, byID[r.ID])
					default:
						rejectedAt[k][r.ID]++
						next = append(next, byID[r.ID])
					}
				}
				mu.Unlock()
				live = next
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	for _, byID := range mutantNotes {
		for id, ps := range byID {
			problems[id] = append(problems[id], ps...)
		}
	}
	for _, e := range withSolution {
		ms, _ := Mutants(opts.Root, e.ID)
		rejected := 0
		for k := range ms {
			if k < len(rejectedAt) && rejectedAt[k][e.ID] == len(cpus) {
				rejected++
			}
		}
		summary[e.ID] = append(summary[e.ID], fmt.Sprintf("mutants %d/%d rejected", rejected, len(ms)))
	}

	ids := make([]string, 0, len(exs))
	for _, e := range exs {
		ids = append(ids, e.ID)
	}
	var extra []string
	for id := range problems {
		if !slices.Contains(ids, id) {
			extra = append(extra, id)
		}
	}
	sort.Strings(extra)
	ids = append(ids, extra...)
	writeTimings(w, timings, vo.Timings, vo.FullRuns)
	fmt.Fprintf(w, "Solutions must pass, and mutants be rejected, at GOMAXPROCS %s (one run each).\n", strings.Join(cpus, ", "))
	passed := 0
	for _, id := range ids {
		if p := problems[id]; len(p) > 0 {
			failed++
			fmt.Fprintf(w, "FAIL  %-34s %s\n", id, strings.Join(p, "; "))
			continue
		}
		passed++
		fmt.Fprintf(w, "ok    %-34s %s\n", id, strings.Join(summary[id], ", "))
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
	return failed, nil
}

// writeTimings lists every run's wall time (all) or only the slow ones, then the median and maximum
// of the stub runs and, with fullRuns, of the mutants' full runs (the runs at the first GOMAXPROCS,
// which run every test, as a student's `go test -race` would). Each time is measured by the grader
// around its own runs of that package's test binary (see Grade): the build, which is batched, is
// not in it; other runs going on at the same time are (on a busy machine the numbers are an upper
// bound).
func writeTimings(w io.Writer, ts []timing, all, fullRuns bool) {
	sort.SliceStable(ts, func(i, j int) bool {
		if ts[i].id != ts[j].id {
			return ts[i].id < ts[j].id
		}
		return ts[i].kind > ts[j].kind // stub, solution, mutant
	})
	if all {
		fmt.Fprintln(w, "Wall time of each package run (build excluded):")
	}
	var full []timing
	for _, t := range ts {
		mark := ""
		if t.failFast {
			mark = "  (stops at the first failure)"
		} else if t.kind != "solution" {
			full = append(full, t)
		}
		slow := t.seconds >= SlowRun.Seconds() && !t.failFast && t.kind != "solution"
		if slow {
			mark += "  SLOW: the goal is under 15 s"
		}
		if !all && !slow {
			continue
		}
		at := ""
		if t.cpu != "" {
			at = " GOMAXPROCS=" + t.cpu
		}
		fmt.Fprintf(w, "  %6.1fs  %-26s %s%s%s%s\n", t.seconds, t.id, t.kind, prefixed(" ", t.what), at, mark)
	}
	if len(full) == 0 {
		return
	}
	sort.Slice(full, func(i, j int) bool { return full[i].seconds < full[j].seconds })
	median := full[len(full)/2].seconds
	if len(full)%2 == 0 {
		median = (full[len(full)/2-1].seconds + full[len(full)/2].seconds) / 2
	}
	worst := full[len(full)-1]
	slow := 0
	for _, t := range full {
		if t.seconds >= SlowRun.Seconds() {
			slow++
		}
	}
	what := "Stub and mutant runs"
	if !fullRuns {
		what = "Stub runs"
	}
	fmt.Fprintf(w, "%s: %d, median %.1fs (goal < 3s), max %.1fs (%s %s%s), %d at 15s or more (goal: none)\n",
		what, len(full), median, worst.seconds, worst.id, worst.kind, prefixed(" ", worst.what), slow)
	if !fullRuns {
		fmt.Fprintln(w, "Mutants stopped at their first failing test; `course verify --times` runs each one's whole suite, as a student's go test does, and times it.")
	}
	fmt.Fprintln(w)
}

// largeBesideSmall returns 0 … n-1 as 0, n-1, 1, n-2, 2, …
func largeBesideSmall(n int) []int {
	order := make([]int, 0, n)
	for lo, hi := 0, n-1; lo <= hi; lo, hi = lo+1, hi-1 {
		order = append(order, lo)
		if hi != lo {
			order = append(order, hi)
		}
	}
	return order
}

func prefixed(pre, s string) string {
	if s == "" {
		return ""
	}
	return pre + s
}

// checkLayout checks the files of the exercise contract: tests, goleak, a solution for every stub
// file, at least two mutants each naming its bug on its first line.
func checkLayout(root string, e Exercise, note func(id, format string, args ...any)) {
	dir := filepath.Join(root, filepath.FromSlash(e.ID))
	stubFiles, err := sourceFiles(dir)
	if err != nil {
		note(e.ID, "exercise directory missing: %v", err)
		return
	}
	tests, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	usesGoleak := false
	for _, t := range tests {
		if data, err := os.ReadFile(t); err == nil && strings.Contains(string(data), "goleak.VerifyTestMain") {
			usesGoleak = true
		}
	}
	if !usesGoleak {
		note(e.ID, "tests do not call goleak.VerifyTestMain")
	}
	solDir := SolutionDir(root, e.ID)
	for _, f := range e.Given {
		if !slices.Contains(stubFiles, f) {
			note(e.ID, "given file %s (listed in %s) is not a file of the exercise", f, ManifestFile)
		} else if fileExists(filepath.Join(solDir, f)) {
			note(e.ID, "given file %s has a reference solution: a given file is complete, a stub file is not given", f)
		}
	}
	for _, f := range stubFiles {
		if slices.Contains(e.Given, f) {
			continue // a capstone's given file: complete, no solution
		}
		if !fileExists(filepath.Join(solDir, f)) {
			note(e.ID, "no reference solution for %s (expected %s)", f, filepath.Join("solutions", e.ID, f))
		}
	}
	ms, _ := Mutants(root, e.ID)
	if len(ms) < 2 {
		note(e.ID, "%d mutants (at least 2 wanted under %s)", len(ms), filepath.Join("solutions", e.ID, "testdata", "mutants"))
	}
	for _, mdir := range ms {
		files, _ := sourceFiles(mdir)
		for _, f := range files {
			if !slices.Contains(stubFiles, f) || slices.Contains(e.Given, f) {
				note(e.ID, "mutant %s has %s, which is not a file of the exercise", filepath.Base(mdir), f)
			}
		}
		if mutantBug(mdir) == "" {
			note(e.ID, "mutant %s does not name its bug: its file must start with a `// Mutant: ...` line", filepath.Base(mdir))
		}
	}
}

// MutantLabel names the k-th mutant (0-based, in name order) of exercise id and its bug:
// `"lost-wakeup" (Signal instead of Broadcast)`, or "" if there is no such mutant.
func MutantLabel(root, id string, k int) string {
	ms, _ := Mutants(root, id)
	if k < 0 || k >= len(ms) {
		return ""
	}
	label := fmt.Sprintf("%q", filepath.Base(ms[k]))
	if bug := mutantBug(ms[k]); bug != "" {
		label += " (" + bug + ")"
	}
	return label
}

// mutantBug returns the bug a mutant names on the first line of its first file.
func mutantBug(dir string) string {
	files, _ := sourceFiles(dir)
	if len(files) == 0 {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(dir, files[0]))
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(string(data), "\n")
	if bug, ok := strings.CutPrefix(strings.TrimSpace(first), "// Mutant:"); ok {
		return strings.TrimSpace(bug)
	}
	return ""
}

// unlisted finds exercise directories (dayN_*/<name>/ with Go files) that the manifest does not list.
func unlisted(root string, m *Manifest) []string {
	listed := map[string]bool{}
	for _, e := range m.Exercises {
		listed[e.ID] = true
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "day[1-7]_*", "*"))
	var out []string
	for _, d := range dirs {
		rel, _ := filepath.Rel(root, d)
		rel = filepath.ToSlash(rel)
		if files, err := sourceFiles(d); err == nil && len(files) > 0 && !listed[rel] {
			out = append(out, rel)
		}
	}
	sort.Strings(out)
	return out
}

func withoutProblems(exs []Exercise, problems map[string][]string, prefix string) []Exercise {
	var out []Exercise
	for _, e := range exs {
		skip := false
		for _, p := range problems[e.ID] {
			if strings.HasPrefix(p, prefix) || strings.HasPrefix(p, "exercise directory missing") {
				skip = true
			}
		}
		if !skip {
			out = append(out, e)
		}
	}
	return out
}

func passingNames(r ExerciseResult) string {
	var names []string
	for _, t := range r.Tests {
		if t.Status == TestPass {
			names = append(names, t.Name)
		}
	}
	return strings.Join(names, ", ")
}
