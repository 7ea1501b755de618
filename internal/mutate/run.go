package mutate

import (
	"context"
	"encoding/json"
	"fmt"
	"go/build"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gocourse/week11/internal/grader"
	"golang.org/x/sync/errgroup"
)

// Mutant statuses.
const (
	Killed     = "killed"
	Survived   = "survived"
	Equivalent = "equivalent"
	NoCompile  = "no-compile" // discarded: neither killed nor counted
)

// Options configures a mutation run.
type Options struct {
	Grader   grader.Options // Root, Timeout, Jobs, Race, Go; Overlay, CPU, FailFast, NoVet and Progress are set here
	CPU      []string       // GOMAXPROCS values; a mutant that survives one runs again at the next
	Parallel int            // batches run at once (default 2)
	Only     string         // if set, only mutants whose id starts with it
	ListOnly bool           // generate and type-check, do not run
	Progress io.Writer      // one line per mutant verdict, if set
}

// Result is one mutant's outcome.
type Result struct {
	Mutant
	Status  string  `json:"status"`
	Reason  string  `json:"reason,omitempty"`  // why it was killed (the grader's one line), or why it does not compile
	CPU     string  `json:"cpu,omitempty"`     // the GOMAXPROCS at which it was killed
	Seconds float64 `json:"seconds,omitempty"` // wall time of the run that decided it
}

// ExerciseReport is one exercise's mutation score.
type ExerciseReport struct {
	ID         string              `json:"id"`
	Killed     int                 `json:"killed"`
	Total      int                 `json:"total"` // compiled, not equivalent
	NoCompile  int                 `json:"no_compile"`
	Equivalent []grader.Equivalent `json:"equivalent,omitempty"`
	Stale      []string            `json:"stale_equivalent,omitempty"` // equivalent entries naming no generated mutant
	Mutants    []Result            `json:"mutants"`
	solFiles   map[string][]byte   // base name → solution source
	mutDir     string              // where this exercise's mutant files are written
	equiv      map[string]string   // id → reason
}

// Score is killed/total in percent (100 when there is nothing to kill).
func (e *ExerciseReport) Score() float64 {
	if e.Total == 0 {
		return 100
	}
	return 100 * float64(e.Killed) / float64(e.Total)
}

// Report is the result of a mutation run, as `course mutate --json` writes it.
type Report struct {
	Schema    string            `json:"schema"`
	Killed    int               `json:"killed"`
	Total     int               `json:"total"`
	NoCompile int               `json:"no_compile"`
	CPU       []string          `json:"cpu"`
	Seconds   float64           `json:"seconds"`
	Exercises []*ExerciseReport `json:"exercises"`
}

// Score is the course's killed/total in percent.
func (r *Report) Score() float64 {
	if r.Total == 0 {
		return 100
	}
	return 100 * float64(r.Killed) / float64(r.Total)
}

