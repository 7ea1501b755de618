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

// Verify checks the course itself: for every exercise, the stub compiles and fails every test, the
// reference solution passes every test, and every mutant compiles and is rejected. It writes one line
// per exercise and, last, "N passed, N failed", and reports how many exercises failed.
func Verify(ctx context.Context, m *Manifest, exs []Exercise, opts Options, w io.Writer) (failed int, err error) {
	if m.Edition == StudentEdition {
		return 0, fmt.Errorf("this is the student edition of the course: it has no solutions to verify (use `make grade`)")
	}
	problems := map[string][]string{}
	summary := map[string][]string{}
	note := func(id, format string, args ...any) {
		problems[id] = append(problems[id], fmt.Sprintf(format, args...))
	}

	for _, e := range exs {
		checkLayout(opts.Root, e, note)
	}
	for _, id := range unlisted(opts.Root, m) {
		note(id, "exercise directory is not listed in %s", ManifestFile)
	}

	// Stubs: compile, every test fails.
	stubs, err := Grade(ctx, exs, opts)
	if err != nil {
		return 0, err
	}
	for _, r := range stubs.Exercises {
		switch {
		case r.Status == StatusBuildError:
			note(r.ID, "stub does not compile: %s", r.Reason)
		case r.Passed > 0:
			note(r.ID, "stub passes %d of %d tests (every test must fail on the stub): %s", r.Passed, r.Total, passingNames(r))
		default:
			summary[r.ID] = append(summary[r.ID], fmt.Sprintf("stub 0/%d", r.Total))
		}
	}

	// Solutions: every test passes.
	withSolution := withoutProblems(exs, problems, "no reference solution")
	sol := opts
	if sol.Overlay, err = SolutionOverlay(opts.Root, withSolution); err != nil {
		return 0, err
	}
	sols, err := Grade(ctx, withSolution, sol)
	if err != nil {
		return 0, err
	}
	for _, r := range sols.Exercises {
		if r.Status != StatusPass {
			note(r.ID, "solution does not pass: %s %d/%d: %s", r.Status, r.Passed, r.Total, r.Reason)
		} else {
			summary[r.ID] = append(summary[r.ID], fmt.Sprintf("solution %d/%d", r.Passed, r.Total))
		}
	}

	// Mutants: each compiles and is rejected. The k-th mutant of every exercise runs in one batch, and
	// a few batches run at once: most of a batch's time is spent waiting for the mutants that hang
	// until a test's patience runs out, not computing.
	var rounds []Options
	var coveredBy [][]Exercise
	for k := 0; ; k++ {
		mut := opts
		var covered []Exercise
		if mut.Overlay, covered, err = MutantOverlay(opts.Root, withSolution, k); err != nil {
			return 0, err
		}
		if len(covered) == 0 {
			break
		}
		rounds, coveredBy = append(rounds, mut), append(coveredBy, covered)
	}
	reports := make([]*Report, len(rounds))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(3)
	for k := range rounds {
		g.Go(func() error {
			var err error
			reports[k], err = Grade(gctx, coveredBy[k], rounds[k])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	rejected := map[string]int{}
	for k, rep := range reports {
		for _, r := range rep.Exercises {
			ms, _ := Mutants(opts.Root, r.ID)
			name := filepath.Base(ms[k])
			switch r.Status {
			case StatusBuildError:
				note(r.ID, "mutant %q does not compile: %s", name, r.Reason)
			case StatusPass:
				note(r.ID, "mutant %q passes every test: the tests do not catch its bug (%s)", name, mutantBug(ms[k]))
			default:
				rejected[r.ID]++
			}
		}
	}
	for _, e := range withSolution {
		ms, _ := Mutants(opts.Root, e.ID)
		summary[e.ID] = append(summary[e.ID], fmt.Sprintf("mutants %d/%d rejected", rejected[e.ID], len(ms)))
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
	for _, f := range stubFiles {
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
			if !slices.Contains(stubFiles, f) {
				note(e.ID, "mutant %s has %s, which is not a file of the exercise", filepath.Base(mdir), f)
			}
		}
		if mutantBug(mdir) == "" {
			note(e.ID, "mutant %s does not name its bug: its file must start with a `// Mutant: ...` line", filepath.Base(mdir))
		}
	}
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
