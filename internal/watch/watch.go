// Package watch is the screen of `course watch`: it runs the current exercise's tests whenever one of
// its files is saved and shows, in 80 columns, where the student stands in the week, the first
// failing test with its message, and the keys that get a hint, move on, list the week or quit.
//
// The package draws with plain ANSI escapes and reads single keys; putting the terminal in raw mode
// is the caller's job (cmd/course uses golang.org/x/term). When the output is not a terminal, it
// prints each result once, as plain text that can be copied, and reads keys a line at a time.
package watch

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/gocourse/week11/internal/grader"
)

// Config is what Run needs.
type Config struct {
	Root     string
	Manifest *grader.Manifest
	// Grade runs the tests of exs (the grader's options are the caller's business).
	Grade func(ctx context.Context, exs []grader.Exercise) (*grader.Report, error)
	Start string // the exercise to start at; "" means the first one that does not pass

	In     io.Reader // keys
	Out    io.Writer // the screen
	TTY    bool      // Out is a terminal and In delivers single keys (raw mode): redraw in place
	Color  bool      // colour the screen (only on a terminal, never with NO_COLOR)
	Width  int       // columns; 0 means 80
	Height int       // rows, if known: a long list shows the part around the current exercise
	Manual bool      // re-run on Enter instead of on file changes

	Debounce time.Duration // how long a burst of file events is waited out; 0 means 150 ms

	// LastHint and SaveHint remember which hint of an exercise was shown last (across runs).
	LastHint func(id string) int
	SaveHint func(id string, n int)
}

// result is what a test run of one exercise produced.
type result struct {
	gen int
	id  string
	rep *grader.Report
	err error
}

type screen struct {
	cfg     Config
	exs     []grader.Exercise
	results map[string]grader.ExerciseResult
	race    bool
	cur     int // index into exs

	running    bool
	runStarted time.Time
	gen        int
	cancelRun  context.CancelFunc
	runs       sync.WaitGroup
	resultc    chan result
	starting   bool // the first run, over the whole week, has not finished
	pending    bool // a file was saved during the first run

	banner  string // one-off news: an exercise passed, a key did nothing
	hint    int    // the hint shown on screen for the current exercise, 0 for none
	list    bool   // the list of the week is shown instead of the exercise
	err     string // the last run's grader error
	lastRun time.Time
}

// Run shows the screen until the student presses q (or ctx ends).
func Run(ctx context.Context, cfg Config) error {
	if cfg.Width <= 0 {
		cfg.Width = 80
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = 150 * time.Millisecond
	}
	if cfg.LastHint == nil {
		cfg.LastHint = func(string) int { return 0 }
	}
	if cfg.SaveHint == nil {
		cfg.SaveHint = func(string, int) {}
	}
	s := &screen{cfg: cfg, exs: cfg.Manifest.Exercises, results: map[string]grader.ExerciseResult{}, resultc: make(chan result, 1), race: true}
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		s.runs.Wait() // no test process outlives the screen
	}()

	var watcher *fsnotify.Watcher
	var events <-chan fsnotify.Event
	var watchErrs <-chan error
	if !cfg.Manual {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			return fmt.Errorf("cannot watch files (%v): try course watch --manual, which re-runs on Enter", err)
		}
		defer w.Close()
		watcher, events, watchErrs = w, w.Events, w.Errors
	}
	watched := ""
	watch := func() {
		if watcher == nil {
			return
		}
		dir := filepath.Join(cfg.Root, filepath.FromSlash(s.exs[s.cur].ID))
		if dir == watched {
			return
		}
		if watched != "" {
			_ = watcher.Remove(watched)
		}
		if err := watcher.Add(dir); err != nil {
			s.banner = fmt.Sprintf("Cannot watch %s (%v): press r to re-run, or restart with --manual.", s.exs[s.cur].ID, err)
		}
		watched = dir
	}

	keys := make(chan byte)
	go readKeys(cfg.In, cfg.TTY, keys)

	if cfg.Start != "" {
		for i, e := range s.exs {
			if e.ID == cfg.Start {
				s.cur = i
			}
		}
	}
	s.starting = true
	watch()                // a save during the first run is not lost: it runs again after it
	s.startRun(ctx, s.exs) // the whole week once, to know where the student stands
	s.draw()

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var debounce *time.Timer
	var debounceC <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case k, ok := <-keys:
			if !ok {
				keys = nil // input closed: keep watching until ctx ends
				if !cfg.TTY && cfg.Manual {
					return nil
				}
				continue
			}
			if s.key(ctx, k) {
				s.quit()
				return nil
			}
			watch()
			s.draw()
		case ev := <-events:
			if relevant(ev) {
				if debounce == nil {
					debounce = time.NewTimer(cfg.Debounce)
				} else {
					debounce.Reset(cfg.Debounce)
				}
				debounceC = debounce.C
			}
		case err := <-watchErrs:
			s.banner = "File watching failed (" + err.Error() + "): press r to re-run, or restart with --manual."
			s.draw()
		case <-debounceC:
			debounceC = nil
			if s.starting {
				s.pending = true
				continue
			}
			s.banner = ""
			s.startRun(ctx, s.exs[s.cur:s.cur+1])
			s.draw()
		case r := <-s.resultc:
			if r.gen != s.gen {
				continue // a run that a newer one replaced
			}
			s.finish(ctx, r)
			watch()
			s.draw()
		case <-tick.C:
			if s.running && s.cfg.TTY {
				s.draw() // the elapsed time
			}
		}
	}
}

