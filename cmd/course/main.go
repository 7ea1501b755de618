// Command course is the student's and the instructor's tool for the Week 11 concurrency course.
//
//	course grade  [flags] [PATTERN...]   run the exercises' tests and print a scorecard
//	course verify [flags] [PATTERN...]   check the course: solutions pass, stubs and mutants fail
//	course mutate [flags] [PATTERN...]   generate mutants of the solutions and report the survivors
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
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

const usage = `course: the Week 11 concurrency course tool

Usage:
  course grade  [flags] [PATTERN...]   run the exercises' tests with -race and print a scorecard
  course verify [flags] [PATTERN...]   check the course itself (instructors; what 'make test' runs)
  course mutate [flags] [PATTERN...]   instructors: generated mutants of the solutions, the survivors
                                       as diffs, and the mutation score
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
	case "mutate":
		return cmdMutate(ctx, args[1:], stdout, stderr)
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
