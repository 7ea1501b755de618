package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/creack/pty"
	"github.com/stretchr/testify/require"

	"github.com/gocourse/week11/internal/grader"
)

// TestMain lets the test binary stand in for the course command in a child process, so that the
// watch test drives the real program in a pseudo-terminal without building it separately.
func TestMain(m *testing.M) {
	if os.Getenv("COURSE_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	// verify and mutate keep their test binaries in a cache of this run's own, not the user's.
	if os.Getenv(binaryCacheEnv) == "" {
		dir, err := os.MkdirTemp("", "course-test-binaries-")
		if err != nil {
			panic(err)
		}
		os.Setenv(binaryCacheEnv, dir)
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// terminal is the far side of a pseudo-terminal: everything the program wrote, without its escapes.
type terminal struct {
	mu   sync.Mutex
	text bytes.Buffer
	more chan struct{} // a signal after each read
	seen int           // where the last wait matched
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

func (tm *terminal) read(f *os.File) {
	buf := make([]byte, 4096)
	for {
		n, err := f.Read(buf)
		tm.mu.Lock()
		tm.text.Write(buf[:n])
		tm.mu.Unlock()
		select {
		case tm.more <- struct{}{}:
		default:
		}
		if err != nil {
			close(tm.more)
			return
		}
	}
}

// waitFor waits until the screen shows re after what the last wait saw, or fails at the deadline.
func (tm *terminal) waitFor(t *testing.T, what string, re *regexp.Regexp, within time.Duration) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		tm.mu.Lock()
		screen := ansi.ReplaceAllString(tm.text.String(), "")
		tm.mu.Unlock()
		if tm.seen <= len(screen) {
			if loc := re.FindStringIndex(screen[tm.seen:]); loc != nil {
				tm.seen += loc[1]
				return
			}
		}
		select {
		case _, ok := <-tm.more:
			if !ok {
				tm.mu.Lock()
				defer tm.mu.Unlock()
				t.Fatalf("the program ended before the screen showed %s; it showed:\n%s", what, lastLines(ansi.ReplaceAllString(tm.text.String(), ""), 30))
			}
		case <-deadline.C:
			tm.mu.Lock()
			defer tm.mu.Unlock()
			t.Fatalf("after %s the screen still did not show %s; it showed:\n%s", within, what, lastLines(ansi.ReplaceAllString(tm.text.String(), ""), 30))
		}
	}
}

func lastLines(s string, n int) string {
	lines := regexp.MustCompile(`\r?\n`).Split(s, -1)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// miniCourse copies what two exercises of the real course need into a temporary directory: the
// module files, the shared test helpers, the two exercises and a manifest that lists only them.
func miniCourse(t *testing.T, ids ...string) string {
	t.Helper()
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	m, err := grader.LoadManifest(filepath.Join(repo, grader.ManifestFile))
	require.NoError(t, err)
	dst := t.TempDir()
	copyTree(t, repo, dst, "go.mod", "go.sum", "internal/coursetest")
	sub := grader.Manifest{Title: m.Title}
	for _, id := range ids {
		e, err := m.Find(id)
		require.NoError(t, err)
		sub.Exercises = append(sub.Exercises, e)
		copyTree(t, repo, dst, id)
	}
	f, err := os.Create(filepath.Join(dst, grader.ManifestFile))
	require.NoError(t, err)
	require.NoError(t, toml.NewEncoder(f).Encode(sub))
	require.NoError(t, f.Close())
	return dst
}

// copyTree copies the files under each of paths (relative to from) to the same place under to.
func copyTree(t *testing.T, from, to string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		require.NoError(t, filepath.WalkDir(filepath.Join(from, p), func(src string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(from, src)
			data, err := os.ReadFile(src)
			if err != nil {
				return err
			}
			dst := filepath.Join(to, rel)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			return os.WriteFile(dst, data, 0o644)
		}))
	}
}

// TestWatchInATerminal runs `course watch` in a pseudo-terminal on a two-exercise copy of the course,
// as a student would: it shows the first exercise not started, runs the tests when the exercise file
// is saved, reports the pass, moves on to the next exercise by itself, and quits on q.
func TestWatchInATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two exercises with the race detector")
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs a pseudo-terminal")
	}
	const first, second = "day1_threading/spawnjoin", "day1_threading/lifecycle"
	solution, err := os.ReadFile(filepath.Join("..", "..", "solutions", first, "spawnjoin.go"))
	if os.IsNotExist(err) {
		t.Skip("needs the reference solution of " + first + ", which the student edition does not have")
	}
	require.NoError(t, err)
	root := miniCourse(t, first, second)

	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, "watch")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "COURSE_TEST_MAIN=1", "GORACE=atexit_sleep_ms=0", "TERM=xterm", "NO_COLOR=")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 80})
	require.NoError(t, err)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		ptmx.Close()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})
	tm := &terminal{more: make(chan struct{}, 1)}
	go tm.read(ptmx)

	const patience = 2 * time.Minute // the first run builds both exercises with -race
	tm.waitFor(t, "the first exercise, not started", regexp.MustCompile(`Exercise 1/2, day 1: `+first+`(?s:.*)NOT-STARTED`), patience)

	require.NoError(t, os.WriteFile(filepath.Join(root, first, "spawnjoin.go"), solution, 0o644))
	tm.waitFor(t, "that the first exercise passes", regexp.MustCompile(first+` passes: 4/4 tests`), patience)
	tm.waitFor(t, "the second exercise", regexp.MustCompile(`Exercise 2/2, day 1: `+second), patience)
	tm.waitFor(t, "the progress of the week", regexp.MustCompile(`1/2 pass  10/20 points`), patience)

	_, err = ptmx.Write([]byte("q"))
	require.NoError(t, err)
	tm.waitFor(t, "the goodbye line", regexp.MustCompile(`Stopped watching at `+second), patience)
	select {
	case err := <-exited:
		require.NoError(t, err, "course watch must exit with status 0 on q")
	case <-time.After(30 * time.Second):
		t.Fatal("course watch did not exit within 30 s of q")
	}
}
