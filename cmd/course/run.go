package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gocourse/week11/internal/grader"
)

const runUsage = `Usage: course run [--solutions] [--race] PKG [-- ARGS...]

Builds the command PKG (such as ./day7_challenge/scraper/cmd/scrape) and runs it with ARGS, its
standard input, output and error those of this terminal; the exit status is the command's own.
On your own code by default; --solutions runs it on the reference solutions instead (instructors:
a demo of what the finished capstone does).

Flags:
`

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	solutions := fs.Bool("solutions", false, "build on the reference solutions instead of your own code (instructors)")
	race := fs.Bool("race", false, "build with the race detector")
	fs.Usage = func() {
		fmt.Fprint(stderr, runUsage)
		fs.PrintDefaults()
	}
	// Everything after "--" belongs to the command; before it, flags and PKG in any order.
	var cmdArgs []string
	for i, a := range args {
		if a == "--" {
			args, cmdArgs = args[:i], args[i+1:]
			break
		}
	}
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return &exitError{2, ""}
	}
	pkg, extra := fs.Arg(0), fs.Args()[1:]
	cmdArgs = append(extra, cmdArgs...)
	root, m, err := loadCourse()
	if err != nil {
		return err
	}

	build := []string{"build", "-o"}
	tmp, err := os.MkdirTemp("", "course-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, filepath.Base(strings.TrimSuffix(pkg, "/")))
	build = append(build, bin)
	if *race {
		build = append(build, "-race")
	}
	if *solutions {
		if m.Edition == grader.StudentEdition {
			return instructorsOnly("course run --solutions")
		}
		var withSolution []grader.Exercise
		for _, e := range m.Exercises {
			if _, err := os.Stat(grader.SolutionDir(root, e.ID)); err == nil {
				withSolution = append(withSolution, e)
			}
		}
		o, err := grader.SolutionOverlay(root, withSolution)
		if err != nil {
			return err
		}
		file, err := writeOverlayFile(root, "overlay-run.json", o)
		if err != nil {
			return err
		}
		build = append(build, "-overlay", file)
	}
	gobuild := exec.CommandContext(ctx, "go", append(build, pkg)...)
	gobuild.Stdout, gobuild.Stderr = stderr, stderr
	if err := gobuild.Run(); err != nil {
		return &exitError{2, fmt.Sprintf("cannot build %s: %v", pkg, err)}
	}

	// Not CommandContext: Ctrl-C on a terminal reaches the command too (it is in the same process
	// group), and a command that stops gracefully on it (printing a partial summary) must be let.
	cmd := exec.Command(bin, cmdArgs...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if code < 0 { // killed by a signal
			code = 1
		}
		return &exitError{code, ""}
	}
	return err
}
