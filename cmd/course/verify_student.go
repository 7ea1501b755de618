package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gocourse/week11/internal/grader"
)

// verifyStudentEdition is `course verify` in the student edition, which has no solutions or mutants
// to check: it checks that every exercise's original stub compiles and fails every test, so that no
// exercise gives points away for nothing. The stubs come from git (see stubFiles) and are swapped in
// with an overlay, so the student's own work on disk neither changes nor affects the check.
func verifyStudentEdition(ctx context.Context, root string, m *grader.Manifest, exs []grader.Exercise, opts grader.Options, stdout io.Writer) error {
	fmt.Fprintln(stdout, "This is the student edition: it has no solutions or mutants, so verify checks that every stub compiles and fails its tests.")
	tmp, err := os.MkdirTemp("", "course-stubs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	opts.Overlay = grader.Overlay{}
	fromDisk := false
	for _, e := range exs {
		stubs, _, err := stubFiles(root, m, e)
		if err != nil {
			if !fromDisk {
				fmt.Fprintf(stdout, "(%v; checking the exercise files as they are on disk.)\n", err)
			}
			fromDisk = true
			continue
		}
		dir := filepath.Join(root, filepath.FromSlash(e.ID))
		mine, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range mine {
			if base := filepath.Base(f); !strings.HasSuffix(base, "_test.go") && stubs[base] == nil {
				opts.Overlay[f] = "" // a file the student added: not part of the stub
			}
		}
		for base, data := range stubs {
			backing := filepath.Join(tmp, filepath.FromSlash(e.ID), base)
			if err := os.MkdirAll(filepath.Dir(backing), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(backing, data, 0o644); err != nil {
				return err
			}
			disk, err := filepath.Abs(filepath.Join(dir, base))
			if err != nil {
				return err
			}
			opts.Overlay[disk] = backing
		}
	}
	rep, err := grader.Grade(ctx, exs, opts)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range rep.Exercises {
		switch {
		case r.Status == grader.StatusBuildError:
			failed++
			fmt.Fprintf(stdout, "FAIL  %-34s stub does not compile: %s\n", r.ID, r.Reason)
		case r.Passed > 0:
			failed++
			fmt.Fprintf(stdout, "FAIL  %-34s stub passes %d of %d tests (every test must fail on the stub)\n", r.ID, r.Passed, r.Total)
		default:
			fmt.Fprintf(stdout, "ok    %-34s stub 0/%d\n", r.ID, r.Total)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", len(rep.Exercises)-failed, failed)
	if failed > 0 {
		return &exitError{1, ""}
	}
	return nil
}
