package scheduler

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
)

func TestOneOffFiresAtExactTime(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "one-off tasks never ran: does loop start due runs, and sleep on a timer until the next one is due?", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 3})
		add(t, s, Task{ID: "ten", Delay: 10 * time.Second, Run: rec.run("ten", takes(0, nil))})
		add(t, s, Task{ID: "at3", At: rec.t0.Add(3 * time.Second), Run: rec.run("at3", takes(time.Second, nil))})
		add(t, s, Task{ID: "now", Run: rec.run("now", takes(0, nil))})
		synctest.Wait() // the dispatcher sleeps now, until 3s
		// A task due before the one the dispatcher sleeps for must wake it.
		add(t, s, Task{ID: "one", Delay: time.Second, Run: rec.run("one", takes(0, nil))})
		for _, id := range []string{"ten", "at3", "now", "one"} {
			if err := wait(s, id); err != nil {
				t.Errorf("Wait(%q) = %v, want nil: the task succeeded", id, err)
			}
		}
		shutdown(t, s)
		const cause = "A one-off task runs once, exactly when it is due: At, or Delay after Add (fake time makes this exact)."
		sameTimes(t, "Delay 10s", []time.Duration{sec(10)}, rec.startsOf("ten"), cause)
		sameTimes(t, "At 3s", []time.Duration{sec(3)}, rec.startsOf("at3"), cause)
		sameTimes(t, "no Delay", []time.Duration{0}, rec.startsOf("now"), cause)
		sameTimes(t, "Delay 1s, added while the dispatcher slept until 3s", []time.Duration{sec(1)}, rec.startsOf("one"),
			cause+" Add signals the dispatcher: sleep in a select on s.wake and a timer, never in time.Sleep.")
	})
}

func TestDispatcherSleepsWhileEverySlotIsBusy(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "tasks never ran, or fake time stood still because a goroutine never stopped: with every "+
		"slot busy, the dispatcher must sleep until a signal", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 1})
		gate := make(chan struct{})
		add(t, s, Task{ID: "blocker", Run: rec.run("blocker", func(ctx context.Context, n int) error { <-gate; return nil })})
		add(t, s, Task{ID: "due", Run: rec.run("due", takes(0, nil))})
		// blocker holds the only slot until the gate opens; due is due already, and must wait for the slot.
		if !othersIdle() {
			t.Errorf("the only slot was busy and a second task was already due: the scheduler's goroutines never all came " +
				"to rest, so the dispatcher spins. A timer Reset for a run that is already due fires at once, again and " +
				"again: with no free slot, wait for s.wake alone (execute signals when its run ends).")
		}
		close(gate)
		for _, id := range []string{"blocker", "due"} {
			if err := wait(s, id); err != nil {
				t.Errorf("Wait(%q) = %v, want nil", id, err)
			}
		}
		shutdown(t, s)
		sameTimes(t, "due (waits for blocker's slot)", []time.Duration{0}, rec.startsOf("due"),
			"A due run starts as soon as a slot frees.")
	})
}

func TestHigherPriorityFirstWhenASlotFrees(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "tasks never ran: when a run ends, the dispatcher must hear of the free slot (signal) and start "+
		"the next due run (or, if goroutines were still busy, the dispatcher spins while no slot is free: see "+
		"TestDispatcherSleepsWhileEverySlotIsBusy)", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 1})
		add(t, s, Task{ID: "blocker", Run: rec.run("blocker", takes(5*time.Second, nil))})
		prios := []struct {
			id string
			p  int
		}{{"p1", 1}, {"p5", 5}, {"min", math.MinInt}, {"p3", 3}, {"max", math.MaxInt}, {"p5-later", 5}, {"zero", 0}}
		for _, p := range prios {
			add(t, s, Task{ID: p.id, Delay: time.Second, Priority: p.p, Run: rec.run(p.id, takes(time.Second, nil))})
		}
		want := []string{"max", "p5", "p5-later", "p3", "p1", "zero", "min"}
		for _, id := range want {
			if err := wait(s, id); err != nil {
				t.Errorf("Wait(%q) = %v, want nil", id, err)
			}
		}
		shutdown(t, s)
		for i, id := range want {
			if got := rec.startsOf(id); len(got) != 1 || got[0] != sec(5+float64(i)) {
				t.Fatalf("with one slot, seven tasks due at 1s wait for a task that runs until 5s; then they must run one "+
					"by one, highest Priority first (equal priorities in the order added): %v, each taking 1s.\n"+
					"%q started at %s, want [%v]. Start due runs in the queue's order (earliest, then highest Priority), "+
					"one whenever a slot frees.", want, id, times(got), sec(5+float64(i)))
			}
		}
	})
}

func TestNeverMoreThanMaxConcurrent(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "tasks never finished with MaxConcurrent 3", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 3})
		var ids []string
		for i := range 24 {
			id := "t" + string(rune('a'+i))
			ids = append(ids, id)
			// Bursts due together, of tasks of different lengths, so slots free at many moments.
			add(t, s, Task{ID: id, Delay: time.Duration(i/6) * time.Second, Priority: i % 3,
				Run: rec.run(id, takes(time.Duration(1+i%4)*700*time.Millisecond, nil))})
		}
		for _, id := range ids {
			if err := wait(s, id); err != nil {
				t.Errorf("Wait(%q) = %v, want nil", id, err)
			}
		}
		shutdown(t, s)
		if m := rec.all.Max(); m > 3 {
			t.Fatalf("with MaxConcurrent 3, %d runs were in progress at once: start a run only while fewer than "+
				"MaxConcurrent are running, and count a run as running until it returns", m)
		}
	})
}

