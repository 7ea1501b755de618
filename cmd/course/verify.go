package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/gocourse/week11/internal/grader"
)

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
	exs, err := selectExercises(m, fs.Args())
	if err != nil {
		return err
	}
	opts, err := c.options(root, stderr)
	if err != nil {
		return err
	}
	if m.Edition == grader.StudentEdition {
		return verifyStudentEdition(ctx, root, m, exs, opts, stdout)
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
