package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/gocourse/week11/internal/grader"
	"github.com/gocourse/week11/internal/watch"
)

func cmdWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs)
	manual := fs.Bool("manual", false, "re-run the tests when you press Enter, for file systems where change events do not arrive (network drives, some containers)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: course watch [flags] [EXERCISE]\n\nStarts at EXERCISE, or at the first exercise that does not pass, and runs its tests with -race\nevery time you save one of its .go files. Moves on when it passes.\nKeys: h next hint, n next exercise (once this one passes), l list, r re-run, q quit.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() > 1 {
		return &exitError{2, "usage: course watch [--manual] [EXERCISE]"}
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	start := ""
	if fs.NArg() == 1 {
		e, err := findExercise(m, fs.Arg(0))
		if err != nil {
			return err
		}
		start = e.ID
	}
	c.quiet = true // the screen shows progress
	opts, err := c.options(root, stderr)
	if err != nil {
		return err
	}

	cfg := watch.Config{
		Root:     root,
		Manifest: m,
		Start:    start,
		Manual:   *manual,
		In:       stdin,
		Out:      stdout,
		Grade: func(ctx context.Context, exs []grader.Exercise) (*grader.Report, error) {
			rep, err := grader.Grade(ctx, exs, opts)
			if err == nil {
				saveProgress(root, rep)
			}
			return rep, err
		},
		LastHint: func(id string) int { return loadState(root).Hints[id] },
		SaveHint: func(id string, n int) {
			s := loadState(root)
			s.Hints[id] = n
			_ = s.save(root)
		},
	}
	in, inOK := stdin.(*os.File)
	out, outOK := stdout.(*os.File)
	if inOK && outOK && term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(out.Fd())) {
		old, err := term.MakeRaw(int(in.Fd()))
		if err != nil {
			return fmt.Errorf("cannot read single keys from this terminal (%v): try course watch --manual < /dev/null", err)
		}
		defer term.Restore(int(in.Fd()), old)
		cfg.TTY = true
		cfg.Color = watch.Env()
		if w, h, err := term.GetSize(int(out.Fd())); err == nil {
			if w > 20 && w < 80 {
				cfg.Width = w
			}
			cfg.Height = h
		}
	}
	return watch.Run(ctx, cfg)
}
