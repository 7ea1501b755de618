package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"golang.org/x/term"

	"github.com/gocourse/week11/internal/grader"
)

func cmdList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: course list [flags] [PATTERN...]\n\nRuns the tests and lists every exercise in course order with its status, points and topic.\n\nFlags:\n")
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
	quiet := c.quiet
	c.quiet = true // one line instead of one per exercise
	opts, err := c.options(root, stderr)
	if err != nil {
		return err
	}
	if !quiet {
		fmt.Fprintf(stderr, "Running the tests of %d exercises...\n", len(exs))
	}
	rep, err := grader.Grade(ctx, exs, opts)
	if err != nil {
		return err
	}
	saveProgress(root, rep)
	writeList(stdout, m, rep, useColor(stdout))
	return nil
}

// writeList prints one line per exercise in 80 columns: number, exercise, status, points, topic; the
// first exercise that does not pass is marked with ">".
func writeList(w io.Writer, m *grader.Manifest, rep *grader.Report, color bool) {
	next, hasNext := rep.Next()
	fmt.Fprintf(w, "   %2s  %-25s  %-11s %7s  %s\n", "#", "EXERCISE", "STATUS", "POINTS", "TOPIC")
	for _, r := range rep.Exercises {
		num := 0
		topic := ""
		for i, e := range m.Exercises {
			if e.ID == r.ID {
				num, topic = i+1, strings.Join(e.Topics, ", ")
			}
		}
		mark := " "
		if hasNext && r.ID == next.ID {
			mark = ">"
		}
		pts := grader.FormatPoints(r.Points) + "/" + grader.FormatPoints(r.MaxPoints)
		status := fmt.Sprintf("%-11s", r.Status)
		if color {
			status = paint(r.Status, status)
		}
		fmt.Fprintf(w, " %s %2d  %-25s  %s %7s  %s\n", mark, num, clipText(r.ID, 25), status, pts, clipText(topic, 80-55))
	}
	fmt.Fprintf(w, "\nTotal: %s / %s points, %d of %d exercises passing.\n", grader.FormatPoints(rep.Points), grader.FormatPoints(rep.MaxPoints), rep.Passing(), len(rep.Exercises))
	if !rep.Race {
		fmt.Fprintln(w, "(Without the race detector: data races were not checked.)")
	}
	if hasNext {
		fmt.Fprintf(w, "Next: %s. Watch it as you work: go run ./cmd/course watch\n", next.ID)
	}
}

// clipText shortens s to n columns, marking the cut.
func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}

// useColor reports whether w is a terminal that may be coloured: never when NO_COLOR is set
// (https://no-color.org) or TERM is dumb.
func useColor(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

// paint colours text by exercise status with ANSI escapes.
func paint(status, text string) string {
	code := ""
	switch status {
	case grader.StatusPass:
		code = "32" // green
	case grader.StatusPartial:
		code = "33" // yellow
	case grader.StatusNotStarted:
		code = "2" // dim
	default:
		code = "31" // red
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// shortName is how a student can type exercise e: its last path element when no other exercise has
// the same one.
func shortName(m *grader.Manifest, e grader.Exercise) string {
	base := path.Base(e.ID)
	for _, o := range m.Exercises {
		if o.ID != e.ID && path.Base(o.ID) == base {
			return e.ID
		}
	}
	return base
}
