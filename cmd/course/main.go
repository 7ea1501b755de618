// Command course is the student's and the instructor's tool for the Week 11 concurrency course.
//
//	course grade  [flags] [PATTERN...]   run the exercises' tests and print a scorecard
//	course verify [flags] [PATTERN...]   check the course: solutions pass, stubs and mutants fail
//	course list                          list the exercises in order
//	course hint   EXERCISE [N | --all]   show the N-th hint of an exercise
//	course report --raw FILE             re-score an untrusted grade.json (CI, trusted side)
//	course export --student DIR          write the student edition, without solutions (instructors)
//	course overlay [--mutant N]          write a go test -overlay file for the solutions (instructors)
//
// Run it from anywhere inside the course: `go run ./cmd/course grade`, or `make grade`.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gocourse/week11/internal/grader"
)

const usage = `course: the Week 11 concurrency course tool

Usage:
  course grade  [flags] [PATTERN...]   run the exercises' tests with -race and print a scorecard
  course verify [flags] [PATTERN...]   check the course itself (instructors; what 'make test' runs)
  course list                          list the exercises in course order
  course hint   EXERCISE [N | --all]   show an exercise's N-th hint (default: the first)
  course report --raw FILE [--changed-files FILE] [--json F] [--markdown F] [--classroom F]
                                       CI, trusted side: re-score an untrusted grade.json
  course export --student DIR          instructors: write the student edition (no solutions, no
                                       mutants) into DIR
  course overlay [--mutant N] [PATTERN...]
                                       instructors: write a go test -overlay file that swaps in the
                                       reference solutions (or mutant N) and print its path

A PATTERN selects exercises: a day number ("2"), a day ("day2_sync", "./day2_sync/..."), or an
exercise ("day2_sync/barrier"). No pattern means the whole course.

Exit status:
  0  grade: a grade was produced, whatever the score; verify: every exercise checked out
  1  grade: the score is below --fail-under; verify: at least one exercise failed its check
  2  the tool itself could not work (no Go toolchain, unreadable manifest, bad flags)

Run 'course grade -h' or 'course verify -h' for their flags.
`

// exitError carries an exit status out of run.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, "course:", ee.msg)
		}
		os.Exit(ee.code)
	}
	fmt.Fprintln(os.Stderr, "course:", err)
	os.Exit(2)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "grade":
		return cmdGrade(ctx, args[1:], stdout, stderr)
	case "verify":
		return cmdVerify(ctx, args[1:], stdout, stderr)
	case "list":
		return cmdList(args[1:], stdout)
	case "hint":
		return cmdHint(args[1:], stdout)
	case "overlay":
		return cmdOverlay(args[1:], stdout, stderr)
	case "report":
		return cmdReport(args[1:], stdout, stderr)
	case "export":
		return cmdExport(args[1:], stdout, stderr)
	}
	return &exitError{2, fmt.Sprintf("unknown command %q (try 'course help')", args[0])}
}

// findRoot walks up from the working directory to the directory holding the course manifest.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, grader.ManifestFile)); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s found here or above: run the course tool inside the course repository", grader.ManifestFile)
		}
		dir = parent
	}
}

func loadCourse() (string, *grader.Manifest, error) {
	root, err := findRoot()
	if err != nil {
		return "", nil, err
	}
	m, err := grader.LoadManifest(filepath.Join(root, grader.ManifestFile))
	return root, m, err
}

// commonFlags are the flags grade and verify share.
type commonFlags struct {
	timeout time.Duration
	jobs    int
	noRace  bool
	quiet   bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&c.timeout, "timeout", 60*time.Second, "how long one exercise's tests may run before the grader kills them")
	fs.IntVar(&c.jobs, "jobs", 0, "exercises tested at once (default: the number of CPUs)")
	fs.BoolVar(&c.noRace, "no-race", false, "build without the race detector (only where cgo is unavailable)")
	fs.BoolVar(&c.quiet, "q", false, "no progress lines")
}

func (c *commonFlags) options(root string, stderr io.Writer) (grader.Options, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return grader.Options{}, errors.New("the Go toolchain is not on PATH: install Go 1.26 or later from https://go.dev/dl/")
	}
	opts := grader.Options{Root: root, Timeout: c.timeout, Jobs: c.jobs, Race: !c.noRace}
	if opts.Race && !cgoEnabled() {
		fmt.Fprintln(stderr, "course: warning: cgo is disabled here, so the race detector cannot run; grading without -race (install a C compiler to get it back)")
		opts.Race = false
	}
	if !c.quiet {
		opts.Progress = stderr
	}
	return opts, nil
}

func cgoEnabled() bool {
	out, err := exec.Command("go", "env", "CGO_ENABLED").Output()
	return err == nil && strings.TrimSpace(string(out)) == "1"
}

