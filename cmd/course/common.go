package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
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

// defaultTimeout is how long one exercise's tests may run.
const defaultTimeout = 60 * time.Second

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&c.timeout, "timeout", defaultTimeout, "how long one exercise's tests may run before the grader kills them")
	fs.IntVar(&c.jobs, "jobs", 0, "exercises tested at once (default: the number of CPUs)")
	fs.BoolVar(&c.noRace, "no-race", false, "build without the race detector (only where cgo is unavailable)")
	fs.BoolVar(&c.quiet, "q", false, "no progress lines")
}

func (c *commonFlags) options(root string, stderr io.Writer) (grader.Options, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return grader.Options{}, errors.New("the Go toolchain is not on PATH: install Go 1.26 or later from https://go.dev/dl/")
	}
	opts := grader.Options{Root: root, Timeout: c.timeout, Jobs: c.jobs, Race: !c.noRace}
	if c.noRace {
		opts.NoRace = "you asked for --no-race"
	} else if why, fix := raceUnavailable(); why != "" {
		fmt.Fprintf(stderr, "course: warning: %s, so the race detector cannot run: grading WITHOUT -race. %s\n", why, fix)
		opts.Race, opts.NoRace = false, why
	}
	if !c.quiet {
		opts.Progress = stderr
	}
	return opts, nil
}

// binaryCacheEnv names the directory where verify and mutate keep the test binaries they build, for
// their next runs (in any clone of the course); "off" keeps each run's binaries to that run.
const binaryCacheEnv = "COURSE_BINARY_CACHE"

// binaryCacheLimit is the size the binary cache is trimmed to: about two full sets of verify's and
// mutate's -race binaries (some 3.5 and 2.5 GB).
const binaryCacheLimit = 12 << 30

// openBinaryCache returns verify's and mutate's cache of test binaries kept between runs: in
// $COURSE_BINARY_CACHE, by default the user's cache directory. It returns nil, and each run links its
// own binaries, when the variable is "off" or the directory cannot be made (it says so).
func openBinaryCache(stderr io.Writer) *grader.BinaryCache {
	dir := os.Getenv(binaryCacheEnv)
	if dir == "off" {
		return nil
	}
	if dir == "" {
		user, err := os.UserCacheDir()
		if err != nil {
			fmt.Fprintf(stderr, "course: no cache of test binaries between runs (%v); set %s to a directory to keep one\n", err, binaryCacheEnv)
			return nil
		}
		dir = filepath.Join(user, "gocourse-week11", "test-binaries")
	}
	c, err := grader.OpenBinaryCache(dir, binaryCacheLimit)
	if err != nil {
		fmt.Fprintf(stderr, "course: no cache of test binaries between runs: %v\n", err)
		return nil
	}
	return c
}

// raceUnavailable says why `go test -race` cannot work here, and the fix for that cause, or "" when
// it can. The race detector needs cgo; cgo is off either because CGO_ENABLED=0 was set (in the
// environment or with `go env -w`) or because the go command found no C compiler.
func raceUnavailable() (why, fix string) {
	out, err := exec.Command("go", "env", "CGO_ENABLED", "CC").Output()
	if err != nil {
		return "", "" // the build will say what is wrong with the go command
	}
	vals := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(vals) < 2 || strings.TrimSpace(vals[0]) == "1" {
		return "", ""
	}
	cc := strings.Fields(vals[1])
	switch {
	case os.Getenv("CGO_ENABLED") == "0":
		return "CGO_ENABLED=0 is set in your environment",
			"Fix: unset CGO_ENABLED (or run with CGO_ENABLED=1), then grade again."
	case goEnvChanged("CGO_ENABLED"):
		return "CGO_ENABLED=0 was set with `go env -w`",
			"Fix: go env -u CGO_ENABLED, then grade again."
	case len(cc) == 0 || !onPath(cc[0]):
		name := "gcc"
		if len(cc) > 0 {
			name = cc[0]
		}
		return "no C compiler was found (" + name + " is not on PATH)",
			"Fix: install gcc or clang (Debian/Ubuntu: sudo apt install gcc; Fedora: sudo dnf install gcc; macOS: xcode-select --install; Windows: see https://go.dev/wiki/cgo), then grade again."
	}
	return "cgo is off (CGO_ENABLED=0)", "Fix: set CGO_ENABLED=1 and make sure a C compiler is on PATH."
}

