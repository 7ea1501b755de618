package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gocourse/week11/internal/grader"
)

func cmdOverlay(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("overlay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mutant := fs.Int("mutant", 0, "swap in the `N`-th mutant of each exercise instead of the solution")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	if m.Edition == grader.StudentEdition {
		return instructorsOnly("course overlay")
	}
	exs, err := selectExercises(m, fs.Args())
	if err != nil {
		return err
	}
	var o grader.Overlay
	if *mutant > 0 {
		o, _, err = grader.MutantOverlay(root, exs, *mutant-1)
	} else {
		o, err = grader.SolutionOverlay(root, exs)
	}
	if err != nil {
		return err
	}
	// One file per selection, so that runs for different patterns can go on at the same time.
	name := "overlay-solutions"
	if *mutant > 0 {
		name = fmt.Sprintf("overlay-mutant%d", *mutant)
	}
	if fs.NArg() > 0 {
		name += fmt.Sprintf("-%08x", crc32.ChecksumIEEE([]byte(strings.Join(fs.Args(), "\x00"))))
	}
	file, err := writeOverlayFile(root, name+".json", o)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, file)
	return nil
}

// writeOverlayFile writes o as a go test -overlay file named name in the course's .course directory
// and returns its path. It writes and renames, so a go command reading the file never sees half of it.
func writeOverlayFile(root, name string, o grader.Overlay) (string, error) {
	dir := filepath.Join(root, ".course")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	data, err := json.Marshal(map[string]grader.Overlay{"Replace": o})
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, name+".*")
	if err != nil {
		return "", err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	file := filepath.Join(dir, name)
	return file, os.Rename(tmp.Name(), file)
}