func TestReachesMaxConcurrent(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "tasks waiting on a gate never all finished", func(t *testing.T) {
		s := New(Options{MaxConcurrent: 3})
		var started atomic.Int32
		gate := make(chan struct{})
		for _, id := range []string{"a", "b", "c", "d", "e"} {
			add(t, s, Task{ID: id, Run: func(ctx context.Context) error {
				started.Add(1)
				<-gate
				return nil
			}})
		}
		synctest.Wait() // everything that can start has started and blocks on the gate
		if n := started.Load(); n != 3 {
			t.Errorf("five tasks due at once, MaxConcurrent 3, each blocking until released: %d started, want exactly 3. "+
				"Start due runs while fewer than MaxConcurrent are in progress, each on its own goroutine "+
				"(running them on the dispatcher's goroutine runs one at a time).", n)
		}
		close(gate)
		for _, id := range []string{"a", "b", "c", "d", "e"} {
			if err := wait(s, id); err != nil {
				t.Errorf("Wait(%q) = %v, want nil", id, err)
			}
		}
		shutdown(t, s)
	})
}

func TestDependentStartsWhenParentSucceeds(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "dependent tasks never ran: when a task succeeds, finish must queue the first run of each dependent "+
		"whose last dependency it was", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 4})
		add(t, s, Task{ID: "parent", Run: rec.run("parent", takes(5*time.Second, nil))})
		add(t, s, Task{ID: "child", DependsOn: []string{"parent"}, Run: rec.run("child", takes(time.Second, nil))})
		add(t, s, Task{ID: "late-child", Delay: 8 * time.Second, DependsOn: []string{"parent"}, Run: rec.run("late-child", takes(0, nil))})
		// grandchild depends on child and on other, which is added after it.
		add(t, s, Task{ID: "grandchild", DependsOn: []string{"child", "other"}, Run: rec.run("grandchild", takes(0, nil))})
		add(t, s, Task{ID: "other", Delay: 2 * time.Second, Run: rec.run("other", takes(time.Second, nil))})
		for _, id := range []string{"parent", "child", "late-child", "grandchild", "other"} {
			if err := wait(s, id); err != nil {
				t.Errorf("Wait(%q) = %v, want nil: every task succeeded", id, err)
			}
		}
		shutdown(t, s)
		cases := []struct {
			id, why string
			want    time.Duration
		}{
			{"child", "depends on parent (0s-5s): it must start when parent has returned, at 5s", sec(5)},
			{"late-child", "depends on parent and has Delay 8s: it starts at the later of the two, 8s", sec(8)},
			{"grandchild", "depends on child (5s-6s) and other (2s-3s, added after grandchild): it starts at 6s", sec(6)},
			{"other", "has no dependencies and Delay 2s", sec(2)},
		}
		for _, c := range cases {
			if got := rec.startsOf(c.id); len(got) != 1 || got[0] != c.want {
				t.Errorf("%q %s; it started at %s. A dependent is released when its parent has finished and succeeded "+
					"(in finish), not when the parent starts.", c.id, c.why, times(got))
			}
		}
	})
}

func TestFailedDependencyFailsDependents(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "Wait on a dependent of a failed task never returned: finish must fail every dependent, and theirs", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 2})
		add(t, s, Task{ID: "parent", Retry: Retry{Retries: 1, Backoff: time.Second}, Run: rec.run("parent", takes(time.Second, errBoom))})
		add(t, s, Task{ID: "child", DependsOn: []string{"parent"}, Run: rec.run("child", takes(0, nil))})
		add(t, s, Task{ID: "grandchild", DependsOn: []string{"child"}, Run: rec.run("grandchild", takes(0, nil))})
		add(t, s, Task{ID: "bystander", Delay: 10 * time.Second, Run: rec.run("bystander", takes(0, nil))})
		if err := wait(s, "parent"); !errors.Is(err, errBoom) {
			t.Errorf("Wait(parent) = %v, want its Run's error (boom) after its one retry", err)
		}
		for _, id := range []string{"child", "grandchild"} {
			err := wait(s, id)
			if !errors.Is(err, ErrDependency) || !errors.Is(err, errBoom) {
				t.Errorf("Wait(%q) = %v: a task whose dependency failed must fail with an error that wraps ErrDependency and "+
					"the dependency's error (use dependencyError)", id, err)
			}
		}
		if err := wait(s, "child"); err == nil || !strings.Contains(err.Error(), `"parent"`) {
			t.Errorf("Wait(child) = %v: the reason must name the dependency that failed, \"parent\"", err)
		}
		// A task added after its dependency failed fails at once.
		add(t, s, Task{ID: "too-late", DependsOn: []string{"child"}, Run: rec.run("too-late", takes(0, nil))})
		if err := wait(s, "too-late"); !errors.Is(err, ErrDependency) {
			t.Errorf("Wait(too-late), added after its dependency failed, = %v, want an error wrapping ErrDependency", err)
		}
		if err := wait(s, "bystander"); err != nil {
			t.Errorf("Wait(bystander) = %v: a task that depends on nothing is not affected", err)
		}
		shutdown(t, s)
		for _, id := range []string{"child", "grandchild", "too-late"} {
			if got := rec.startsOf(id); len(got) > 0 {
				t.Errorf("%q ran at %s although its dependency failed: a dependent of a failed task never runs", id, times(got))
			}
		}
		if got := rec.startsOf("parent"); len(got) != 2 {
			t.Errorf("parent (Retries 1) ran %d times, want 2", len(got))
		}
	})
}

