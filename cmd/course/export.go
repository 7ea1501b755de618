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
	solved := fs.String("solved", "", "write the course with every reference solution in place of its stub into `DIR` (new or empty), for tools that take no -overlay, such as staticcheck")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if (*dir == "") == (*solved == "") || fs.NArg() > 0 {
		return &exitError{2, "usage: course export --student DIR | --solved DIR"}
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	if m.Edition == grader.StudentEdition {
		if *solved != "" {
			return instructorsOnly("course export --solved")
		}
		return &exitError{2, "this is already the student edition"}
	}
	if *solved != "" {
		if err := grader.ExportSolved(root, *solved, m.Exercises); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Wrote the course with its %d reference solutions in place of the stubs to %s.\n", len(m.Exercises), *solved)
		return nil
	}
	files, err := grader.Export(root, *dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote the student edition (%d files, no solutions, no mutants) to %s.\n", len(files), *dir)
	fmt.Fprintf(stdout, "Next: cd %s && git init && git add -A && git commit -m 'Week 11: Concurrency' and push it as the template repository.\n", *dir)
	return nil
}