// Run generates the mutants of every exercise in exs, discards those that do not compile, and runs
// the rest: batch k swaps the k-th pending mutant of every exercise in at once through one overlay
// and one grading run (one `go test -c -race` build over all those packages, then each package's
// binary), at the first GOMAXPROCS value; the survivors of a batch run again at the next value.
// An error means the run itself failed (no go command, a solution that does not type-check).
func Run(ctx context.Context, exs []grader.Exercise, opts Options) (*Report, error) {
	start := time.Now()
	root := opts.Grader.Root
	if len(opts.CPU) == 0 {
		opts.CPU = []string{"1", "2", "4", "8"}
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 2
	}
	goCmd := opts.Grader.Go
	if goCmd == "" {
		goCmd = "go"
	}
	tmp, err := os.MkdirTemp("", "course-mutate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if opts.Grader.Binaries == nil {
		// A survivor runs again at the next GOMAXPROCS value: with the binary it already has.
		if opts.Grader.Binaries, err = grader.NewBinaryCache(); err != nil {
			return nil, err
		}
		defer opts.Grader.Binaries.Close()
	}

	sol, err := grader.SolutionOverlay(root, exs)
	if err != nil {
		return nil, err
	}
	solFile := filepath.Join(tmp, "solutions.json")
	data, _ := json.Marshal(map[string]grader.Overlay{"Replace": sol})
	if err := os.WriteFile(solFile, data, 0o644); err != nil {
		return nil, err
	}
	var pkgs []string
	for _, e := range exs {
		pkgs = append(pkgs, "./"+e.ID)
	}
	env := append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=readonly"))
	checker, err := NewChecker(ctx, goCmd, root, solFile, env, pkgs)
	if err != nil {
		return nil, err
	}
	modPath := grader.ModulePath(root)

	rep := &Report{Schema: "course-mutate/v1", CPU: opts.CPU}
	for i, e := range exs {
		er, err := generate(checker, root, modPath, e, filepath.Join(tmp, fmt.Sprint(i)), opts.Only)
		if err != nil {
			return nil, err
		}
		rep.Exercises = append(rep.Exercises, er)
	}
	if !opts.ListOnly {
		if err := runBatches(ctx, rep, exs, sol, opts); err != nil {
			return nil, err
		}
	}
	for _, er := range rep.Exercises {
		er.Killed, er.Total, er.NoCompile = 0, 0, 0
		for _, m := range er.Mutants {
			switch m.Status {
			case Killed:
				er.Killed++
				er.Total++
			case Survived, "":
				er.Total++
			case NoCompile:
				er.NoCompile++
			}
		}
		rep.Killed += er.Killed
		rep.Total += er.Total
		rep.NoCompile += er.NoCompile
	}
	rep.Seconds = time.Since(start).Round(100 * time.Millisecond).Seconds()
	return rep, nil
}

// generate makes, type-checks and writes out the mutants of one exercise.
func generate(c *Checker, root, modPath string, e grader.Exercise, dir, only string) (*ExerciseReport, error) {
	er := &ExerciseReport{ID: e.ID, solFiles: map[string][]byte{}, mutDir: dir, equiv: map[string]string{}}
	solDir := grader.SolutionDir(root, e.ID)
	entries, err := os.ReadDir(solDir)
	if err != nil {
		return nil, fmt.Errorf("%s: no reference solution: %w", e.ID, err)
	}
	for _, ent := range entries {
		n := ent.Name()
		if ent.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(solDir, n))
		if err != nil {
			return nil, err
		}
		er.solFiles[n] = data
	}
	// The package is the solution's files and the exercise's given files (which have no solution);
	// only the solution's files are mutated.
	pkgFiles := map[string][]byte{}
	exDir := filepath.Join(root, filepath.FromSlash(e.ID))
	for _, n := range e.Given {
		if _, ok := er.solFiles[n]; ok {
			continue
		}
		if match, err := build.Default.MatchFile(exDir, n); err == nil && !match {
			continue // excluded by its build constraints (mmap_other.go on unix)
		}
		data, err := os.ReadFile(filepath.Join(exDir, n))
		if err != nil {
			return nil, fmt.Errorf("%s: given file: %w", e.ID, err)
		}
		pkgFiles[n] = data
	}
	for n, src := range er.solFiles {
		pkgFiles[n] = src
	}
	pkgPath := path.Join(modPath, e.ID)
	files, info, err := c.Check(pkgPath, pkgFiles)
	if err != nil {
		return nil, fmt.Errorf("%s: the reference solution does not type-check: %w", e.ID, err)
	}
	var all []Mutant
	for _, f := range files {
		name := filepath.Base(c.Fset.File(f.Pos()).Name())
		if _, ok := er.solFiles[name]; !ok {
			continue // a given file
		}
		for _, m := range Generate(c.Fset, f, er.solFiles[name], info) {
			m.Diff = Diff("a/solutions/"+e.ID+"/"+name, "b/solutions/"+e.ID+"/"+name+" ("+m.ID+")", er.solFiles[name], m.Src)
			all = append(all, m)
		}
	}
	ids := map[string]bool{}
	for _, m := range all {
		ids[m.ID] = true
	}
	for _, q := range e.Equivalent {
		if !ids[q.Mutant] {
			er.Stale = append(er.Stale, q.Mutant)
			continue
		}
		er.equiv[q.Mutant] = q.Reason
		er.Equivalent = append(er.Equivalent, q)
	}
	for _, m := range all {
		if only != "" && !strings.HasPrefix(m.ID, only) {
			continue
		}
		r := Result{Mutant: m}
		if _, ok := er.equiv[m.ID]; ok {
			r.Status = Equivalent
			er.Mutants = append(er.Mutants, r)
			continue
		}
		pkg := map[string][]byte{}
		for n, src := range pkgFiles {
			pkg[n] = src
		}
		pkg[m.File] = m.Src
		if _, _, err := c.Check(pkgPath, pkg); err != nil {
			r.Status, r.Reason = NoCompile, err.Error()
		}
		er.Mutants = append(er.Mutants, r)
	}
	return er, nil
}