func TestCycleRejected(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "tasks never ran after a rejected cycle", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 2})
		add(t, s, Task{ID: "a", DependsOn: []string{"b"}, Run: rec.run("a", takes(0, nil))})
		for _, bad := range []Task{
			{ID: "b", DependsOn: []string{"a"}},
			{ID: "b", DependsOn: []string{"c", "b"}},
			{ID: "self", DependsOn: []string{"self"}},
		} {
			bad.Run = rec.run(bad.ID, takes(0, nil))
			if err := s.Add(bad); !errors.Is(err, ErrCycle) {
				t.Errorf("Add(%q depending on %v) = %v, want an error wrapping ErrCycle", bad.ID, bad.DependsOn, err)
			}
		}
		// The rejected b was not added: a b without the cycle is accepted, and a runs after it.
		add(t, s, Task{ID: "b", Delay: time.Second, Run: rec.run("b", takes(time.Second, nil))})
		for _, id := range []string{"a", "b"} {
			if err := wait(s, id); err != nil {
				t.Errorf("Wait(%q) = %v, want nil", id, err)
			}
		}
		shutdown(t, s)
		if got := rec.startsOf("a"); len(got) != 1 || got[0] != sec(2) {
			t.Errorf("a depends on b (1s-2s) and must start at 2s; it started at %s", times(got))
		}
	})
}

func TestWaitOnUnknownTask(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "a task never ran once its dependency was added", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{})
		add(t, s, Task{ID: "child", DependsOn: []string{"ghost"}, Run: rec.run("child", takes(0, nil))})
		for _, id := range []string{"nobody", "ghost"} {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := s.Wait(ctx, id)
			cancel()
			if !errors.Is(err, ErrUnknownTask) {
				t.Errorf("Wait(%q) = %v, want ErrUnknownTask at once: %q was never added (\"ghost\" is only named in child's "+
					"DependsOn)", id, err, id)
			}
		}
		// Once added, ghost is a task like any other.
		add(t, s, Task{ID: "ghost", Run: rec.run("ghost", takes(time.Second, nil))})
		for _, id := range []string{"ghost", "child"} {
			if err := wait(s, id); err != nil {
				t.Errorf("Wait(%q) = %v, want nil", id, err)
			}
		}
		shutdown(t, s)
		sameTimes(t, "child (depends on ghost, added after it, which runs from 0s to 1s)", []time.Duration{sec(1)}, rec.startsOf("child"),
			"A dependent starts when its dependency, added after it, has succeeded.")
	})
}

func TestRetryBackoffDoublesWithJitter(t *testing.T) {
	cases := []struct {
		name  string
		retry Retry
		rand  float64
		fails int       // how many runs fail before one succeeds
		want  []float64 // start of every run, in seconds
	}{
		{"doubling", Retry{Retries: 5, Backoff: time.Second}, 0.5, 4, []float64{0, 1, 3, 7, 15}},
		{"capped at MaxBackoff", Retry{Retries: 5, Backoff: time.Second, MaxBackoff: 3 * time.Second}, 0.5, 5, []float64{0, 1, 3, 6, 9, 12}},
		{"jitter at its low end", Retry{Retries: 3, Backoff: time.Second, Jitter: 400 * time.Millisecond}, 0, 3, []float64{0, 0.6, 2.2, 5.8}},
		{"jitter near its high end", Retry{Retries: 3, Backoff: time.Second, Jitter: 400 * time.Millisecond}, 0.75, 3, []float64{0, 1.2, 3.4, 7.6}},
		{"jitter larger than the wait", Retry{Retries: 2, Backoff: time.Second, Jitter: 3 * time.Second}, 0, 2, []float64{0, 0, 0}},
		{"retries used up", Retry{Retries: 2, Backoff: time.Second}, 0.5, 99, []float64{0, 1, 3}},
		{"many retries", Retry{Retries: 70, Backoff: time.Millisecond, MaxBackoff: time.Second}, 0.5, 70,
			append([]float64{0, 0.001, 0.003, 0.007, 0.015, 0.031, 0.063, 0.127, 0.255, 0.511, 1.023}, manySeconds(2.023, 60)...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			coursetest.BubbleWatchingLocks(t, "a retried task never finished: after a failed run with retries left, queue the next "+
				"attempt after its backoff", func(t *testing.T) {
				rec := newRecorder()
				s := New(Options{MaxConcurrent: 1, Rand: constRand(c.rand)})
				add(t, s, Task{ID: "flaky", Retry: c.retry, Run: rec.run("flaky", func(ctx context.Context, n int) error {
					if n <= c.fails {
						return errBoom
					}
					return nil
				})})
				err := wait(s, "flaky")
				shutdown(t, s)
				var want []time.Duration
				for _, w := range c.want {
					want = append(want, sec(w))
				}
				sameTimes(t, "flaky", want, rec.startsOf("flaky"),
					"Retry n waits Backoff*2^(n-1) (1s, 2s, 4s, ...), capped at MaxBackoff, plus (2r-1)*Jitter with r from "+
						"Options.Rand, never below zero; a task runs at most 1+Retries times.")
				if c.fails > c.retry.Retries {
					if !errors.Is(err, errBoom) {
						t.Errorf("Wait = %v, want the last run's error (boom) once the retries are used up", err)
					}
				} else if err != nil {
					t.Errorf("Wait = %v, want nil: the last retry succeeded", err)
				}
			})
		})
	}
}

