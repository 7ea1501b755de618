package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gocourse/week11/internal/grader"
)

// findRoot walks up from the working directory to the directory holding the course manifest.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, grader.ManifestFile)); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s found here or above: run the course tool inside the course repository", grader.ManifestFile)
		}
		dir = parent
	}
}

func loadCourse() (string, *grader.Manifest, error) {
	root, err := findRoot()
	if err != nil {
		return "", nil, err
	}
	m, err := grader.LoadManifest(filepath.Join(root, grader.ManifestFile))
	return root, m, err
}

// commonFlags are the flags grade and verify share.
type commonFlags struct {
	timeout time.Duration
	jobs    int
	noRace  bool
	quiet   bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&c.timeout, "timeout", 60*time.Second, "how long one exercise's tests may run before the grader kills them")
	fs.IntVar(&c.jobs, "jobs", 0, "exercises tested at once (default: the number of CPUs)")
	fs.BoolVar(&c.noRace, "no-race", false, "build without the race detector (only where cgo is unavailable)")
	fs.BoolVar(&c.quiet, "q", false, "no progress lines")
}

func (c *commonFlags) options(root string, stderr io.Writer) (grader.Options, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return grader.Options{}, errors.New("the Go toolchain is not on PATH: install Go 1.26 or later from https://go.dev/dl/")
	}
	opts := grader.Options{Root: root, Timeout: c.timeout, Jobs: c.jobs, Race: !c.noRace}
	if opts.Race && !cgoEnabled() {
		fmt.Fprintln(stderr, "course: warning: cgo is disabled here, so the race detector cannot run; grading without -race (install a C compiler to get it back)")
		opts.Race = false
	}
	if !c.quiet {
		opts.Progress = stderr
	}
	return opts, nil
}

func cgoEnabled() bool {
	out, err := exec.Command("go", "env", "CGO_ENABLED").Output()
	return err == nil && strings.TrimSpace(string(out)) == "1"
}

// parseFlags parses args into fs. It reports done when the command should return at once with err:
// nil after -h (the flag package printed the usage), or exit status 2 for a bad flag (it printed why).
func parseFlags(fs *flag.FlagSet, args []string) (done bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return true, &exitError{2, ""}
	}
	return false, nil
}

// readLimited reads file, refusing one larger than limit bytes.
func readLimited(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", file, limit)
	}
	return data, nil
}

// writeReports writes the report's machine-readable forms to the files that are named.
func writeReports(rep *grader.Report, jsonOut, mdOut, classroom string) error {
	if jsonOut != "" {
		if err := rep.WriteJSON(jsonOut); err != nil {
			return err
		}
	}
	if mdOut != "" {
		var b strings.Builder
		rep.WriteMarkdown(&b)
		if err := os.WriteFile(mdOut, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	if classroom != "" {
		if err := os.WriteFile(classroom, []byte(rep.ClassroomResult()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