// pending is a mutant waiting for its verdict.
type pending struct {
	er  *ExerciseReport
	ex  grader.Exercise
	idx int // in er.Mutants
}

func runBatches(ctx context.Context, rep *Report, exs []grader.Exercise, sol grader.Overlay, opts Options) error {
	queues := make([][]pending, len(exs))
	longest := 0
	for i, er := range rep.Exercises {
		for j, m := range er.Mutants {
			if m.Status == "" {
				queues[i] = append(queues[i], pending{er, exs[i], j})
			}
		}
		longest = max(longest, len(queues[i]))
	}
	var batches [][]pending
	for k := range longest {
		var b []pending
		for _, q := range queues {
			if k < len(q) {
				b = append(b, q[k])
			}
		}
		batches = append(batches, b)
	}
	var mu sync.Mutex // guards the results and the progress writer
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Parallel)
	for bi, batch := range batches {
		g.Go(func() error {
			return runBatch(gctx, bi, batch, sol, opts, &mu)
		})
	}
	return g.Wait()
}

// runBatch runs one batch at each GOMAXPROCS value in turn, the survivors only.
func runBatch(ctx context.Context, bi int, batch []pending, sol grader.Overlay, opts Options, mu *sync.Mutex) error {
	root := opts.Grader.Root
	alive := batch
	for _, cpu := range opts.CPU {
		if len(alive) == 0 {
			return nil
		}
		o := opts.Grader
		o.Overlay = grader.Overlay{}
		o.CPU = cpu
		// One failure decides a mutant; the tests after it need not run. So the seconds a killed
		// mutant's run took are at most the package's full run, not more.
		o.FailFast = true
		// A mutant must be killed by the tests, not by go vet's checks before them (the solution
		// it comes from was vetted); and its build is quicker without them.
		o.NoVet = true
		o.Progress = nil
		var covered []grader.Exercise
		byID := map[string]pending{}
		for _, p := range alive {
			m := &p.er.Mutants[p.idx]
			for n := range p.er.solFiles {
				dst, _ := filepath.Abs(filepath.Join(root, filepath.FromSlash(p.ex.ID), n))
				o.Overlay[dst] = sol[dst]
			}
			file := filepath.Join(p.er.mutDir, fmt.Sprint(p.idx), m.File)
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(file, m.Src, 0o644); err != nil {
				return err
			}
			dst, _ := filepath.Abs(filepath.Join(root, filepath.FromSlash(p.ex.ID), m.File))
			o.Overlay[dst] = file
			covered = append(covered, p.ex)
			byID[p.ex.ID] = p
		}
		rep, err := grader.Grade(ctx, covered, o)
		if err != nil {
			return err
		}
		var next []pending
		mu.Lock()
		for _, r := range rep.Exercises {
			p := byID[r.ID]
			m := &p.er.Mutants[p.idx]
			m.CPU, m.Seconds = cpu, r.Seconds
			if r.GraderError != "" {
				mu.Unlock()
				return fmt.Errorf("%s, mutant %s: the grader %s", r.ID, m.ID, r.GraderError)
			}
			if r.Status == grader.StatusPass {
				m.Status = Survived
				next = append(next, p)
			} else {
				m.Status = Killed
				m.Reason = r.Status
				if r.Reason != "" {
					m.Reason += ": " + r.Reason
				}
			}
			if opts.Progress != nil {
				verdict := "killed  "
				if m.Status == Survived {
					verdict = "survives"
				}
				fmt.Fprintf(opts.Progress, "  batch %-3d GOMAXPROCS=%-2s %s %-26s %-40s %5.1fs\n", bi+1, cpu, verdict, r.ID, m.ID, r.Seconds)
			}
		}
		mu.Unlock()
		alive = next
	}
	return nil
}