func TestBackoffCapsWithoutOverflow(t *testing.T) {
	const big = time.Duration(1 << 62) // about 146 years: doubling it once overflows a Duration
	cases := []struct {
		p    Retry
		n    int
		r    float64
		want time.Duration
	}{
		{Retry{Backoff: time.Second}, 1, 0.5, time.Second},
		{Retry{Backoff: time.Second}, 4, 0.5, 8 * time.Second},
		{Retry{Backoff: time.Second, MaxBackoff: time.Minute}, 7, 0.5, time.Minute},
		{Retry{Backoff: time.Second, MaxBackoff: time.Minute}, 100, 0.5, time.Minute},
		{Retry{Backoff: time.Millisecond, MaxBackoff: time.Hour, Jitter: time.Second}, 70, 0.75, time.Hour + 500*time.Millisecond},
		{Retry{Backoff: big, MaxBackoff: big}, 2, 0.5, big},
		{Retry{Backoff: big, MaxBackoff: big}, 64, 0.5, big},
		{Retry{Backoff: time.Second, Jitter: 2 * time.Second}, 1, 0, 0},
		{Retry{Backoff: time.Second}, 100, 0.5, math.MaxInt64},
		{Retry{Backoff: time.Second, Jitter: time.Second}, 100, 0.75, math.MaxInt64 - 500*time.Millisecond},
		{Retry{Backoff: big - 1}, 2, 0.5, (big - 1) * 2},
		{Retry{Backoff: time.Second, MaxBackoff: 3 * time.Second, Jitter: 400 * time.Millisecond}, 3, 0.75, 3200 * time.Millisecond},
	}
	for _, c := range cases {
		if got := c.p.backoff(c.n, c.r); got != c.want {
			t.Errorf("Retry{Backoff: %v, MaxBackoff: %v, Jitter: %v}.backoff(%d, r=%v) = %v, want %v: double Backoff n-1 "+
				"times but stop once it reaches the limit, MaxBackoff or else the largest Duration less Jitter (a Duration "+
				"overflows after 63 doublings, or one doubling of 146 years: never shift by n-1), add (2r-1)*Jitter, "+
				"and never return less than 0",
				c.p.Backoff, c.p.MaxBackoff, c.p.Jitter, c.n, c.r, got, c.want)
		}
	}
	t.Run("Backoff above MaxBackoff", func(t *testing.T) {
		p := Retry{Backoff: 5 * time.Second, MaxBackoff: 3 * time.Second}
		for _, n := range []int{1, 2, 3} {
			if got := p.backoff(n, 0.5); got != 3*time.Second {
				t.Errorf("Retry{Backoff: 5s, MaxBackoff: 3s}.backoff(%d, r=0.5) = %v, want 3s: MaxBackoff caps every wait, "+
					"the first retry's too (start from min(Backoff, limit), not from Backoff)", n, got)
			}
		}
	})
}

func TestRetryWaitsWithoutHoldingASlot(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "tasks never finished", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 1})
		add(t, s, Task{ID: "flaky", Retry: Retry{Retries: 1, Backoff: 10 * time.Second},
			Run: rec.run("flaky", func(ctx context.Context, n int) error {
				if n == 1 {
					return errBoom
				}
				return nil
			})})
		add(t, s, Task{ID: "other", Delay: time.Second, Run: rec.run("other", takes(time.Second, nil))})
		for _, id := range []string{"flaky", "other"} {
			if err := wait(s, id); err != nil {
				t.Errorf("Wait(%q) = %v, want nil", id, err)
			}
		}
		shutdown(t, s)
		if got := rec.startsOf("other"); len(got) != 1 || got[0] != sec(1) {
			t.Errorf("with one slot, flaky failed at 0s and retries at 10s; other, due at 1s, must run at 1s, but started at %s: "+
				"a retry waits for its backoff in the queue, not by sleeping in the slot", times(got))
		}
		sameTimes(t, "flaky", []time.Duration{0, sec(10)}, rec.startsOf("flaky"), "The retry comes Backoff (10s) after the failure.")
	})
}

func TestTimeoutCancelsEachRun(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "a task with a Timeout never finished: each run's ctx must be cancelled Timeout after it started", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 1})
		var ctxErrs []error
		add(t, s, Task{ID: "stuck", Timeout: 3 * time.Second, Retry: Retry{Retries: 1, Backoff: time.Second},
			Run: rec.run("stuck", func(ctx context.Context, n int) error {
				<-ctx.Done()
				ctxErrs = append(ctxErrs, ctx.Err())
				return ctx.Err()
			})})
		err := wait(s, "stuck")
		shutdown(t, s)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait = %v, want the run's error, context.DeadlineExceeded", err)
		}
		sameTimes(t, "stuck (Timeout 3s, 1 retry after 1s)", []time.Duration{0, sec(4)}, rec.startsOf("stuck"), "")
		if !sameTimes(t, "stuck's ends", []time.Duration{sec(3), sec(7)}, rec.endsOf("stuck"),
			"Each run's ctx is cancelled Timeout after that run started: context.WithTimeout per run, a fresh one for each retry.") {
			return
		}
		for i, e := range ctxErrs {
			if !errors.Is(e, context.DeadlineExceeded) {
				t.Errorf("run %d's ctx ended with %v, want context.DeadlineExceeded (a timeout, not a cancel)", i+1, e)
			}
		}
	})
}

