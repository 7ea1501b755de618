package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/gocourse/week11/internal/grader"
)

func cmdExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("student", "", "write the student edition of the course into `DIR` (new or empty)")
	if done, err := parseFlags(fs, args); done {
		return err
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