// WriteText prints one line per exercise, each survivor with its diff, the equivalent mutants, and
// last the line "mutation score: K/N killed (P%)".
func (r *Report) WriteText(w io.Writer, min float64, verbose bool) {
	for _, e := range r.Exercises {
		mark := "ok  "
		if e.Score() < min {
			mark = "LOW "
		}
		extra := ""
		if e.NoCompile > 0 || len(e.Equivalent) > 0 {
			extra = fmt.Sprintf("  (%d not compiling, %d equivalent)", e.NoCompile, len(e.Equivalent))
		}
		fmt.Fprintf(w, "%s %-34s %3d/%-3d killed (%5.1f%%)%s\n", mark, e.ID, e.Killed, e.Total, e.Score(), extra)
	}
	for _, e := range r.Exercises {
		for _, m := range e.Mutants {
			if m.Status == Survived {
				fmt.Fprintf(w, "\nsurvivor %s %s [%s]\n  %s\n%s", e.ID, m.ID, m.Operator, m.Description, m.Diff)
			}
		}
	}
	section := func(lines []string) {
		if len(lines) > 0 {
			fmt.Fprintf(w, "\n%s\n", strings.Join(lines, "\n"))
		}
	}
	var eq, stale, slow, all []string
	for _, e := range r.Exercises {
		for _, m := range e.Mutants {
			if m.Status == Killed && m.Seconds >= grader.SlowRun.Seconds() {
				slow = append(slow, fmt.Sprintf("slow       %s %s: killed after %.1fs at GOMAXPROCS=%s (goal: under %.0fs): %s",
					e.ID, m.ID, m.Seconds, m.CPU, grader.SlowRun.Seconds(), clipLine(m.Reason, 120)))
			}
		}
		for _, q := range e.Equivalent {
			eq = append(eq, fmt.Sprintf("equivalent %s %s: %s", e.ID, q.Mutant, q.Reason))
		}
		for _, s := range e.Stale {
			stale = append(stale, fmt.Sprintf("ERROR %s: course.toml records %q as equivalent, but no such mutant is generated any more: remove the entry", e.ID, s))
		}
		for _, m := range e.Mutants {
			line := fmt.Sprintf("%-10s %s %s: %s", m.Status, e.ID, m.ID, m.Description)
			if m.CPU != "" {
				line += fmt.Sprintf(" [GOMAXPROCS=%s, %.1fs]", m.CPU, m.Seconds)
			}
			if m.Reason != "" {
				line += "\n           " + clipLine(m.Reason, 160)
			}
			all = append(all, line)
		}
	}
	section(slow)
	section(eq)
	section(stale)
	if verbose {
		section(all)
	}
	fmt.Fprintf(w, "\n%d mutants that do not compile were discarded; GOMAXPROCS %s; %.0fs.\n", r.NoCompile, strings.Join(r.CPU, ","), r.Seconds)
	fmt.Fprintf(w, "mutation score: %d/%d killed (%.1f%%)\n", r.Killed, r.Total, r.Score())
}

// Stale lists "id: mutant" for every equivalent entry that names no generated mutant.
func (r *Report) Stale() []string {
	var out []string
	for _, e := range r.Exercises {
		for _, s := range e.Stale {
			out = append(out, e.ID+": "+s)
		}
	}
	sort.Strings(out)
	return out
}

// WriteJSON writes the report to file.
func (r *Report) WriteJSON(file string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(data, '\n'), 0o644)
}

func clipLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n-3] + "..."
	}
	return s
}
