package watch

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocourse/week11/internal/grader"
)

// screenBuffer collects what the screen printed and signals each write.
type screenBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	more chan struct{}
	seen int
}

func (s *screenBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Write(p)
	select {
	case s.more <- struct{}{}:
	default:
	}
	return len(p), nil
}

// waitFor waits until the output after the last match contains want.
func (s *screenBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		out := s.b.String()
		s.mu.Unlock()
		if i := strings.Index(out[s.seen:], want); i >= 0 {
			s.seen += i + len(want)
			return
		}
		select {
		case <-s.more:
		case <-deadline.C:
			t.Fatalf("the screen did not show %q; after the last match it showed:\n%s", want, out[s.seen:])
		}
	}
}

// fakeCourse is three exercises whose "tests" pass when the exercise file says DONE.
func fakeCourse(t *testing.T) (string, *grader.Manifest) {
	root := t.TempDir()
	m := &grader.Manifest{Title: "Fake week"}
	for _, id := range []string{"day1_x/a", "day1_x/b", "day1_x/c"} {
		name := filepath.Base(id)
		m.Exercises = append(m.Exercises, grader.Exercise{ID: id, Title: "Exercise " + name, Day: 1, Points: 10,
			Topics: []string{"Topic " + name}, Hints: []string{name + " hint one", name + " hint two"}})
		require.NoError(t, os.MkdirAll(filepath.Join(root, id), 0o755))
		body := "package " + name + "\n"
		if name == "a" {
			body += "// DONE\n"
		}
		require.NoError(t, os.WriteFile(filepath.Join(root, id, name+".go"), []byte(body), 0o644))
	}
	return root, m
}

func fakeGrade(root string, runs *int, mu *sync.Mutex) func(context.Context, []grader.Exercise) (*grader.Report, error) {
	return func(ctx context.Context, exs []grader.Exercise) (*grader.Report, error) {
		mu.Lock()
		*runs++
		mu.Unlock()
		rep := &grader.Report{Race: true}
		for _, e := range exs {
			data, _ := os.ReadFile(filepath.Join(root, e.ID, filepath.Base(e.ID)+".go"))
			r := grader.ExerciseResult{ID: e.ID, Day: e.Day, MaxPoints: e.Points, Total: 2,
				Tests: []grader.TestResult{{Name: "TestOne"}, {Name: "TestTwo"}}}
			if strings.Contains(string(data), "DONE") {
				r.Status, r.Passed, r.Points = grader.StatusPass, 2, e.Points
			} else {
				r.Status, r.Reason = grader.StatusNotStarted, "TestOne: not started: TODO: implement it"
			}
			rep.Exercises = append(rep.Exercises, r)
		}
		return rep, nil
	}
}

func TestWatchLoop(t *testing.T) {
	root, m := fakeCourse(t)
	var mu sync.Mutex
	runs := 0
	hints := map[string]int{}
	keys, typing := io.Pipe()
	out := &screenBuffer{more: make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Config{
			Root: root, Manifest: m, Grade: fakeGrade(root, &runs, &mu), In: keys, Out: out, Debounce: 20 * time.Millisecond,
			LastHint: func(id string) int { mu.Lock(); defer mu.Unlock(); return hints[id] },
			SaveHint: func(id string, n int) { mu.Lock(); defer mu.Unlock(); hints[id] = n },
		})
	}()
	press := func(k string) {
		_, err := io.WriteString(typing, k+"\n")
		require.NoError(t, err)
	}

	out.waitFor(t, "Running the tests of all 3 exercises")
	out.waitFor(t, "Exercise 2/3, day 1: day1_x/b") // a passes: the first unfinished one is b
	out.waitFor(t, "NOT-STARTED  0/2 tests")
	out.waitFor(t, "The stub still panics with TODO: start with the TODOs in the file above")
	out.waitFor(t, "h hint  n next  l list  r re-run  q quit")

	press("n")
	out.waitFor(t, "n moves on once day1_x/b passes")
	press("h")
	out.waitFor(t, "Hint 1/2: b hint one")
	press("h")
	out.waitFor(t, "Hint 2/2: b hint two")
	mu.Lock()
	assert.Equal(t, 2, hints["day1_x/b"], "the last hint shown is remembered")
	mu.Unlock()

	press("l")
	out.waitFor(t, " 1  day1_x/a                   pass")
	out.waitFor(t, " >  2  day1_x/b")
	press("x")
	out.waitFor(t, "Exercise 2/3")

	// An editor's swap file is not a save; the exercise file is.
	require.NoError(t, os.WriteFile(filepath.Join(root, "day1_x/b/.b.go.swp"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "day1_x/b/b.go"), []byte("package b\n// DONE\n"), 0o644))
	out.waitFor(t, "2/3 pass  20/30 points")
	out.waitFor(t, "day1_x/b passes: 2/2 tests, 10/10 points. Next: day1_x/c.")
	out.waitFor(t, "Exercise 3/3, day 1: day1_x/c")

	press("q")
	out.waitFor(t, "Stopped watching at day1_x/c; 2 of 3 exercises pass.")
	require.NoError(t, <-done)
	for _, line := range strings.Split(out.b.String(), "\n") {
		assert.LessOrEqual(t, len([]rune(line)), 80, "80 columns: %q", line)
		assert.NotContains(t, line, "\x1b", "no escapes when the output is not a terminal")
	}
}

func TestWatchManualReRunsOnEnter(t *testing.T) {
	root, m := fakeCourse(t)
	var mu sync.Mutex
	runs := 0
	keys, typing := io.Pipe()
	out := &screenBuffer{more: make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Config{Root: root, Manifest: m, Grade: fakeGrade(root, &runs, &mu), In: keys, Out: out, Manual: true})
	}()
	out.waitFor(t, "Press Enter to run them again.")
	require.NoError(t, os.WriteFile(filepath.Join(root, "day1_x/b/b.go"), []byte("package b\n// DONE\n"), 0o644))
	_, err := io.WriteString(typing, "\n")
	require.NoError(t, err)
	out.waitFor(t, "day1_x/b passes")
	typing.Close() // end of input ends a manual watch
	require.NoError(t, <-done)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 3, runs, "the first run over the week, Enter's run of b, and the run of c after moving on")
}

func TestRelevantEvents(t *testing.T) {
	for name, want := range map[string]bool{
		"x/spawnjoin.go": true, "x/.spawnjoin.go.swp": false, "x/spawnjoin.go~": false, "x/#spawnjoin.go#": false,
		"x/.#spawnjoin.go": false, "x/4913": false, "x/spawnjoin.go.tmp": false, "x/spawnjoin_test.go": true,
	} {
		assert.Equal(t, want, relevant(fsnotify.Event{Name: name, Op: fsnotify.Write}), name)
	}
	assert.False(t, relevant(fsnotify.Event{Name: "x/a.go", Op: fsnotify.Chmod}), "a permission change is not a save")
}

func TestWrapFitsTheWidth(t *testing.T) {
	text := strings.Repeat("word ", 40) + strings.Repeat("x", 200)
	for _, l := range wrap(text, 80, "  ") {
		assert.LessOrEqual(t, len(l), 80)
	}
	assert.Equal(t, []string{"a b", "  c"}, wrap("a b c", 4, "  "))
}
