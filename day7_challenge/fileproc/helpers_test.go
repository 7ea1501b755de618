package fileproc

// Test helpers: trees built in t.TempDir(), the sequential truth they are compared with, and an
// opener that counts open files, gates reads and injects errors. Everything the tests compare with
// is computed here, independently of the package's own files.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gocourse/week11/internal/coursetest"
)

// words are what generated files are made of; some contain the search pattern "needle".
var words = []string{"hay", "stack", "needle", "Needle", "need", "le", "needles", "pin", "straw", "eel", "a", "zz"}

// writeFile creates root/rel with data, making its directories.
func writeFile(t testing.TB, root, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// symlink creates root/rel pointing at target.
func symlink(t testing.TB, root, rel, target string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

// text returns n generated lines of words, separated by spaces and tabs, some ending in \r\n.
func text(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	for range n {
		for w := range r.IntN(9) {
			if w > 0 {
				b.WriteString([]string{" ", " ", "\t", "  "}[r.IntN(4)])
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		if r.IntN(5) == 0 {
			b.WriteByte('\r')
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// flatTree makes n small files spread over a few directories and returns the root.
func flatTree(t testing.TB, n int) string {
	t.Helper()
	root := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range n {
		writeFile(t, root, fmt.Sprintf("d%d/f%03d.txt", i%3, i), text(r, 1+r.IntN(20)))
	}
	return root
}

// standardTree makes a nested tree of about 150 entries that exercises the walk order, the chunked
// reads, symbolic links (to a file, to a directory, a loop, a broken one, one to itself) and a named
// pipe, and returns its root.
func standardTree(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	for d := range 4 {
		for s := range 3 {
			for f := range 10 {
				writeFile(t, root, fmt.Sprintf("d%d/s%d/f%02d.txt", d, s, f), text(r, r.IntN(40)))
			}
		}
	}
	// "a/..." before "a-b.txt" and "a.txt": names compare component by component.
	writeFile(t, root, "a/z.txt", []byte("needle in a\n"))
	writeFile(t, root, "a/b/c.txt", text(r, 3))
	writeFile(t, root, "a.txt", []byte("no match here\n"))
	writeFile(t, root, "a-b.txt", text(r, 5))
	writeFile(t, root, "B.txt", []byte("upper case sorts first\n"))
	writeFile(t, root, "empty.txt", nil)
	writeFile(t, root, "newlines.txt", []byte("\n\n\n"))
	writeFile(t, root, "nonl.txt", []byte("first line\nlast line has a needle and no newline"))
	// big.txt spans several chunks, with a matching line across the first chunk boundary.
	big := bytes.Repeat([]byte("hay stack straw\n"), (ChunkSize-8)/16)
	big = append(big, []byte("xx needle across the boundary yy\n")...)
	big = append(big, text(r, 300)...)
	writeFile(t, root, "big.txt", big)
	symlink(t, root, "links/to-file", "../a.txt")
	symlink(t, root, "links/to-dir", "../a")
	symlink(t, root, "links/up", "..")
	symlink(t, root, "links/broken", "nowhere")
	symlink(t, root, "links/self", "self")
	makeFifo(t, filepath.Join(root, "links", "pipe"))
	return root
}

// truth walks root sequentially, in the documented order, and returns the results Run must emit
// for o. failOpen lists the paths whose opening the test makes fail, with the error; those results
// carry that error.
func truth(t testing.TB, root string, o Options, failOpen map[string]error) []Result {
	t.Helper()
	var re *regexp.Regexp
	if o.Regexp {
		re = regexp.MustCompile(o.Grep)
	}
	var out []Result
	var visit func(path string)
	visit = func(path string) {
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case fi.IsDir():
			entries, err := os.ReadDir(path) // sorted by name
			if err != nil {
				out = append(out, Result{Path: path, Err: err})
			}
			for _, e := range entries {
				visit(filepath.Join(path, e.Name()))
			}
			return
		case fi.Mode()&fs.ModeSymlink != 0:
			st, err := os.Stat(path)
			switch {
			case err != nil:
				out = append(out, Result{Path: path, Err: err})
				return
			case !st.Mode().IsRegular():
				out = append(out, Result{Path: path, Skipped: "not followed"})
				return
			}
		case !fi.Mode().IsRegular():
			return // named pipes and the like are not reported
		}
		if err := failOpen[path]; err != nil {
			out = append(out, Result{Path: path, Err: err})
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			out = append(out, Result{Path: path, Err: err})
			return
		}
		out = append(out, expected(path, data, o, re))
	}
	visit(root)
	return out
}

// expected computes the result for a file with contents data, the plain way.
func expected(path string, data []byte, o Options, re *regexp.Regexp) Result {
	r := Result{Path: path, Size: int64(len(data))}
	if o.Hash {
		sum := sha256.Sum256(data)
		r.SHA256 = hex.EncodeToString(sum[:])
	}
	if o.Count {
		r.Lines = int64(bytes.Count(data, []byte("\n")))
		r.Words = int64(len(strings.FieldsFunc(string(data), func(c rune) bool { return strings.ContainsRune(" \t\n\v\f\r", c) })))
	}
	if o.Grep != "" {
		lines := strings.Split(string(data), "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		for i, l := range lines {
			if re != nil && re.MatchString(l) || re == nil && strings.Contains(l, o.Grep) {
				r.Matches = append(r.Matches, Match{Line: i + 1, Text: l})
			}
		}
	}
	return r
}

// summaryOf counts want the way Summary documents it.
func summaryOf(want []Result) Summary {
	var s Summary
	for _, r := range want {
		s.Files++
		s.Bytes += r.Size
		switch {
		case r.Err != nil:
			s.Failed++
		case r.Skipped != "":
			s.Skipped++
		case len(r.Matches) > 0:
			s.Matched++
		}
	}
	return s
}

// checkSummary fails t, in two short lines, if got is not want.
func checkSummary(t testing.TB, want, got Summary, format string, args ...any) {
	t.Helper()
	if want != got {
		t.Errorf("%s\nwant %+v\ngot  %+v", fmt.Sprintf(format, args...), want, got)
	}
}

// paths returns the paths of rs.
func paths(rs []Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Path
	}
	return out
}

// compareResults checks that got is want: the same files in the same order, each with the same
// fields, errors where errors are expected (of the same kind, for the kinds that have a name).
func compareResults(t testing.TB, want, got []Result, what string) bool {
	t.Helper()
	if !coursetest.EqualSlices(t, paths(want), paths(got), "%s: the emitted paths are not the walk order of the tree "+
		"(every file once, in filepath.WalkDir's order: lexical within each directory, a directory's contents right after it)", what) {
		return false
	}
	for i := range want {
		w, g := want[i], got[i]
		fail := func(format string, args ...any) bool {
			t.Errorf("%s: result %d of %d (%s): %s", what, i, len(want), w.Path, fmt.Sprintf(format, args...))
			return false
		}
		switch {
		case w.Err != nil && g.Err == nil:
			return fail("want an error (%v), got none", w.Err)
		case w.Err == nil && g.Err != nil:
			return fail("want no error, got %v", g.Err)
		case w.Err != nil:
			for _, kind := range []error{fs.ErrNotExist, fs.ErrPermission, errInjected} {
				if errors.Is(w.Err, kind) && !errors.Is(g.Err, kind) {
					return fail("want an error that is %v (errors.Is), got %v", kind, g.Err)
				}
			}
			continue
		case (w.Skipped != "") != (g.Skipped != ""):
			return fail("want skipped=%t, got Skipped=%q", w.Skipped != "", g.Skipped)
		case w.Skipped != "":
			continue
		case w.Size != g.Size:
			return fail("want Size %d, got %d", w.Size, g.Size)
		case w.SHA256 != g.SHA256:
			return fail("want SHA256 %s, got %q", w.SHA256, g.SHA256)
		case w.Lines != g.Lines || w.Words != g.Words:
			return fail("want %d lines and %d words, got %d and %d", w.Lines, w.Words, g.Lines, g.Words)
		case !slices.Equal(w.Matches, g.Matches):
			return fail("want %d matches %.200v, got %d: %.200v", len(w.Matches), w.Matches, len(g.Matches), g.Matches)
		}
	}
	return true
}

// errInjected is the error the test opener injects.
var errInjected = errors.New("injected read error")

// opener is an Options.Open for tests: it counts the files open at once, gates first reads, injects
// errors, and records files opened after the test cancelled the run.
type opener struct {
	open      coursetest.HighWater // files open now, and the most at once
	opened    atomic.Int64         // calls that returned a file
	stopped   atomic.Bool          // set by the test just before it cancels the run
	lateOpens atomic.Int64         // opens while stopped was set
	unclosed  sync.Map             // path -> true while open

	lateReads atomic.Int64 // reads started while stopped was set

	ctx        context.Context                   // a gated read gives up when ctx is done (nil: never)
	gate       func(path string) <-chan struct{} // a file's first Read waits for this channel; nil: no wait
	deaf       map[string]bool                   // gated reads of these paths wait for the gate alone, not ctx (a slow disk)
	failOpen   map[string]error                  // Open fails with this error for these paths
	failRead   map[string]error                  // the second Read of these paths fails with this error
	beforeOpen func(path string)                 // called first by every Open
}

func (o *opener) Open(name string) (io.ReadCloser, error) {
	if o.beforeOpen != nil {
		o.beforeOpen(name)
	}
	if o.stopped.Load() {
		o.lateOpens.Add(1)
	}
	if err := o.failOpen[name]; err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	o.open.Enter()
	o.opened.Add(1)
	o.unclosed.Store(name, true)
	var gate <-chan struct{}
	if o.gate != nil {
		gate = o.gate(name)
	}
	return &testFile{f: f, o: o, gate: gate, failRead: o.failRead[name]}, nil
}

// stillOpen lists the files opened and not closed.
func (o *opener) stillOpen() []string {
	var out []string
	o.unclosed.Range(func(k, _ any) bool { out = append(out, k.(string)); return true })
	return out
}

type testFile struct {
	f        *os.File
	o        *opener
	gate     <-chan struct{}
	failRead error
	reads    int
	closed   atomic.Bool
}

func (f *testFile) Read(p []byte) (int, error) {
	f.reads++
	if f.o.stopped.Load() {
		f.o.lateReads.Add(1)
	}
	if f.reads == 1 && f.gate != nil {
		var done <-chan struct{}
		if f.o.ctx != nil && !f.o.deaf[f.f.Name()] {
			done = f.o.ctx.Done()
		}
		select {
		case <-f.gate:
		case <-done:
			return 0, f.o.ctx.Err()
		}
	}
	if f.reads == 2 && f.failRead != nil {
		return 0, f.failRead
	}
	return f.f.Read(p)
}

func (f *testFile) Close() error {
	if f.closed.Swap(true) {
		return errors.New("file closed twice")
	}
	f.o.unclosed.Delete(f.f.Name())
	f.o.open.Exit()
	return f.f.Close()
}

// recorder is an emit function that records what it was given, safe to read from another goroutine.
type recorder struct {
	mu      sync.Mutex
	got     []Result
	inside  coursetest.HighWater // calls of emit at once
	stopped *atomic.Bool         // if set, emits while it is true are counted in late
	late    int
}

func (rec *recorder) emit(r Result) {
	rec.inside.Enter()
	defer rec.inside.Exit()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.got = append(rec.got, r)
	if rec.stopped != nil && rec.stopped.Load() {
		rec.late++
	}
}

func (rec *recorder) results() []Result {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.got)
}

// checkEmitNotConcurrent fails t if emit was ever called from two goroutines at once.
func (rec *recorder) checkEmitNotConcurrent(t testing.TB) {
	t.Helper()
	if m := rec.inside.Max(); m > 1 {
		t.Errorf("emit was called from %d goroutines at once: call it from one goroutine only (the emitter), never from the workers", m)
	}
}

// runAll runs Run to the end under a guard and returns what it emitted.
func runAll(t *testing.T, ctx context.Context, root string, o Options) (*recorder, Summary, error) {
	t.Helper()
	rec := &recorder{}
	var sum Summary
	var err error
	coursetest.Within(t, func() { sum, err = Run(ctx, root, o, rec.emit) },
		"Run(%s) never returned: does every goroutine finish once the walk is over (close the jobs channel, close the results channel after the workers)?", filepath.Base(root))
	rec.checkEmitNotConcurrent(t)
	return rec, sum, err
}

// running is a Run started on its own goroutine, for the tests in a synctest bubble.
type running struct {
	rec  *recorder
	done chan struct{}
	sum  Summary
	err  error
}

func start(ctx context.Context, root string, o Options, rec *recorder) *running {
	r := &running{rec: rec, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.sum, r.err = Run(ctx, root, o, rec.emit)
	}()
	return r
}

// walkWatch watches the walk of one test through the package's walkDir seam: how many entries the
// walker visits, how many after the test set stopped, and when walkDir returns, which it can hold
// back until the test closes hold.
type walkWatch struct {
	visits     atomic.Int64 // callbacks of filepath.WalkDir
	lateVisits atomic.Int64 // callbacks while stopped was set
	returned   atomic.Bool  // walkDir has returned
	stopped    *atomic.Bool
	hold       chan struct{} // if not nil, walkDir returns only once it is closed
}

// watchWalk replaces walkDir with a watched filepath.WalkDir for the rest of t.
func watchWalk(t *testing.T, stopped *atomic.Bool, hold chan struct{}) *walkWatch {
	t.Helper()
	w := &walkWatch{stopped: stopped, hold: hold}
	saved := walkDir
	t.Cleanup(func() { walkDir = saved })
	walkDir = func(root string, fn fs.WalkDirFunc) error {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			w.visits.Add(1)
			if w.stopped.Load() {
				w.lateVisits.Add(1)
			}
			return fn(path, d, err)
		})
		if w.hold != nil {
			<-w.hold
		}
		w.returned.Store(true)
		return err
	}
	return w
}

// requireWalkWatched fails t at once if Run did not walk through walkDir.
func (w *walkWatch) requireWalkWatched(t testing.TB) {
	t.Helper()
	if w.visits.Load() == 0 {
		t.Fatal("the walk did not go through walkDir: call walkDir(root, ...) in walk, not filepath.WalkDir " +
			"(walkDir is filepath.WalkDir; the tests replace it to watch the walk)")
	}
}