// periodic runs one periodic task until it has started n times, then shuts the scheduler down, and
// returns the task's start times. Run n=slow (if > 0) takes slowFor instead of d.
func periodic(t *testing.T, opts Options, task Task, n int, d time.Duration, slow int, slowFor time.Duration) *recorder {
	t.Helper()
	rec := newRecorder()
	s := New(opts)
	enough := make(chan struct{})
	task.Run = rec.run(task.ID, func(ctx context.Context, k int) error {
		if k == n {
			close(enough)
		}
		if k == slow {
			return sleep(ctx, slowFor)
		}
		return sleep(ctx, d)
	})
	add(t, s, task)
	<-enough
	shutdown(t, s)
	if m := rec.hw[task.ID].Max(); m > 1 {
		t.Errorf("%d runs of periodic task %q were in progress at once: a periodic task never runs twice at once", m, task.ID)
	}
	return rec
}

func TestFixedRateDoesNotDrift(t *testing.T) {
	const cause = "A FixedRate task's k-th run is due at first + k*Every: compute the next run from the previous run's " +
		"slot on the grid, never from the time it actually started or ended (that drifts), and add the jitter on top."
	t.Run("runs of 300ms every second", func(t *testing.T) {
		coursetest.BubbleWatchingLocks(t, "a periodic task stopped running", func(t *testing.T) {
			rec := periodic(t, Options{}, Task{ID: "tick", Every: time.Second}, 100, 300*time.Millisecond, 0, 0)
			var want []time.Duration
			for k := range 100 {
				want = append(want, time.Duration(k)*time.Second)
			}
			sameTimes(t, "tick", want, rec.startsOf("tick"), cause)
		})
	})
	t.Run("with jitter", func(t *testing.T) {
		coursetest.BubbleWatchingLocks(t, "a periodic task stopped running", func(t *testing.T) {
			rec := periodic(t, Options{Rand: constRand(0.5)},
				Task{ID: "tick", Delay: time.Second, Every: time.Second, Jitter: 400 * time.Millisecond}, 100, 300*time.Millisecond, 0, 0)
			var want []time.Duration
			for k := range 100 {
				want = append(want, time.Duration(k+1)*time.Second+200*time.Millisecond)
			}
			sameTimes(t, "tick (Delay 1s, Every 1s, Jitter 400ms, r = 0.5)", want, rec.startsOf("tick"), cause)
		})
	})
	t.Run("fresh jitter each run", func(t *testing.T) {
		coursetest.BubbleWatchingLocks(t, "a periodic task stopped running", func(t *testing.T) {
			rs := []float64{0, 0.5, 0.25, 0.75} // Options.Rand returns these in turn, again and again
			i := 0
			cycle := func() float64 { r := rs[i%len(rs)]; i++; return r }
			rec := periodic(t, Options{Rand: cycle}, Task{ID: "tick", Every: time.Second, Jitter: 400 * time.Millisecond}, 8, 100*time.Millisecond, 0, 0)
			var want []time.Duration
			for k := range 8 {
				want = append(want, time.Duration(k)*time.Second+time.Duration(rs[k%len(rs)]*float64(400*time.Millisecond)))
			}
			sameTimes(t, "tick (Every 1s, Jitter 400ms, Rand returning 0, 0.5, 0.25, 0.75, 0, ...)", want, rec.startsOf("tick"),
				"Run k is due at its slot on the grid, first + k*Every, plus a jitter of its own: r*Jitter with a fresh r "+
					"(s.jitter(t)) for every run. Computing the next run from the previous run's due time (at + Every) "+
					"keeps the first run's jitter for ever.")
		})
	})
	t.Run("late start, slot busy", func(t *testing.T) {
		coursetest.BubbleWatchingLocks(t, "a periodic task stopped running", func(t *testing.T) {
			// One slot, taken by a 2.5s task when the periodic one is first due (at 0.5s): its first run starts
			// late, at 2.5s; the later ones are back on the grid (3.5s, 4.5s, ...).
			rec := newRecorder()
			s := New(Options{MaxConcurrent: 1})
			add(t, s, Task{ID: "hog", Run: rec.run("hog", takes(2500*time.Millisecond, nil))})
			enough := make(chan struct{})
			add(t, s, Task{ID: "tick", Delay: 2 * time.Second, Every: time.Second, Run: rec.run("tick", func(ctx context.Context, k int) error {
				if k == 100 {
					close(enough)
				}
				return sleep(ctx, 300*time.Millisecond)
			})})
			<-enough
			shutdown(t, s)
			want := []time.Duration{sec(2.5)}
			for k := 1; k < 100; k++ {
				want = append(want, time.Duration(k+2)*time.Second)
			}
			sameTimes(t, "tick (first due at 2s while the only slot is busy until 2.5s)", want, rec.startsOf("tick"), cause)
		})
	})
}

