package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errBoom = errors.New("boom")

// recorder is the tests' own account of what ran when, in fake time since the recorder was made:
// every Run function the tests give the scheduler goes through it.
type recorder struct {
	mu     sync.Mutex
	t0     time.Time
	starts map[string][]time.Duration
	ends   map[string][]time.Duration
	hw     map[string]*coursetest.HighWater // per task: runs of it in progress at once
	all    coursetest.HighWater             // runs of any task in progress at once
}

func newRecorder() *recorder {
	return &recorder{t0: time.Now(), starts: map[string][]time.Duration{}, ends: map[string][]time.Duration{},
		hw: map[string]*coursetest.HighWater{}}
}

// now is the fake time since the recorder was made.
func (r *recorder) now() time.Duration { return time.Since(r.t0) }

// run wraps f as a Task's Run: it records each run's start and end, and passes f the run's number
// (1 for the first).
func (r *recorder) run(id string, f func(ctx context.Context, n int) error) func(context.Context) error {
	r.mu.Lock()
	if r.hw[id] == nil {
		r.hw[id] = &coursetest.HighWater{}
	}
	hw := r.hw[id]
	r.mu.Unlock()
	return func(ctx context.Context) error {
		r.mu.Lock()
		r.starts[id] = append(r.starts[id], r.now())
		n := len(r.starts[id])
		r.mu.Unlock()
		hw.Enter()
		r.all.Enter()
		err := f(ctx, n)
		r.all.Exit()
		hw.Exit()
		r.mu.Lock()
		r.ends[id] = append(r.ends[id], r.now())
		r.mu.Unlock()
		return err
	}
}

// takes is a Run body that takes d of fake time (or less, if ctx ends first), then returns err.
func takes(d time.Duration, err error) func(ctx context.Context, n int) error {
	return func(ctx context.Context, n int) error {
		if e := sleep(ctx, d); e != nil {
			return e
		}
		return err
	}
}

// sleep waits d, or until ctx ends (then it returns ctx's error).
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *recorder) startsOf(id string) []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.starts[id])
}

func (r *recorder) endsOf(id string) []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ends[id])
}

// add adds task, failing the test if Add refuses it.
func add(t *testing.T, s *Scheduler, task Task) {
	t.Helper()
	if err := s.Add(task); err != nil {
		t.Fatalf("Add(%q) = %v, want nil", task.ID, err)
	}
}

// wait waits for task id and returns its outcome.
func wait(s *Scheduler, id string) error { return s.Wait(context.Background(), id) }

// shutdown shuts s down with no deadline and fails the test if Shutdown reports an error.
func shutdown(t *testing.T, s *Scheduler) {
	t.Helper()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown(context.Background()) = %v, want nil", err)
	}
}

// sec is n seconds, for short tables of times.
func sec(n float64) time.Duration { return time.Duration(math.Round(n * float64(time.Second))) }

// times formats durations for a message, at most the first 12.
func times(ds []time.Duration) string {
	var parts []string
	for i, d := range ds {
		if i == 12 {
			parts = append(parts, fmt.Sprintf("... (%d in all)", len(ds)))
			break
		}
		parts = append(parts, d.String())
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// sameTimes fails the test with the first difference between the want and got start times of task id.
func sameTimes(t *testing.T, what string, want, got []time.Duration, cause string) bool {
	t.Helper()
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			t.Errorf("%s: run %d started at %v, want %v (first runs: want %s, got %s).\n%s",
				what, i+1, got[i], want[i], times(want), times(got), cause)
			return false
		}
	}
	if len(want) != len(got) {
		t.Errorf("%s: %d runs, want %d (want %s, got %s).\n%s", what, len(got), len(want), times(want), times(got), cause)
		return false
	}
	return true
}

// constRand is an Options.Rand that always returns r.
func constRand(r float64) func() float64 { return func() float64 { return r } }

// schedulerGoroutines counts the goroutines of the caller's synctest bubble that are running code of
// the scheduler itself: those with a frame in one of this package's non-test files (dispatch.go,
// scheduler.go, ...). Unlike runtime.NumGoroutine, it ignores goroutines that the runtime or the
// testing package start meanwhile, and those left behind by an earlier test that deadlocked. Call
// it from inside a bubble.
func schedulerGoroutines() int {
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Dir(self) + string(filepath.Separator)
	bubble, ok := bubbleOf(goroutineHeader(stackDump(false)))
	if !ok {
		panic("schedulerGoroutines called outside a synctest bubble")
	}
	n := 0
	for g := range strings.SplitSeq(strings.TrimSpace(stackDump(true)), "\n\n") {
		if b, ok := bubbleOf(goroutineHeader(g)); !ok || b != bubble {
			continue
		}
		for line := range strings.SplitSeq(g, "\n") {
			file, _, _ := strings.Cut(strings.TrimSpace(line), ":")
			if strings.HasPrefix(file, dir) && !strings.Contains(file[len(dir):], string(filepath.Separator)) &&
				!strings.HasSuffix(file, "_test.go") {
				n++
				break
			}
		}
	}
	return n
}

// othersIdle reports whether every other goroutine of the caller's synctest bubble comes to rest
// (durably blocked, as synctest.Wait waits for) in three snapshots in a row, within 40 snapshots (a
// correct scheduler rests by the 3rd or 4th). Unlike synctest.Wait, it returns even if a goroutine
// never rests (a busy loop), so that a test can say so instead of hanging. Call it from the
// bubble's goroutine.
func othersIdle() bool {
	self := goroutineHeader(stackDump(false))
	bubble, ok := bubbleOf(self)
	if !ok {
		panic("othersIdle called outside a synctest bubble")
	}
	streak := 0
	for range 40 {
		runtime.Gosched()
		idle := true
		for block := range strings.SplitSeq(strings.TrimSpace(stackDump(true)), "\n\n") {
			header := goroutineHeader(block)
			if b, ok := bubbleOf(header); !ok || b != bubble || header == self {
				continue
			}
			if !strings.Contains(header, "(durable)") {
				idle = false
				break
			}
		}
		if !idle {
			streak = 0
		} else if streak++; streak == 3 {
			return true
		}
	}
	return false
}

// stackDump is runtime.Stack's dump of the calling goroutine, or of every goroutine.
func stackDump(all bool) string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, all)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goroutineHeader is the first line of a goroutine's dump: "goroutine 7 [select (durable), synctest bubble 3]:".
func goroutineHeader(block string) string {
	header, _, _ := strings.Cut(strings.TrimSpace(block), "\n")
	return header
}

// bubbleOf returns the synctest bubble named in a goroutine's header, if any.
func bubbleOf(header string) (string, bool) {
	_, id, ok := strings.Cut(header, "synctest bubble ")
	id, _, _ = strings.Cut(id, "]")
	return id, ok
}
