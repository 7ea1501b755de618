// Command course is the student's and the instructor's tool for the Week 11 concurrency course.
//
//	course grade  [flags] [PATTERN...]   run the exercises' tests and print a scorecard
//	course verify [flags] [PATTERN...]   check the course: solutions pass, stubs and mutants fail
//	course mutate [flags] [PATTERN...]   generate mutants of the solutions and report the survivors
//	course watch  [--manual] [EXERCISE]  re-run the current exercise's tests on every save
//	course list   [PATTERN...]           list the exercises with status, points and topic
//	course hint   [EXERCISE] [N | --all] show the next (or N-th) hint of an exercise
//	course solution [--force] EXERCISE   show the reference solution once the exercise passes
//	course reset  [--yes] EXERCISE       put the original stub back, keeping a backup
//	course report --raw FILE             re-score an untrusted grade.json (CI, trusted side)
//	course export --student DIR          write the student edition, without solutions (instructors)
//	course export --solved DIR           write the course with the solutions in place (instructors)
//	course overlay [--mutant N]          write a go test -overlay file for the solutions (instructors)
//	course trace  EXERCISE [BENCH]       draw what ran when, from the execution tracer, as an SVG
//	course run    [--solutions] PKG [-- ARGS]  build and run a command (a capstone's), on the solutions
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
  course watch  [--manual] [EXERCISE]  work in a loop: the current exercise's
                                       tests run on every save; keys for hints,
                                       next exercise, list, quit
  course grade  [flags] [PATTERN...]   run the exercises' tests with -race and
                                       print a scorecard
  course list   [PATTERN...]           every exercise in course order: status,
                                       points, topic
  course hint   [EXERCISE] [N | --all] the next hint of your current exercise
                                       (or of EXERCISE), or its N-th
  course solution [--force] EXERCISE   the reference solution, once your
                                       exercise passes
  course reset  [--yes] EXERCISE       put the original stub back (your files
                                       are kept in .course/backup/)
  course verify [flags] [PATTERN...]   check the course itself (what 'make test'
                                       runs)
  course mutate [flags] [PATTERN...]   instructors: generated mutants of the
                                       solutions, the survivors as diffs, and
                                       the mutation score
  course trace  [flags] EXERCISE [BENCH]
                                       draw what ran when (one lane per P), from
                                       the execution tracer, as an SVG picture
  course run [--solutions] PKG [-- ARGS...]
                                       build and run a command, such as a
                                       capstone's (./day7_challenge/.../cmd/...);
                                       --solutions: on the reference solutions
  course report --raw FILE [--changed-files FILE] [--json F] [--markdown F]
                [--classroom F]        CI, trusted side: re-score an untrusted
                                       grade.json
  course export --student DIR          instructors: write the student edition
                                       (no solutions, no mutants) into DIR
  course export --solved DIR           instructors: write the course with every
                                       solution in place of its stub into DIR
                                       (for staticcheck, which has no -overlay)
  course overlay [--mutant N] [PATTERN...]
                                       instructors: write a go test -overlay
                                       file that swaps in the reference
                                       solutions (or mutant N); print its path

A PATTERN selects exercises: a day number ("2"), a day ("day2_sync",
"./day2_sync/..."), or an exercise ("day2_sync/barrier", or just "barrier").
No pattern means the whole course. Flags may come before or after the
patterns; "--json -" writes the report to stdout.

Exit status:
  0  grade: a grade was produced, whatever the score; verify: every exercise
     checked out
  1  grade: the score is below --fail-under; verify: at least one exercise
     failed its check; solution: the exercise does not pass yet
  2  the tool itself could not work (no Go toolchain, unreadable manifest, bad
     flags)

Run 'course COMMAND -h' for a command's flags.
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
	case "watch":
		return cmdWatch(ctx, args[1:], stdout, stderr)
	case "list":
		return cmdList(ctx, args[1:], stdout, stderr)
	case "hint":
		return cmdHint(ctx, args[1:], stdout, stderr)
	case "solution":
		return cmdSolution(ctx, args[1:], stdout, stderr)
	case "reset":
		return cmdReset(args[1:], stdout, stderr)
	case "overlay":
		return cmdOverlay(args[1:], stdout, stderr)
	case "report":
		return cmdReport(args[1:], stdout, stderr)
	case "export":
		return cmdExport(args[1:], stdout, stderr)
	case "trace":
		return cmdTrace(ctx, args[1:], stdout, stderr)
	case "run":
		return cmdRun(ctx, args[1:], stdout, stderr)
	}
	return &exitError{2, fmt.Sprintf("unknown command %q (try 'course help')", args[0])}
}
