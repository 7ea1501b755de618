package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/gocourse/week11/internal/grader"
)

// cmdHint shows a hint: `course hint` the next one of the current exercise, `course hint EXERCISE`
// the next one of that exercise, `course hint [EXERCISE] N` the N-th, `--all` every one. It remembers
// the last hint shown per exercise in .course/state.json.
func cmdHint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	all := false
	var rest []string
	for _, a := range args {
		switch a {
		case "--all", "-all":
			all = true
		case "-h", "--help", "-help":
			fmt.Fprint(stdout, "Usage: course hint [EXERCISE] [N | --all]\n\nWithout EXERCISE: your current exercise (the first that does not pass). Without N: the next hint\nafter the last one you were shown.\n")
			return nil
		default:
			rest = append(rest, a)
		}
	}
	n := 0
	if len(rest) > 0 {
		// "hint spawnjoin 2", or "hint 2" for the current exercise.
		if v, err := strconv.Atoi(rest[len(rest)-1]); err == nil {
			if v < 1 {
				return &exitError{2, "the hint number must be 1 or more"}
			}
			n, rest = v, rest[:len(rest)-1]
		}
	}
	if len(rest) > 1 {
		return &exitError{2, "usage: course hint [EXERCISE] [N | --all]"}
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	s := loadState(root)
	var e grader.Exercise
	named := len(rest) == 1
	if named {
		if e, err = findExercise(m, rest[0]); err != nil {
			return err
		}
	} else {
		cur, complete, ok := s.current(m)
		if !complete {
			fmt.Fprintln(stderr, "Finding your current exercise (running the tests; `course hint EXERCISE` skips this)...")
			var c commonFlags
			c.timeout, c.quiet = defaultTimeout, true
			opts, err := c.options(root, stderr)
			if err != nil {
				return err
			}
			rep, err := grader.Grade(ctx, m.Exercises, opts)
			if err != nil {
				return err
			}
			saveProgress(root, rep)
			s = loadState(root)
			cur, _, ok = s.current(m)
		}
		if !ok {
			fmt.Fprintln(stdout, "Every exercise passed when you last graded: no hint needed. `course hint EXERCISE` shows one anyway.")
			return nil
		}
		e = cur
	}
	fmt.Fprintf(stdout, "%s: %s\n", e.ID, e.Title)
	if all {
		for i, h := range e.Hints {
			fmt.Fprintf(stdout, "Hint %d/%d: %s\n", i+1, len(e.Hints), h)
		}
		s.Hints[e.ID] = len(e.Hints)
		_ = s.save(root)
		return nil
	}
	if n == 0 {
		n = s.Hints[e.ID] + 1
	}
	n = min(n, len(e.Hints))
	fmt.Fprintf(stdout, "Hint %d/%d: %s\n", n, len(e.Hints), e.Hints[n-1])
	if n > s.Hints[e.ID] {
		s.Hints[e.ID] = n
		_ = s.save(root)
	}
	again := "go run ./cmd/course hint"
	if named {
		again += " " + shortName(m, e)
	}
	if n < len(e.Hints) {
		fmt.Fprintf(stdout, "Still stuck? Hint %d: %s\n", n+1, again)
	} else {
		fmt.Fprintf(stdout, "That was the last hint. Once it passes, compare with the reference: go run ./cmd/course solution %s\n", shortName(m, e))
	}
	return nil
}