func cmdGrade(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("grade", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		c         commonFlags
		jsonOut   = fs.String("json", "", "also write the course-grade/v1 JSON report to `FILE`")
		mdOut     = fs.String("markdown", "", "also write a Markdown summary (for a CI job summary) to `FILE`")
		solutions = fs.Bool("solutions", false, "grade the reference solutions instead of your files (instructors)")
		mutant    = fs.Int("mutant", 0, "grade the `N`-th mutant of each exercise that has one (instructors)")
		failUnder = fs.Float64("fail-under", -1, "exit with status 1 when the total is below `POINTS` (for CI)")
		verbose   = fs.Bool("v", false, "print the output of every test that did not pass")
		classroom = fs.String("classroom", "", "also write the result in GitHub Classroom's autograding format (base64) to `FILE`")
		protect   = fs.String("protect-from", "", "CI: first make every file but the exercise files what it is at git commit `REF` (rewrites the working tree)")
	)
	c.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: course grade [flags] [PATTERN...]\n\nRuns each exercise's tests with -race and prints a scorecard. Exits 0 whenever a grade was produced.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if done, err := parseFlags(fs, args); done {
		return err
	}
	var protected []grader.ProtectedChange
	if *protect != "" {
		root, err := findRoot()
		if err != nil {
			return err
		}
		// Before the manifest is read: the manifest is one of the protected files.
		if protected, err = grader.Protect(ctx, root, *protect); err != nil {
			return err
		}
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	exs, err := m.Select(fs.Args())
	if err != nil {
		return err
	}
	opts, err := c.options(root, stderr)
	if err != nil {
		return err
	}
	mode := ""
	switch {
	case *solutions && *mutant > 0:
		return &exitError{2, "--solutions and --mutant do not go together"}
	case *solutions:
		mode = "solutions"
		if opts.Overlay, err = grader.SolutionOverlay(root, exs); err != nil {
			return err
		}
	case *mutant > 0:
		mode = "mutant"
		if opts.Overlay, exs, err = grader.MutantOverlay(root, exs, *mutant-1); err != nil {
			return err
		}
		if len(exs) == 0 {
			return &exitError{2, fmt.Sprintf("no selected exercise has a mutant number %d", *mutant)}
		}
	}
	if !c.quiet {
		fmt.Fprintf(stderr, "Grading %d exercises (building with the race detector takes a moment)...\n", len(exs))
	}
	rep, err := grader.Grade(ctx, exs, opts)
	if err != nil {
		return err
	}
	rep.Mode = mode
	rep.Protected = protected
	rep.WriteText(stdout, m)
	if *verbose {
		writeFailures(stdout, rep)
	}
	if err := writeReports(rep, *jsonOut, *mdOut, *classroom); err != nil {
		return err
	}
	if *failUnder >= 0 && rep.Points < *failUnder {
		return &exitError{1, fmt.Sprintf("score %.2f is below --fail-under %.2f", rep.Points, *failUnder)}
	}
	return nil
}

func writeFailures(w io.Writer, rep *grader.Report) {
	for _, e := range rep.Exercises {
		if e.BuildOutput != "" {
			fmt.Fprintf(w, "\n=== %s does not compile:\n%s\n", e.ID, e.BuildOutput)
		}
		for _, t := range e.Tests {
			if t.Status != grader.TestPass && t.Output != "" {
				fmt.Fprintf(w, "\n=== %s %s (%s):\n%s\n", e.ID, t.Name, t.Status, strings.TrimSpace(t.Output))
			}
		}
	}
}

func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: course verify [flags] [PATTERN...]\n\nFor every exercise: the stub compiles and fails every test, the reference solution passes every\ntest with -race, and every mutant compiles and is rejected. Exits 1 if any exercise fails a check.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if done, err := parseFlags(fs, args); done {
		return err
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	if m.Edition == grader.StudentEdition {
		fmt.Fprintln(stdout, "This is the student edition of the course: it has no solutions, so there is nothing to verify. Use `make grade`.")
		return nil
	}
	exs, err := m.Select(fs.Args())
	if err != nil {
		return err
	}
	opts, err := c.options(root, stderr)
	if err != nil {
		return err
	}
	failed, err := grader.Verify(ctx, m, exs, opts, stdout)
	if err != nil {
		return err
	}
	if failed > 0 {
		return &exitError{1, ""}
	}
	return nil
}

func cmdList(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return &exitError{2, "usage: course list"}
	}
	_, m, err := loadCourse()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "DAY\tEXERCISE\tPOINTS\tTITLE\tTOPICS\n")
	for _, e := range m.Exercises {
		fmt.Fprintf(tw, "%d\t%s\t%g\t%s\t%s\n", e.Day, e.ID, e.Points, e.Title, strings.Join(e.Topics, ", "))
	}
	return tw.Flush()
}

