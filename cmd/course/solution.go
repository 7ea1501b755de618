package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/gocourse/week11/internal/grader"
)

// instructorsOnly is the answer of a command that needs the reference solutions, in the student
// edition, which has none.
func instructorsOnly(what string) error {
	return &exitError{1, what + " is an instructors' command, and this is the student edition of the course: it has no reference solutions. Your instructors publish them after the deadline (their guide, INSTRUCTORS.md, is in the instructors' edition and says how). Until then, `make grade` tells you where you stand and `go run ./cmd/course hint` helps."}
}

func cmdSolution(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("solution", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs)
	force := fs.Bool("force", false, "show the solution even though your exercise does not pass yet (after a warning)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: course solution [--force] EXERCISE\n\nPrints the reference solution of an exercise once your own solution passes its tests.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{2, "usage: course solution [--force] EXERCISE"}
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	e, err := findExercise(m, fs.Arg(0))
	if err != nil {
		return err
	}
	if m.Edition == grader.StudentEdition {
		return instructorsOnly("course solution")
	}
	solDir := grader.SolutionDir(root, e.ID)
	files, err := filepath.Glob(filepath.Join(solDir, "*.go"))
	if err != nil || len(files) == 0 {
		return &exitError{2, fmt.Sprintf("%s has no reference solution under %s", e.ID, filepath.Join("solutions", e.ID))}
	}
	sort.Strings(files)
	if *force {
		fmt.Fprintf(stderr, "Warning: this is the reference solution of %s, shown before your own passes. Reading it now skips the part of the exercise that teaches; the hints (go run ./cmd/course hint %s) give it away more gently.\n\n", e.ID, shortName(m, e))
	} else {
		c.quiet = true
		opts, err := c.options(root, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Checking that %s passes first...\n", e.ID)
		rep, err := grader.Grade(ctx, []grader.Exercise{e}, opts)
		if err != nil {
			return err
		}
		saveProgress(root, rep)
		if r := rep.Exercises[0]; r.Status != grader.StatusPass {
			why := r.Status
			if r.Reason != "" {
				why += ": " + r.Reason
			}
			return &exitError{1, fmt.Sprintf("%s does not pass yet (%s).\nThe reference solution is shown once your solution passes: go test -race ./%s/\nTo see it anyway: go run ./cmd/course solution --force %s", e.ID, why, e.ID, shortName(m, e))}
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, f)
		fmt.Fprintf(stdout, "=== %s\n%s\n", filepath.ToSlash(rel), data)
	}
	base := filepath.Base(files[0])
	fmt.Fprintf(stdout, "Compare with yours: diff -u %s/%s solutions/%s/%s\n", e.ID, base, e.ID, base)
	fmt.Fprintln(stdout, "Passing tests can hide a difference that matters: look at where each version waits, what it locks, and how it stops and cleans up. Yours may well be better; the tests are the judge.")
	return nil
}