// relevant says whether a file event is a save of Go source: editors' swap, backup and temporary
// files (.x.go.swp, x.go~, #x.go#, .#x.go, x.go.tmp) and permission changes are not.
func relevant(ev fsnotify.Event) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	base := filepath.Base(ev.Name)
	return strings.HasSuffix(base, ".go") && !strings.HasPrefix(base, ".") && !strings.HasPrefix(base, "#")
}

// readKeys sends the keys read from in: every byte on a terminal in raw mode; otherwise the first
// byte of each line, and '\r' for an empty line.
func readKeys(in io.Reader, tty bool, keys chan<- byte) {
	defer close(keys)
	if in == nil {
		return
	}
	if tty {
		buf := make([]byte, 64)
		for {
			n, err := in.Read(buf)
			for _, b := range buf[:n] {
				keys <- b
			}
			if err != nil {
				return
			}
		}
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			keys <- '\r'
		} else {
			keys <- line[0]
		}
	}
}

// startRun runs the tests of exs in the background, replacing any run still going.
func (s *screen) startRun(ctx context.Context, exs []grader.Exercise) {
	if s.cancelRun != nil {
		s.cancelRun()
	}
	s.gen++
	gen := s.gen
	rctx, cancel := context.WithCancel(ctx)
	s.cancelRun = cancel
	s.running, s.runStarted = true, time.Now()
	id := ""
	if len(exs) == 1 {
		id = exs[0].ID
	}
	s.runs.Go(func() {
		defer cancel()
		rep, err := s.cfg.Grade(rctx, exs)
		if rctx.Err() != nil {
			return // replaced or quitting: nobody is waiting for this result
		}
		select {
		case s.resultc <- result{gen: gen, id: id, rep: rep, err: err}:
		case <-ctx.Done():
		}
	})
}

// finish takes in a run's result, and moves on when it made the current exercise pass.
func (s *screen) finish(ctx context.Context, r result) {
	s.running, s.lastRun = false, time.Now()
	if r.err != nil {
		s.err = r.err.Error()
		s.starting = false
		return
	}
	s.err = ""
	s.race = r.rep.Race
	cur := s.exs[s.cur].ID
	before := s.results[cur].Status
	for _, e := range r.rep.Exercises {
		s.results[e.ID] = e
	}
	if s.starting {
		s.starting = false
		if s.cfg.Start == "" {
			s.cur = s.firstUnfinished(0)
		}
		s.hint = 0
		if s.pending && s.exs[s.cur].ID == cur {
			s.startRun(ctx, s.exs[s.cur:s.cur+1]) // it was saved while the first run went on
		}
		s.pending = false
		return
	}
	now := s.results[cur]
	if r.id == cur && now.Status == grader.StatusPass && before != grader.StatusPass {
		s.advance(ctx, fmt.Sprintf("%s passes: %d/%d tests, %s/%s points.", cur, now.Passed, now.Total, grader.FormatPoints(now.Points), grader.FormatPoints(now.MaxPoints)))
	}
}