func cmdHint(args []string, stdout io.Writer) error {
	all := false
	var rest []string
	for _, a := range args {
		if a == "--all" || a == "-all" {
			all = true
		} else {
			rest = append(rest, a)
		}
	}
	if len(rest) < 1 || len(rest) > 2 {
		return &exitError{2, "usage: course hint EXERCISE [N | --all]"}
	}
	_, m, err := loadCourse()
	if err != nil {
		return err
	}
	e, err := m.Find(rest[0])
	if err != nil {
		return err
	}
	n := 1
	if len(rest) == 2 {
		if n, err = strconv.Atoi(rest[1]); err != nil || n < 1 {
			return &exitError{2, "the hint number must be 1 or more"}
		}
	}
	fmt.Fprintf(stdout, "%s: %s\n", e.ID, e.Title)
	if all {
		for i, h := range e.Hints {
			fmt.Fprintf(stdout, "Hint %d/%d: %s\n", i+1, len(e.Hints), h)
		}
		return nil
	}
	if n > len(e.Hints) {
		n = len(e.Hints)
	}
	fmt.Fprintf(stdout, "Hint %d/%d: %s\n", n, len(e.Hints), e.Hints[n-1])
	if n < len(e.Hints) {
		fmt.Fprintf(stdout, "Still stuck? go run ./cmd/course hint %s %d\n", e.ID, n+1)
	}
	return nil
}

func cmdOverlay(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("overlay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mutant := fs.Int("mutant", 0, "swap in the `N`-th mutant of each exercise instead of the solution")
	if err := fs.Parse(args); err != nil {
		return &exitError{2, ""}
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	exs, err := m.Select(fs.Args())
	if err != nil {
		return err
	}
	var o grader.Overlay
	if *mutant > 0 {
		o, _, err = grader.MutantOverlay(root, exs, *mutant-1)
	} else {
		o, err = grader.SolutionOverlay(root, exs)
	}
	if err != nil {
		return err
	}
	dir := filepath.Join(root, ".course")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// One file per selection, so that runs for different patterns can go on at the same time.
	name := "overlay-solutions"
	if *mutant > 0 {
		name = fmt.Sprintf("overlay-mutant%d", *mutant)
	}
	if fs.NArg() > 0 {
		name += fmt.Sprintf("-%08x", crc32.ChecksumIEEE([]byte(strings.Join(fs.Args(), "\x00"))))
	}
	name += ".json"
	file := filepath.Join(dir, name)
	data, err := json.Marshal(map[string]grader.Overlay{"Replace": o})
	if err != nil {
		return err
	}
	// Write and rename, so a go command reading the file never sees half of it.
	tmp, err := os.CreateTemp(dir, name+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return err
	}
	fmt.Fprintln(stdout, file)
	return nil
}

// writeReports writes the report's machine-readable forms to the files that are named.
func writeReports(rep *grader.Report, jsonOut, mdOut, classroom string) error {
	if jsonOut != "" {
		if err := rep.WriteJSON(jsonOut); err != nil {
			return err
		}
	}
	if mdOut != "" {
		var b strings.Builder
		rep.WriteMarkdown(&b)
		if err := os.WriteFile(mdOut, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	if classroom != "" {
		if err := os.WriteFile(classroom, []byte(rep.ClassroomResult()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		raw       = fs.String("raw", "", "the untrusted job's grade.json (`FILE`)")
		changed   = fs.String("changed-files", "", "`FILE` listing the pull request's changed paths, one per line")
		jsonOut   = fs.String("json", "", "write the trusted course-grade/v1 report to `FILE`")
		mdOut     = fs.String("markdown", "", "write the job summary / pull request comment to `FILE`")
		classroom = fs.String("classroom", "", "write GitHub Classroom's autograding result (base64) to `FILE`")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: course report --raw FILE [flags]\n\nThe trusted side of pull-request grading: validates the untrusted job's report against this\ncheckout's manifest and tests, caps every score at what the passing tests earn, and names the\nprotected files the pull request changed. It never builds or runs the pull request's code.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if *raw == "" {
		return &exitError{2, "report needs --raw FILE"}
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	data, err := readLimited(*raw, grader.MaxRawReport)
	if err != nil {
		return err
	}
	var files []string
	if *changed != "" {
		list, err := readLimited(*changed, 1<<20)
		if err != nil {
			return err
		}
		files = strings.Split(string(list), "\n")
	}
	rep, err := grader.Rescore(data, m, root, files)
	if err != nil {
		return err
	}
	rep.WriteText(stdout, nil)
	return writeReports(rep, *jsonOut, *mdOut, *classroom)
}

// readLimited reads file, refusing one larger than limit bytes.
func readLimited(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", file, limit)
	}
	return data, nil
}

func cmdExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("student", "", "write the student edition of the course into `DIR` (new or empty)")
	if err := fs.Parse(args); err != nil {
		return &exitError{2, ""}
	}
	if *dir == "" || fs.NArg() > 0 {
		return &exitError{2, "usage: course export --student DIR"}
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	if m.Edition == grader.StudentEdition {
		return &exitError{2, "this is already the student edition"}
	}
	files, err := grader.Export(root, *dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote the student edition (%d files, no solutions, no mutants) to %s.\n", len(files), *dir)
	fmt.Fprintf(stdout, "Next: cd %s && git init && git add -A && git commit -m 'Week 11: Concurrency' and push it as the template repository.\n", *dir)
	return nil
}

// parseFlags parses args into fs. It reports done when the command should return at once with err:
// nil after -h (the flag package printed the usage), or exit status 2 for a bad flag (it printed why).
func parseFlags(fs *flag.FlagSet, args []string) (done bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return true, &exitError{2, ""}
	}
	return false, nil
}