func TestFixedRateOverlapSkip(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "a periodic task stopped running after a slow run", func(t *testing.T) {
		// Run 4 (due at 3s) takes 2.5s: the runs due at 4s and 5s come while it still runs and are skipped.
		rec := periodic(t, Options{MaxConcurrent: 4}, Task{ID: "tick", Every: time.Second, Overlap: Skip}, 30, 300*time.Millisecond, 4, 2500*time.Millisecond)
		want := []time.Duration{0, sec(1), sec(2), sec(3)}
		for k := 6; len(want) < 30; k++ {
			want = append(want, time.Duration(k)*time.Second)
		}
		sameTimes(t, "tick (Every 1s, Skip; the run at 3s takes 2.5s)", want, rec.startsOf("tick"),
			"With Skip, a run that comes due while the previous one still runs is dropped; the next run is the next one on the grid. "+
				"Never start a second run of a periodic task while one is in progress.")
	})
}

func TestFixedRateOverlapQueue(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "a periodic task stopped running after a slow run", func(t *testing.T) {
		// Run 4 (due at 3s) takes 2.5s: the run due at 4s waits and starts at 5.5s; the one due at 5s is dropped
		// (one waits at most); then the grid goes on: 6s, 7s, ...
		rec := periodic(t, Options{MaxConcurrent: 4}, Task{ID: "tick", Every: time.Second, Overlap: Queue}, 30, 300*time.Millisecond, 4, 2500*time.Millisecond)
		want := []time.Duration{0, sec(1), sec(2), sec(3), sec(5.5)}
		for k := 6; len(want) < 30; k++ {
			want = append(want, time.Duration(k)*time.Second)
		}
		sameTimes(t, "tick (Every 1s, Queue; the run at 3s takes 2.5s)", want, rec.startsOf("tick"),
			"With Queue, the run that comes due while the previous one still runs starts as soon as that one ends; at most one "+
				"waits, and the runs after it stay on the grid.")
	})
}

func TestFixedDelayWaitsAfterEachRun(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "a FixedDelay task stopped running: queue its next run Every after each run ends", func(t *testing.T) {
		rec := periodic(t, Options{Rand: constRand(0.5)},
			Task{ID: "poll", Every: time.Second, Mode: FixedDelay, Jitter: 400 * time.Millisecond}, 20, 300*time.Millisecond, 3, 2*time.Second)
		// Run k starts 0.2s (jitter) + 1s after run k-1 ended; run 3 takes 2s instead of 0.3s.
		var want []time.Duration
		at := sec(0.2)
		for k := 1; k <= 20; k++ {
			want = append(want, at)
			d := sec(0.3)
			if k == 3 {
				d = sec(2)
			}
			at += d + sec(1.2)
		}
		sameTimes(t, "poll (FixedDelay, Every 1s, Jitter 400ms, r = 0.5; run 3 takes 2s)", want, rec.startsOf("poll"),
			"A FixedDelay task's next run is due Every (plus jitter) after its previous run ended.")
	})
}

func TestPeriodicKeepsRunningAfterAFailedRun(t *testing.T) {
	cases := []struct {
		name  string
		task  Task
		first time.Duration // how long the first run takes (the others take no time)
		want  []time.Duration
	}{
		{"fixed rate", Task{Every: time.Second}, 0, []time.Duration{0, sec(1), sec(2), sec(3), sec(4)}},
		{"fixed delay", Task{Every: time.Second, Mode: FixedDelay}, 0, []time.Duration{0, sec(1), sec(2), sec(3), sec(4)}},
		// The first run ends at 1.5s: the run due at 1s waits for it (Queue) and starts then.
		{"fixed rate, queue", Task{Every: time.Second, Overlap: Queue}, sec(1.5), []time.Duration{0, sec(1.5), sec(2), sec(3), sec(4)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			coursetest.BubbleWatchingLocks(t, "a periodic task whose runs all fail stopped running: a failed run is followed by "+
				"the next one, as a successful run is", func(t *testing.T) {
				rec := newRecorder()
				s := New(Options{MaxConcurrent: 2})
				enough := make(chan struct{})
				task := c.task
				task.ID = "tick"
				task.Run = rec.run("tick", func(ctx context.Context, k int) error {
					if k == 1 {
						_ = sleep(ctx, c.first)
					}
					if k == len(c.want) {
						close(enough)
					}
					return errBoom
				})
				add(t, s, task)
				<-enough
				shutdown(t, s)
				sameTimes(t, "tick ("+c.name+", every run fails)", c.want, rec.startsOf("tick"),
					"A periodic task runs until Shutdown, whether its runs fail or succeed: its error only matters to a one-off task.")
			})
		})
	}
}

