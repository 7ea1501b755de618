package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gocourse/week11/internal/grader"
)

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
	if mode == "mutant" {
		// Instructors: which bug each exercise was given, and whether its tests caught it.
		fmt.Fprintf(stdout, "\nMutant %d of each exercise (its tests must fail; \"pass\" means they miss the bug):\n", *mutant)
		for _, e := range rep.Exercises {
			verdict := "rejected"
			if e.Status == grader.StatusPass {
				verdict = "NOT REJECTED"
			}
			fmt.Fprintf(stdout, "  %-34s %-12s %s\n", e.ID, verdict, grader.MutantLabel(root, e.ID, *mutant-1))
		}
	}
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
