package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gocourse/week11/internal/grader"
	"github.com/gocourse/week11/internal/timeline"
)

func cmdTrace(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trace", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		out       = fs.String("o", "", "write the picture to `FILE` (default: .course/trace-<exercise>.svg)")
		test      = fs.String("test", "", "trace the tests matching `REGEXP` instead of a benchmark")
		benchtime = fs.String("benchtime", "5x", "how long each benchmark runs, as go test's -benchtime")
		solutions = fs.Bool("solutions", false, "trace the reference solution instead of your file (instructors)")
		mutant    = fs.String("mutant", "", "trace the mutant `NAME` (or number N) of the exercise (instructors)")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: course trace [flags] EXERCISE [BENCH]

Runs the exercise's benchmarks (those matching BENCH, default all) once with Go's execution tracer
and draws what ran when: one lane per P, time across, a coloured bar for each goroutine's run, and
below the lanes how many goroutines were runnable or blocked. The picture is an SVG file; open it
in a browser. A "parallel" program whose lanes take turns is not running in parallel.

Flags:
`)
		fs.PrintDefaults()
	}
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fs.Usage()
		return &exitError{2, ""}
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	e, err := m.Find(fs.Arg(0))
	if err != nil {
		return err
	}
	what, overlay, err := traceOverlay(root, e, *solutions, *mutant)
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp("", "course-trace-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	traceFile := filepath.Join(scratch, "trace.out")

	goArgs := []string{"test", "-count=1", "-trace=" + traceFile}
	if *test != "" {
		goArgs = append(goArgs, "-run="+*test)
	} else {
		bench := "."
		if fs.NArg() == 2 {
			bench = fs.Arg(1)
		}
		goArgs = append(goArgs, "-run=^$", "-bench="+bench, "-benchtime="+*benchtime)
	}
	if overlay != "" {
		goArgs = append(goArgs, "-overlay="+overlay)
	}
	goArgs = append(goArgs, "./"+e.ID+"/")
	fmt.Fprintf(stderr, "Tracing %s (%s): go %s\n", e.ID, what, strings.Join(goArgs, " "))
	cmd := exec.CommandContext(ctx, "go", goArgs...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return &exitError{1, fmt.Sprintf("the traced run failed (%v): fix the failure above first; `go test ./%s/` shows it too", err, e.ID)}
	}

	f, err := os.Open(traceFile)
	if err != nil {
		return fmt.Errorf("the run wrote no trace: %w", err)
	}
	defer f.Close()
	tl, err := timeline.Read(f)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join(root, ".course", "trace-"+strings.ReplaceAll(e.ID, "/", "-")+".svg")
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	pic, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := tl.WriteSVG(pic, fmt.Sprintf("%s (%s)", e.ID, what)); err != nil {
		pic.Close()
		return err
	}
	if err := pic.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", *out)
	fmt.Fprintf(stdout, "On average %.2f of %d Ps were busy (%d would be perfectly parallel). Open the file in a browser.\n",
		tl.Parallelism(), len(tl.Lanes), len(tl.Lanes))
	return nil
}

// traceOverlay returns what is traced, in words, and the overlay file that swaps it in ("" for the
// student's own file).
func traceOverlay(root string, e grader.Exercise, solutions bool, mutant string) (what, file string, err error) {
	switch {
	case solutions && mutant != "":
		return "", "", &exitError{2, "--solutions and --mutant do not go together"}
	case solutions:
		o, err := grader.SolutionOverlay(root, []grader.Exercise{e})
		if err != nil {
			return "", "", err
		}
		file, err := writeOverlayFile(root, "overlay-trace-solution.json", o)
		return "reference solution", file, err
	case mutant != "":
		dirs, err := grader.Mutants(root, e.ID)
		if err != nil {
			return "", "", err
		}
		k := -1
		for i, d := range dirs {
			if filepath.Base(d) == mutant {
				k = i
			}
		}
		if n, err := strconv.Atoi(mutant); err == nil && n >= 1 && n <= len(dirs) {
			k = n - 1
		}
		if k < 0 {
			names := make([]string, len(dirs))
			for i, d := range dirs {
				names[i] = filepath.Base(d)
			}
			return "", "", &exitError{2, fmt.Sprintf("%s has no mutant %q; it has: %s", e.ID, mutant, strings.Join(names, ", "))}
		}
		o, _, err := grader.MutantOverlay(root, []grader.Exercise{e}, k)
		if err != nil {
			return "", "", err
		}
		file, err := writeOverlayFile(root, "overlay-trace-mutant.json", o)
		return "mutant " + filepath.Base(dirs[k]), file, err
	}
	return "your code", "", nil
}