// goEnvChanged reports whether the go command's setting name differs from its default because of
// `go env -w` (the environment was checked before).
func goEnvChanged(name string) bool {
	out, err := exec.Command("go", "env", "-changed").Output()
	return err == nil && strings.Contains(string(out), name+"=")
}

func onPath(cmd string) bool {
	_, err := exec.LookPath(cmd)
	return err == nil
}

// parseFlags parses args into fs, allowing flags after the positional arguments as well as before
// (`course grade day2_sync -v`); "--" ends the flags. It reports done when the command should return
// at once with err: nil after -h (the flag package printed the usage), or exit status 2 for a bad
// flag (it printed why). fs.Args() then holds the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) (done bool, err error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return true, nil
			}
			return true, &exitError{2, ""}
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	// Leave the positional arguments where fs.Args() finds them.
	_ = fs.Parse(append([]string{"--"}, pos...))
	return false, nil
}

// selectExercises is Manifest.Select with short names: an exercise's last path element
// ("spawnjoin") stands for the exercise when exactly one has it.
func selectExercises(m *grader.Manifest, patterns []string) ([]grader.Exercise, error) {
	resolved := make([]string, len(patterns))
	for i, p := range patterns {
		resolved[i] = p
		if _, err := m.Select([]string{p}); err == nil || strings.ContainsAny(p, "/.") {
			continue
		}
		var ids []string
		for _, e := range m.Exercises {
			if path.Base(e.ID) == p {
				ids = append(ids, e.ID)
			}
		}
		switch len(ids) {
		case 1:
			resolved[i] = ids[0]
		case 0:
			return nil, fmt.Errorf("no exercise matches %q (try `course list`)", p)
		default:
			return nil, fmt.Errorf("%q could be any of %s: name one", p, strings.Join(ids, ", "))
		}
	}
	return m.Select(resolved)
}

// findExercise is selectExercises for a pattern that must name exactly one exercise.
func findExercise(m *grader.Manifest, pattern string) (grader.Exercise, error) {
	sel, err := selectExercises(m, []string{pattern})
	if err != nil {
		return grader.Exercise{}, err
	}
	if len(sel) != 1 {
		return grader.Exercise{}, fmt.Errorf("%q matches %d exercises; name one", pattern, len(sel))
	}
	return sel[0], nil
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
// A file name of "-" means stdout.
func writeReports(rep *grader.Report, stdout io.Writer, jsonOut, mdOut, classroom string) error {
	write := func(file string, data []byte) error {
		if file == "-" {
			_, err := stdout.Write(data)
			return err
		}
		return os.WriteFile(file, data, 0o644)
	}
	if jsonOut != "" {
		var b strings.Builder
		if err := rep.EncodeJSON(&b); err != nil {
			return err
		}
		if err := write(jsonOut, []byte(b.String())); err != nil {
			return err
		}
	}
	if mdOut != "" {
		var b strings.Builder
		rep.WriteMarkdown(&b)
		if err := write(mdOut, []byte(b.String())); err != nil {
			return err
		}
	}
	if classroom != "" {
		if err := write(classroom, []byte(rep.ClassroomResult())); err != nil {
			return err
		}
	}
	return nil
}

// toStdout reports whether any of the report files is "-", in which case stdout is the report's
// and the scorecard goes to stderr.
func toStdout(files ...string) bool {
	for _, f := range files {
		if f == "-" {
			return true
		}
	}
	return false
}