// advance moves to the next exercise that does not pass and runs its tests, so its screen is fresh.
func (s *screen) advance(ctx context.Context, news string) {
	next := s.firstUnfinished(s.cur + 1)
	if s.results[s.exs[next].ID].Status == grader.StatusPass {
		s.banner = news + " Every exercise of the week passes. Well done! (q quits)"
		return
	}
	s.cur, s.hint, s.list = next, 0, false
	s.banner = news + " Next: " + s.exs[next].ID + "."
	s.startRun(ctx, s.exs[next:next+1])
}

// firstUnfinished returns the first exercise from index from on (wrapping around) that does not
// pass, or from itself if every one passes.
func (s *screen) firstUnfinished(from int) int {
	for i := range s.exs {
		j := (from + i) % len(s.exs)
		if s.results[s.exs[j].ID].Status != grader.StatusPass {
			return j
		}
	}
	return from % len(s.exs)
}

// key handles one key press and reports whether to quit.
func (s *screen) key(ctx context.Context, k byte) bool {
	if s.list && k != 'q' && k != 3 {
		s.list = false // any key closes the list
		return false
	}
	e := s.exs[s.cur]
	switch k {
	case 'q', 'Q', 3, 4: // q, Ctrl-C, Ctrl-D
		return true
	case 'h', 'H':
		switch {
		case s.hint == 0: // the next hint not seen yet, in this run or an earlier one
			s.hint = min(s.cfg.LastHint(e.ID)+1, len(e.Hints))
		case s.hint < len(e.Hints):
			s.hint++
		default:
			s.hint = 1 // round again
		}
		if s.hint > s.cfg.LastHint(e.ID) {
			s.cfg.SaveHint(e.ID, s.hint)
		}
	case 'n', 'N':
		if s.results[e.ID].Status != grader.StatusPass {
			s.banner = "n moves on once " + e.ID + " passes. Stuck? h shows a hint."
			return false
		}
		s.advance(ctx, "")
	case 'l', 'L':
		s.list = true
	case 'r', 'R':
		if !s.starting {
			s.banner = ""
			s.startRun(ctx, s.exs[s.cur:s.cur+1])
		}
	case '\r', '\n':
		if s.cfg.Manual && !s.starting {
			s.banner = ""
			s.startRun(ctx, s.exs[s.cur:s.cur+1])
		}
	}
	return false
}

// quit leaves the screen with a line that says where the student stopped.
func (s *screen) quit() {
	if s.cfg.TTY {
		io.WriteString(s.cfg.Out, "\x1b[?25h\r\n")
	}
	done, _, _, _ := s.progress()
	nl := "\n"
	if s.cfg.TTY {
		nl = "\r\n"
	}
	msg := fmt.Sprintf("Stopped watching at %s; %d of %d exercises pass.", s.exs[s.cur].ID, done, len(s.exs))
	lines := append(wrap(msg, s.cfg.Width, ""), "To go on: make watch (or go run ./cmd/course watch).")
	io.WriteString(s.cfg.Out, strings.Join(lines, nl)+nl)
}

// progress sums up the week: exercises that pass, and points.
func (s *screen) progress() (done, total int, points, max float64) {
	for _, e := range s.exs {
		r := s.results[e.ID]
		if r.Status == grader.StatusPass {
			done++
		}
		points += r.Points
		max += e.Points
	}
	return done, len(s.exs), points, max
}

func (s *screen) draw() {
	lines := s.render()
	var b strings.Builder
	if s.cfg.TTY {
		b.WriteString("\x1b[H\x1b[2J") // home, clear
		b.WriteString(strings.Join(lines, "\r\n"))
		b.WriteString("\r\n")
	} else {
		if s.running && !s.starting {
			return // plain output: one screen per result, not per key press while running
		}
		b.WriteString(strings.Repeat("-", s.cfg.Width) + "\n")
		b.WriteString(strings.Join(lines, "\n"))
		b.WriteString("\n")
	}
	io.WriteString(s.cfg.Out, b.String())
}

// Env reports whether colours are allowed by the environment (https://no-color.org).
func Env() bool { return os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" }
