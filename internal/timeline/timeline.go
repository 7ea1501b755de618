// Package timeline turns a Go execution trace into a picture of what ran when: one lane per P (the
// runtime's processors, at most GOMAXPROCS of them), time across, a coloured bar for every stretch a
// goroutine ran on that P, and below the lanes how many goroutines were runnable (ready, waiting for
// a P) or blocked (on a channel, a lock, a sleep, a system call) at each moment.
//
// A student sees at a glance that a "parallel" sum ran one chunk at a time (one busy lane), or that a
// hundred goroutines queued behind one mutex (a tall blocked band and one thin bar at a time).
//
// The trace is read with golang.org/x/exp/trace, the public reader of the runtime's format. Only
// cmd/course uses this package; exercise code never does.
package timeline

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"golang.org/x/exp/trace"
)

// Bar is one stretch of time during which one goroutine ran on one P.
type Bar struct {
	Start, End int64 // nanoseconds since the trace's first event
	G          int64 // the goroutine's id
	Func       string
}

// Lane is one P and everything that ran on it.
type Lane struct {
	Proc int64
	Bars []Bar
}

// Busy is the time during which some goroutine ran on the lane.
func (l Lane) Busy() int64 {
	var sum int64
	for _, b := range l.Bars {
		sum += b.End - b.Start
	}
	return sum
}

// Parallelism is how many Ps were busy on average: the busy time of every lane over the trace's
// duration. Work spread over 4 Ps scores near 4; work done one piece at a time scores near 1,
// whichever P each piece happened to run on.
func (tl *Timeline) Parallelism() float64 {
	var busy int64
	for _, l := range tl.Lanes {
		busy += l.Busy()
	}
	return float64(busy) / float64(max(tl.Duration, 1))
}

// Count is how many of the program's goroutines were runnable and how many blocked from At until the
// next Count. The runtime's own goroutines are not counted.
type Count struct {
	At                int64
	Runnable, Blocked int
}

// Timeline is what a trace says ran when.
type Timeline struct {
	Duration int64 // nanoseconds from the first event to the last
	Lanes    []Lane
	Counts   []Count
}

type running struct {
	start int64
	proc  int64
}

// Read parses an execution trace, as written by `go test -trace` or runtime/trace.Start.
func Read(r io.Reader) (*Timeline, error) {
	rd, err := trace.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not an execution trace: %w", err)
	}
	var (
		first, last trace.Time
		seen        bool
		names       = map[trace.GoID]string{}
		named       = map[trace.GoID]bool{}          // the name is the goroutine's own function, not a wrapper's
		counted     = map[trace.GoID]trace.GoState{} // the state each goroutine is counted in
		runs        = map[trace.GoID]running{}
		lanes       = map[int64]*Lane{}
		tl          = &Timeline{}
		runnable    int
		blocked     int
	)
	at := func(t trace.Time) int64 { return int64(t - first) }
	lane := func(p int64) *Lane {
		l, ok := lanes[p]
		if !ok {
			l = &Lane{Proc: p}
			lanes[p] = l
		}
		return l
	}
	closeRun := func(g trace.GoID, t trace.Time) {
		r, ok := runs[g]
		if !ok {
			return
		}
		delete(runs, g)
		if end := at(t); end > r.start {
			l := lane(r.proc)
			l.Bars = append(l.Bars, Bar{Start: r.start, End: end, G: int64(g), Func: names[g]})
		}
	}
	count := func(s trace.GoState, d int) {
		switch s {
		case trace.GoRunnable:
			runnable += d
		case trace.GoWaiting, trace.GoSyscall:
			blocked += d
		}
	}
	for {
		ev, err := rd.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the trace: %w", err)
		}
		if !seen {
			first, seen = ev.Time(), true
		}
		last = ev.Time()
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			continue
		}
		g := st.Resource.Goroutine()
		from, to := st.Goroutine()
		if !named[g] {
			if name, own := funcOf(st.Stack); name != "" {
				names[g], named[g] = name, own
			}
		}
		if from == trace.GoRunning {
			closeRun(g, ev.Time())
		}
		if to == trace.GoRunning {
			runs[g] = running{start: at(ev.Time()), proc: int64(ev.Proc())}
		}
		// The runtime's own goroutines (the GC's workers, the scavenger...) are left out of the
		// counts: they are always there, and the picture is about the program's goroutines.
		count(counted[g], -1)
		delete(counted, g)
		if !strings.HasPrefix(names[g], "runtime") {
			count(to, +1)
			counted[g] = to
		}
		if to == trace.GoNotExist {
			delete(names, g)
			delete(named, g)
		}
		c := Count{At: at(ev.Time()), Runnable: max(runnable, 0), Blocked: max(blocked, 0)}
		if n := len(tl.Counts); n > 0 && tl.Counts[n-1].At == c.At {
			tl.Counts[n-1] = c
		} else {
			tl.Counts = append(tl.Counts, c)
		}
	}
	if !seen {
		return nil, errors.New("the trace has no events")
	}
	for g := range runs {
		closeRun(g, last)
	}
	tl.Duration = at(last)
	for _, l := range lanes {
		if l.Proc < 0 {
			continue // trace.NoProc: a goroutine seen running before its P was known
		}
		sort.Slice(l.Bars, func(i, j int) bool { return l.Bars[i].Start < l.Bars[j].Start })
		tl.Lanes = append(tl.Lanes, *l)
	}
	sort.Slice(tl.Lanes, func(i, j int) bool { return tl.Lanes[i].Proc < tl.Lanes[j].Proc })
	return tl, nil
}

// wrappers start goroutines on behalf of the code that asked for them; a goroutine is named after
// the function it runs inside them.
var wrappers = map[string]bool{
	"sync.(*WaitGroup).Go.func1":                   true,
	"golang.org/x/sync/errgroup.(*Group).Go.func1": true,
}

// machinery reports whether fn belongs to the runtime or the testing package, or is a wrapper.
func machinery(fn string) bool {
	return wrappers[fn] || strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "testing.")
}

// funcOf names the function a stack's goroutine runs: its outermost frame that is not machinery.
// own is false when every frame is machinery, so that a later, deeper stack can name it better.
func funcOf(s trace.Stack) (name string, own bool) {
	var frames []string
	for f := range s.Frames() {
		if f.Func != "runtime.goexit" {
			frames = append(frames, f.Func)
		}
	}
	for i := len(frames) - 1; i >= 0; i-- {
		if !machinery(frames[i]) {
			return frames[i], true
		}
	}
	if len(frames) > 0 {
		return frames[len(frames)-1], false
	}
	return "", false
}
