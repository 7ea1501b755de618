package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gocourse/week11/internal/grader"
)

func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	verbose := fs.Bool("v", false, "list the wall time of every stub, solution and mutant run, with the median and the maximum")
	times := fs.Bool("times", false, "run every test of each mutant at the first --cpu value, as a student's go test does, and time those runs (without it, mutants stop at their first failing test)")
	cpu := fs.String("cpu", "1,2,4,8", "GOMAXPROCS values: solutions must pass and mutants be rejected at each, in separate runs")
	c.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: course verify [flags] [PATTERN...]\n\nFor every exercise: the stub compiles and fails every test, the reference solution passes every\ntest with -race at every GOMAXPROCS of --cpu, and every mutant compiles and is rejected at every one. Exits 1 if any exercise fails a check.\nWith --times, each stub's and mutant's whole run is timed, as a student sits through it (the goal:\nnone at 15 s or more, median under 3 s).\n\nFlags:\n")
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
	vo := grader.VerifyOptions{Timings: *verbose, FullRuns: *times}
	for _, v := range strings.Split(*cpu, ",") {
		if v = strings.TrimSpace(v); v != "" {
			vo.CPU = append(vo.CPU, v)
		}
	}
	if opts.Binaries = openBinaryCache(stderr); opts.Binaries != nil {
		defer opts.Binaries.Close()
	}
	failed, err := grader.VerifyWith(ctx, m, exs, opts, vo, stdout)
	if err != nil {
		return err
	}
	if failed > 0 {
		return &exitError{1, ""}
	}
	return nil
}
