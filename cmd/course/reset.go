package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// stdin is where questions are answered; tests replace it.
var stdin io.Reader = os.Stdin

func cmdReset(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reset", flag.ContinueOnError)
	fs.SetOutput(stderr)
	yes := fs.Bool("yes", false, "do not ask first")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: course reset [--yes] EXERCISE\n\nPuts the original stub of an exercise back, after keeping a copy of your files in .course/backup/.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{2, "usage: course reset [--yes] EXERCISE"}
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	e, err := findExercise(m, fs.Arg(0))
	if err != nil {
		return err
	}
	stubs, commit, err := stubFiles(root, m, e)
	if err != nil {
		return err
	}
	dir := filepath.Join(root, filepath.FromSlash(e.ID))
	mine, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	// What changes: files that differ from the stub or that the stub does not have (they go, after
	// the backup), and stub files that are missing.
	var changed, extra, missing []string
	for _, f := range mine {
		base := filepath.Base(f)
		if strings.HasSuffix(base, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		switch stub, ok := stubs[base]; {
		case !ok:
			extra = append(extra, base)
		case !bytes.Equal(data, stub):
			changed = append(changed, base)
		}
	}
	for base := range stubs {
		if _, err := os.Stat(filepath.Join(dir, base)); os.IsNotExist(err) {
			missing = append(missing, base)
		}
	}
	sort.Strings(missing)
	keep := append(append([]string(nil), changed...), extra...)
	if len(keep) == 0 && len(missing) == 0 {
		fmt.Fprintf(stdout, "%s is already the original stub: nothing to reset.\n", e.ID)
		return nil
	}
	backup := filepath.Join(".course", "backup", filepath.FromSlash(e.ID), time.Now().Format("20060102-150405"))
	if !*yes {
		fmt.Fprintf(stdout, "Reset %s to its original stub?", e.ID)
		if len(keep) > 0 {
			fmt.Fprintf(stdout, " Your %s will be kept in %s/.", strings.Join(keep, ", "), filepath.ToSlash(backup))
		}
		fmt.Fprint(stdout, " [y/N] ")
		answer, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "Not reset; nothing changed.")
			return nil
		}
	}
	if len(keep) > 0 {
		if err := os.MkdirAll(filepath.Join(root, backup), 0o755); err != nil {
			return err
		}
		for _, base := range keep {
			data, err := os.ReadFile(filepath.Join(dir, base))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(root, backup, base), data, 0o644); err != nil {
				return fmt.Errorf("cannot keep a backup, so nothing was reset: %w", err)
			}
		}
	}
	for _, base := range append(changed, missing...) {
		if err := os.WriteFile(filepath.Join(dir, base), stubs[base], 0o644); err != nil {
			return err
		}
	}
	for _, base := range extra {
		if err := os.Remove(filepath.Join(dir, base)); err != nil {
			return err
		}
	}
	s := loadState(root)
	delete(s.Status, e.ID)
	_ = s.save(root)
	fmt.Fprintf(stdout, "Reset %s to its original stub (from git commit %s).\n", e.ID, short(commit))
	if len(keep) > 0 {
		fmt.Fprintf(stdout, "Your files are in %s/: %s\n", filepath.ToSlash(backup), strings.Join(keep, ", "))
		if len(extra) > 0 {
			fmt.Fprintf(stdout, "(%s, which the stub does not have, moved there.)\n", strings.Join(extra, ", "))
		}
	}
	return nil
}