func TestShutdownWaitsForRunningTasks(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "Shutdown, or a Wait after it, never returned although every task ends by itself: Shutdown must "+
		"stop the dispatcher, wait for the runs in progress (a sync.WaitGroup), then settle every unfinished task with ErrShutdown", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 3})
		var cancelled atomic.Int32
		for _, task := range []struct {
			id string
			d  time.Duration
		}{{"five", 5 * time.Second}, {"three", 3 * time.Second}} {
			add(t, s, Task{ID: task.id, Run: rec.run(task.id, func(ctx context.Context, n int) error {
				if sleep(ctx, task.d) != nil {
					cancelled.Add(1)
				}
				return nil
			})})
		}
		add(t, s, Task{ID: "later", Delay: 2 * time.Second, Run: rec.run("later", takes(0, nil))})
		add(t, s, Task{ID: "tick", Delay: 500 * time.Millisecond, Every: time.Second, Run: rec.run("tick", takes(0, nil))})
		time.Sleep(time.Second) // in fake time: tick ran at 0.5s
		// Two more Shutdowns at the same time: every call waits the same way.
		others := make(chan time.Duration, 2)
		for range 2 {
			go func() {
				shutdown(t, s)
				others <- rec.now()
			}()
		}
		shutdown(t, s)
		for range 2 {
			if got := <-others; got != sec(5) {
				t.Errorf("a second Shutdown, called at the same time as the first, returned at %v, want 5s: every call "+
					"waits until no run is in progress", got)
			}
		}
		if got := rec.now(); got != sec(5) {
			t.Errorf("Shutdown, called at 1s while runs go on until 3s and 5s, returned at %v, want 5s: it must wait "+
				"until every run in progress has returned", got)
		}
		if n := cancelled.Load(); n > 0 {
			t.Errorf("%d runs had their ctx cancelled although Shutdown's ctx never ended: cancel only when it ends", n)
		}
		if got := rec.startsOf("later"); len(got) > 0 {
			t.Errorf("a task due at 2s started at %s, after Shutdown was called at 1s: Shutdown starts no more runs", times(got))
		}
		if got := rec.startsOf("tick"); len(got) != 1 {
			t.Errorf("a periodic task due at 0.5s, 1.5s, ... started at %s; after Shutdown (1s) it must not run again", times(got))
		}
		if err := wait(s, "later"); !errors.Is(err, ErrShutdown) {
			t.Errorf("Wait(later) for a task that never ran = %v, want ErrShutdown", err)
		}
		if err := wait(s, "five"); err != nil {
			t.Errorf("Wait(five) = %v, want nil: it finished during Shutdown", err)
		}
		if err := s.Add(Task{ID: "new", Run: rec.run("new", takes(0, nil))}); !errors.Is(err, ErrClosed) {
			t.Errorf("Add after Shutdown = %v, want ErrClosed", err)
		}
	})
}

func TestShutdownCancelsRunsWhenCtxEnds(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "Shutdown never returned, or left runs going when it did: once its ctx ends it must cancel the "+
		"runs' ctx (s.cancel) and still wait for them to return", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 2})
		var cancelledAt atomic.Int64
		add(t, s, Task{ID: "stubborn", Run: rec.run("stubborn", func(ctx context.Context, n int) error {
			<-ctx.Done()
			cancelledAt.Store(int64(rec.now()))
			time.Sleep(time.Second) // cleaning up takes a second
			return ctx.Err()
		})})
		add(t, s, Task{ID: "quick", Run: rec.run("quick", takes(time.Second, nil))})
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := s.Shutdown(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown(ctx with a 2s timeout) = %v, want ctx's error, context.DeadlineExceeded", err)
		}
		if got := time.Duration(cancelledAt.Load()); got != sec(2) {
			t.Errorf("the running task's ctx was cancelled at %v, want 2s, when Shutdown's ctx ended", got)
		}
		if got := rec.now(); got != sec(3) {
			t.Errorf("Shutdown returned at %v, want 3s: after cancelling, it must still wait for the run to return "+
				"(it took 1s to clean up); when Shutdown returns, nothing runs", got)
		}
		if m := rec.all.Current(); m != 0 {
			t.Errorf("%d runs still in progress when Shutdown returned", m)
		}
		if err := wait(s, "stubborn"); !errors.Is(err, context.Canceled) {
			t.Errorf("Wait(stubborn) = %v, want its run's error, context.Canceled", err)
		}
	})
}

func TestShutdownCancelsRunsWithATimeout(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "Shutdown never returned, or a Wait after it: once Shutdown's ctx ends, every run's ctx "+
		"must be cancelled, a run with a Timeout too", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{})
		add(t, s, Task{ID: "slow", Timeout: time.Hour, Run: rec.run("slow", func(ctx context.Context, n int) error {
			<-ctx.Done()
			return ctx.Err()
		})})
		time.Sleep(time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		switch got := rec.now(); {
		case got > sec(2):
			t.Errorf("a run with Timeout 1h was still going when Shutdown's ctx ended at 2s, and Shutdown returned at %v, "+
				"want 2s: Shutdown's cancel must reach a run with a Timeout too. Derive the timeout's ctx from s.ctx "+
				"(context.WithTimeout(s.ctx, ...)), not from context.Background().", got)
		case got < sec(2):
			t.Errorf("Shutdown(ctx ending at 2s) returned at %v, want 2s: it must wait until its ctx ends, cancel the run "+
				"still going (Timeout 1h), and wait for it to return", got)
		}
		if err := wait(s, "slow"); !errors.Is(err, context.Canceled) {
			t.Errorf("Wait(slow) = %v, want its run's error, context.Canceled (Shutdown cancelled it before its Timeout)", err)
		}
	})
}

func TestShutdownStartsNoQueuedRun(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "Shutdown never returned", func(t *testing.T) {
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 2})
		add(t, s, Task{ID: "tick", Every: time.Second, Overlap: Queue, Run: rec.run("tick", takes(1500*time.Millisecond, nil))})
		time.Sleep(1200 * time.Millisecond) // the run due at 1s waits (Queue) for the one that runs from 0s to 1.5s
		shutdown(t, s)
		if got := rec.startsOf("tick"); len(got) != 1 {
			t.Errorf("a FixedRate Queue task (Every 1s, runs of 1.5s), Shutdown called at 1.2s: it started at %s, want only "+
				"[0s]. The run that waits in t.queued must not start once Shutdown has been called (check s.closed first).",
				times(got))
		}
		if got := rec.now(); got != sec(1.5) {
			t.Errorf("Shutdown returned at %v, want 1.5s, when the run in progress ended", got)
		}
	})
}

