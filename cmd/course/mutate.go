package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gocourse/week11/internal/grader"
	"github.com/gocourse/week11/internal/mutate"
)

func cmdMutate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		c        commonFlags
		jsonOut  = fs.String("json", "", "also write the JSON report (every mutant, its verdict and diff) to `FILE`")
		min      = fs.Float64("min", 95, "exit 1 when an exercise's score is below `PERCENT` (0: report only)")
		cpu      = fs.String("cpu", "1,2,4,8", "GOMAXPROCS values, comma-separated: a mutant that survives one is run again at the next")
		parallel = fs.Int("parallel", 2, "mutant batches run at once")
		only     = fs.String("only", "", "run only the mutants whose id starts with `PREFIX` (e.g. drop-lock/ or boundary/Run/1)")
		list     = fs.Bool("list", false, "list the mutants (id, description) without running them")
		verbose  = fs.Bool("v", false, "also list every mutant with its verdict")
	)
	c.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: course mutate [flags] [PATTERN...]\n\nInstructors: generate mutants of each reference solution with concurrency operators (%s),\nrun the exercise's tests on each with -race, and report the survivors. Exit status: 0 when every\nselected exercise scores at least --min, 1 otherwise, 2 when the tool failed.\n\nFlags:\n", strings.Join(mutate.Operators, ", "))
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
		return &exitError{2, "this is the student edition of the course: it has no solutions to mutate"}
	}
	exs, err := m.Select(fs.Args())
	if err != nil {
		return err
	}
	opts, err := c.options(root, stderr)
	if err != nil {
		return err
	}
	if opts.Binaries = openBinaryCache(stderr); opts.Binaries != nil {
		defer opts.Binaries.Close()
	}
	mo := mutate.Options{Grader: opts, Parallel: *parallel, Only: *only, ListOnly: *list}
	for _, v := range strings.Split(*cpu, ",") {
		if v = strings.TrimSpace(v); v != "" {
			mo.CPU = append(mo.CPU, v)
		}
	}
	if !c.quiet {
		mo.Progress = stderr
		fmt.Fprintf(stderr, "Generating mutants of %d reference solutions...\n", len(exs))
	}
	rep, err := mutate.Run(ctx, exs, mo)
	if err != nil {
		return err
	}
	if *jsonOut != "" {
		if err := rep.WriteJSON(*jsonOut); err != nil {
			return err
		}
	}
	if *list {
		for _, e := range rep.Exercises {
			for _, r := range e.Mutants {
				st := ""
				if r.Status != "" {
					st = " [" + r.Status + "]"
				}
				fmt.Fprintf(stdout, "%-26s %-42s %s%s\n", e.ID, r.ID, r.Description, st)
			}
		}
		return nil
	}
	rep.WriteText(stdout, *min, *verbose)
	if stale := rep.Stale(); len(stale) > 0 {
		return &exitError{1, "stale equivalent entries in course.toml: " + strings.Join(stale, "; ")}
	}
	for _, e := range rep.Exercises {
		if e.Score() < *min {
			return &exitError{1, fmt.Sprintf("%s scores %.1f%%, below --min %.0f%%", e.ID, e.Score(), *min)}
		}
	}
	return nil
}