func TestRunEndingDuringShutdownKeepsItsError(t *testing.T) {
	const cause = "A one-off run that ends while Shutdown waits for it finishes its task with that run's outcome, even with " +
		"retries left: nothing is retried after Shutdown, so a retry queued then would never run, and the task would end " +
		"with ErrShutdown instead of its error."
	t.Run("cancelled by Shutdown", func(t *testing.T) {
		coursetest.BubbleWatchingLocks(t, "Shutdown never returned, or a Wait after it", func(t *testing.T) {
			s := New(Options{})
			add(t, s, Task{ID: "flaky", Retry: Retry{Retries: 2, Backoff: time.Second}, Run: func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			}})
			time.Sleep(time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = s.Shutdown(ctx)
			if err := wait(s, "flaky"); !errors.Is(err, context.Canceled) {
				t.Errorf("flaky (Retries 2) ran until Shutdown's ctx ended and cancelled it: Wait(flaky) = %v, want its "+
					"run's error, context.Canceled.\n%s", err, cause)
			}
		})
	})
	t.Run("failing by itself", func(t *testing.T) {
		coursetest.BubbleWatchingLocks(t, "Shutdown never returned, or a Wait after it", func(t *testing.T) {
			rec := newRecorder()
			s := New(Options{})
			add(t, s, Task{ID: "flaky", Retry: Retry{Retries: 2, Backoff: time.Second}, Run: rec.run("flaky", takes(2*time.Second, errBoom))})
			time.Sleep(time.Second)
			shutdown(t, s)
			if err := wait(s, "flaky"); !errors.Is(err, errBoom) {
				t.Errorf("flaky (Retries 2) failed with boom at 2s, while Shutdown (called at 1s) waited for it: "+
					"Wait(flaky) = %v, want boom.\n%s", err, cause)
			}
			if got := rec.startsOf("flaky"); len(got) != 1 {
				t.Errorf("flaky started at %s, want only [0s]: nothing is retried after Shutdown", times(got))
			}
		})
	})
}

func TestNoGoroutineLeftAfterShutdown(t *testing.T) {
	coursetest.BubbleWatchingLocks(t, "goroutines were left behind, or Shutdown never returned", func(t *testing.T) {
		defer func() { // after Shutdown
			synctest.Wait() // let goroutines that are on their way out finish
			if n := schedulerGoroutines(); n > 0 {
				t.Errorf("%d goroutines of the scheduler were still there after Shutdown returned: the dispatcher, every "+
					"run and any helper must have ended", n)
			}
		}()
		rec := newRecorder()
		s := New(Options{MaxConcurrent: 2})
		add(t, s, Task{ID: "tick", Every: time.Second, Run: rec.run("tick", takes(300*time.Millisecond, nil))})
		add(t, s, Task{ID: "flaky", Retry: Retry{Retries: 3, Backoff: time.Second}, Run: rec.run("flaky", takes(0, errBoom))})
		add(t, s, Task{ID: "slow", Delay: 2 * time.Second, Timeout: time.Minute, Run: rec.run("slow", takes(time.Hour, nil))})
		add(t, s, Task{ID: "pending", Delay: time.Hour, Run: rec.run("pending", takes(0, nil))})
		time.Sleep(3 * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
}

func TestBoundedGoroutinesWith10000PendingTasks(t *testing.T) {
	coursetest.Bubble(t, "Shutdown never returned with 10,000 tasks added", func(t *testing.T) {
		const n, limit = 10_000, 4
		s := New(Options{MaxConcurrent: limit})
		gate := make(chan struct{})
		run := func(ctx context.Context) error { return nil }
		// limit tasks due at once hold every slot until the gate opens; the others are due later.
		for i := range limit {
			add(t, s, Task{ID: "hold" + string(rune('0'+i)), Run: func(ctx context.Context) error { <-gate; return run(ctx) }})
		}
		for i := range n - limit {
			add(t, s, Task{ID: "t" + string(rune(0x4e00+i)), Delay: time.Duration(1+i%100) * time.Millisecond, Run: run})
		}
		// Count goroutines when everything is blocked (synctest.Wait), so that none is on its way in or out:
		// once with every task pending, once with every task due and waiting for a slot. (The limit is
		// well above the dispatcher and limit runs, and far below one goroutine per task.)
		synctest.Wait()
		pending := schedulerGoroutines()
		if pending > limit+2 {
			t.Errorf("with MaxConcurrent %d, the scheduler had %d goroutines while 9,996 tasks were pending, want at most %d: "+
				"one dispatcher and one goroutine per run in progress, never one per pending task", limit, pending, limit+2)
			close(gate)
			_ = s.Shutdown(context.Background())
			return
		}
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		due := schedulerGoroutines()
		close(gate)
		shutdown(t, s) // the tasks that have not started never will
		// The dispatcher, limit runs, and one spare (a helper goroutine of your design).
		if due > limit+2 {
			t.Errorf("with MaxConcurrent %d, the scheduler had %d goroutines while 9,996 due tasks waited for a slot, want at "+
				"most %d: one dispatcher and one goroutine per run in progress, never one per waiting task", limit, due, limit+2)
		}
	})
}

// manySeconds returns n times: from, from+1, from+2, ... (seconds).
func manySeconds(from float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = from + float64(i)
	}
	return out
}
