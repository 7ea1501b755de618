package waiting

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const leakHint = "goroutines were left blocked for good: a watcher goroutine that is never stopped " +
	"(cancel a derived context when the loop ends, and wait for the watchers), or an iterator that never ends"

func newFutures(n int) []*Future[int] {
	fs := make([]*Future[int], n)
	for i := range fs {
		fs[i] = New[int]()
	}
	return fs
}

// yielded is one step of an AsCompleted loop: the index of the future yielded (-1 for nil) and the error.
type yielded struct {
	idx int
	err error
}

// consume ranges over AsCompleted(ctx, fs) on a new goroutine, stopping after limit steps (0: no
// limit). Every step arrives on steps; ended is closed when the range statement has finished.
func consume(ctx context.Context, fs []*Future[int], limit int) (steps <-chan yielded, ended <-chan struct{}) {
	index := map[*Future[int]]int{}
	for i, f := range fs {
		index[f] = i
	}
	out := make(chan yielded, len(fs)+10)
	end := make(chan struct{})
	go func() {
		defer close(end)
		n := 0
		for f, err := range AsCompleted(ctx, fs) {
			idx := -1
			if f != nil {
				var ok bool
				if idx, ok = index[f]; !ok {
					idx = -2
				}
			}
			out <- yielded{idx, err}
			n++
			if n == limit || n > len(fs)+5 {
				break
			}
		}
	}()
	return out, end
}

func drain(steps <-chan yielded) []yielded {
	var got []yielded
	for {
		select {
		case s := <-steps:
			got = append(got, s)
		default:
			return got
		}
	}
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestAsCompletedYieldsInCompletionOrder(t *testing.T) {
	for _, order := range [][]int{{4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}, {0, 1, 2, 3, 4}} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			coursetest.Bubble(t, leakHint, func(t *testing.T) {
				fs := newFutures(len(order))
				steps, ended := consume(t.Context(), fs, 0)
				synctest.Wait()
				require.Empty(t, drain(steps), "AsCompleted yielded a future before any was done")
				for k, i := range order {
					fs[i].Complete(i*10, nil)
					synctest.Wait()
					got := drain(steps)
					require.Len(t, got, 1, "after future %d (the %d. to complete) was completed, AsCompleted must yield "+
						"exactly it, at once", i, k+1)
					require.NoError(t, got[0].err)
					require.Equal(t, i, got[0].idx, "AsCompleted yielded future %d, but future %d was the one just "+
						"completed: yield in completion order, not in the order of the slice", got[0].idx, i)
				}
				require.True(t, closed(ended), "the loop did not end after every future had been yielded")
			})
		})
	}
}

func TestAsCompletedAlreadyDone(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, leakHint, func(t *testing.T) {
		fs := newFutures(4)
		fs[1].Complete(1, nil)
		fs[3].Complete(3, errors.New("failed"))
		steps, ended := consume(t.Context(), fs, 0)
		synctest.Wait()
		got := drain(steps)
		seen := map[int]bool{}
		for _, s := range got {
			require.NoError(t, s.err, "a future that failed is yielded with a nil error: the iterator's error is for ctx")
			seen[s.idx] = true
		}
		require.Len(t, got, 2, "two futures were done before the loop: AsCompleted must yield both at once, once each")
		assert.True(t, seen[1] && seen[3], "AsCompleted must yield futures 1 and 3, which were already done; got %v", got)
		fs[0].Complete(0, nil)
		fs[2].Complete(2, nil)
		synctest.Wait()
		got = drain(steps)
		require.Len(t, got, 2, "AsCompleted must yield the two futures completed later")
		require.True(t, closed(ended), "the loop did not end after every future had been yielded")
		checkGivenFuture(t, fs[1])
	})
	t.Run("no futures", func(t *testing.T) {
		coursetest.CheckLeaksIfPassing(t)
		n := 0
		coursetest.Within(t, func() {
			for range AsCompleted(context.Background(), []*Future[int]{}) {
				n++
			}
		}, "ranging over AsCompleted with no futures never ended")
		assert.Zero(t, n, "AsCompleted of no futures yields nothing")
	})
}

// checkGivenFuture checks the given future's Result inside a bubble, so that a change to it cannot go
// unnoticed: done is a future that is done with value 1.
func checkGivenFuture(t *testing.T, done *Future[int]) {
	t.Helper()
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	for range 200 {
		v, err := done.Result(ended)
		require.NoError(t, err, "Result of a done future returns its outcome even when ctx has ended")
		require.Equal(t, 1, v)
	}
	later, timedOut := New[int](), New[int]()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	type res struct {
		v   int
		err error
	}
	r1, r2 := make(chan res, 1), make(chan res, 1)
	go func() { v, err := later.Result(ctx); r1 <- res{v, err} }()
	go func() { v, err := timedOut.Result(ctx); r2 <- res{v, err} }()
	synctest.Wait()
	later.Complete(5, nil)
	synctest.Wait()
	select {
	case r := <-r1:
		require.Equal(t, res{5, nil}, r, "Result returns the outcome once the future completes")
	default:
		t.Fatal("Result did not return after the future completed")
	}
	time.Sleep(time.Second + time.Millisecond)
	synctest.Wait()
	select {
	case r := <-r2:
		require.ErrorIs(t, r.err, context.DeadlineExceeded, "Result returns ctx.Err() when ctx ends first")
	default:
		t.Fatal("Result did not return when its ctx ended")
	}
}

func TestAsCompletedBreakStopsWatchers(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	coursetest.Bubble(t, leakHint+" (here: the loop broke after the first future)", func(t *testing.T) {
		fs := newFutures(4)
		// A ctx that never ends: nothing but the end of the loop may stop the watchers.
		steps, ended := consume(context.Background(), fs, 1)
		fs[2].Complete(2, nil)
		synctest.Wait()
		require.True(t, closed(ended), "the loop broke after one future, but the range statement did not finish")
		got := drain(steps)
		require.Len(t, got, 1)
		assert.Equal(t, 2, got[0].idx)
		// The other three futures are never completed: a watcher still waiting for one of them is a leak,
		// and the bubble reports it when this function returns.
	})
}

// watchers counts the goroutines whose stack is inside AsCompleted (inlined or not: "AsCompleted[...]"):
// its watchers.
func watchers() int {
	n := 0
	for _, g := range coursetest.Goroutines() {
		if strings.Contains(g.Stack, "AsCompleted[") && !strings.Contains(g.Stack, "coursetest.Goroutines") {
			n++
		}
	}
	return n
}

// TestAsCompletedWaitsForItsWatchers checks that the watchers have exited, not merely been told to,
// when the range statement finishes. On one P a goroutine woken by a cancel does not run before the
// goroutine that cancelled blocks, unless the scheduler preempts that one first (on a busy machine
// it may, now and then), so each case runs 50 times: a missing wait shows in nearly every one.
func TestAsCompletedWaitsForItsWatchers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	coursetest.CheckLeaksIfPassing(t)
	for _, tc := range []struct {
		name  string
		limit int
		ctx   func() (context.Context, context.CancelFunc)
	}{
		{"break", 1, func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }},
		{"ctx ended", 0, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
	} {
		for range 50 {
			ctx, cancel := tc.ctx()
			fs := newFutures(5)
			fs[0].Complete(0, nil)
			left := -1
			coursetest.Within(t, func() {
				n := 0
				for range AsCompleted(ctx, fs) {
					n++
					if n == tc.limit {
						break
					}
				}
				left = watchers()
			}, "%s: the loop over AsCompleted never ended", tc.name)
			cancel()
			if left != 0 {
				t.Fatalf("%s: %d watcher goroutines of AsCompleted were still there when the range statement finished: "+
					"after cancelling them, wait for them (a sync.WaitGroup), so that none outlives the loop", tc.name, left)
			}
		}
	}
}

func TestAsCompletedContext(t *testing.T) {
	t.Run("deadline", func(t *testing.T) {
		coursetest.CheckLeaksIfPassing(t)
		coursetest.Bubble(t, leakHint+" (here: ctx ended with futures not done)", func(t *testing.T) {
			fs := newFutures(3)
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			steps, ended := consume(ctx, fs, 0)
			fs[1].Complete(1, nil)
			synctest.Wait()
			got := drain(steps)
			require.Len(t, got, 1, "future 1 was completed: AsCompleted must yield it before ctx ends")
			time.Sleep(time.Second + time.Millisecond) // fake time: ctx's deadline has passed
			synctest.Wait()
			got = drain(steps)
			require.Len(t, got, 1, "when ctx ends, AsCompleted must yield (nil, ctx.Err()) once and stop; got %v", got)
			assert.Equal(t, -1, got[0].idx, "the step that reports ctx's end must carry a nil future")
			assert.ErrorIs(t, got[0].err, context.DeadlineExceeded, "when ctx ends, AsCompleted must yield ctx.Err()")
			require.True(t, closed(ended), "the loop did not end after ctx ended: select on ctx.Done() while waiting")
		})
	})
	t.Run("cancelled before the loop", func(t *testing.T) {
		coursetest.CheckLeaksIfPassing(t)
		coursetest.Bubble(t, leakHint+" (here: ctx was cancelled before the loop)", func(t *testing.T) {
			fs := newFutures(3)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			steps, ended := consume(ctx, fs, 0)
			synctest.Wait()
			got := drain(steps)
			require.Len(t, got, 1, "with ctx already cancelled and no future done, AsCompleted must yield (nil, ctx.Err()) once")
			assert.ErrorIs(t, got[0].err, context.Canceled)
			require.True(t, closed(ended), "the loop did not end although ctx was cancelled")
		})
	})
}

// TestAsCompletedConcurrentCompletions completes every future from its own goroutine at once, round
// after round: each future must be yielded exactly once.
func TestAsCompletedConcurrentCompletions(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	const rounds, n = 100, 8
	for r := range rounds {
		fs := newFutures(n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, f := range fs {
			wg.Go(func() { <-start; f.Complete(i, nil) })
		}
		counts := make([]int, n)
		close(start)
		ok := coursetest.Within(t, func() {
			for f, err := range AsCompleted(context.Background(), fs) {
				if err != nil {
					t.Errorf("round %d: AsCompleted yielded an error %v with a background ctx", r, err)
					break
				}
				v, _ := f.Result(context.Background())
				counts[v]++
			}
		}, "round %d: ranging over AsCompleted never ended while %d futures completed at once", r, n)
		wg.Wait()
		if !ok {
			return
		}
		for i, c := range counts {
			if c != 1 {
				t.Fatalf("round %d: future %d was yielded %d times, want exactly once", r, i, c)
			}
		}
	}
}

type waitResult struct {
	done, pending []*Future[int]
	err           error
}

func waitAsync(ctx context.Context, fs []*Future[int], mode Mode) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		d, p, err := Wait(ctx, fs, mode)
		ch <- waitResult{d, p, err}
	}()
	return ch
}

func indexes(all, some []*Future[int]) []int {
	out := []int{}
	for _, f := range some {
		for i, g := range all {
			if f == g {
				out = append(out, i)
			}
		}
	}
	return out
}

var modeName = map[Mode]string{AllCompleted: "AllCompleted", FirstCompleted: "FirstCompleted", FirstError: "FirstError"}

func TestWait(t *testing.T) {
	boom := errors.New("boom")
	type step struct {
		idx int
		err error
	}
	for _, tc := range []struct {
		name          string
		mode          Mode
		steps         []step // completed one at a time; Wait must return right after the last one
		done, pending []int
	}{
		{"first completed", FirstCompleted, []step{{2, nil}}, []int{2}, []int{0, 1, 3}},
		{"first completed by an error", FirstCompleted, []step{{1, boom}}, []int{1}, []int{0, 2, 3}},
		{"all completed", AllCompleted, []step{{3, nil}, {0, boom}, {2, nil}, {1, nil}}, []int{0, 1, 2, 3}, []int{}},
		{"first error", FirstError, []step{{0, nil}, {3, nil}, {2, boom}}, []int{0, 2, 3}, []int{1}},
		{"first error, none fails", FirstError, []step{{1, nil}, {0, nil}, {3, nil}, {2, nil}}, []int{0, 1, 2, 3}, []int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			coursetest.Bubble(t, "Wait("+modeName[tc.mode]+") never returned, or left goroutines behind", func(t *testing.T) {
				fs := newFutures(4)
				res := waitAsync(t.Context(), fs, tc.mode)
				for k, s := range tc.steps {
					synctest.Wait()
					select {
					case r := <-res:
						t.Fatalf("Wait(%s) returned after %d of the %d completions this case needs (done %v): %s",
							modeName[tc.mode], k, len(tc.steps), indexes(fs, r.done), modeHint(tc.mode))
					default:
					}
					fs[s.idx].Complete(s.idx, s.err)
				}
				synctest.Wait()
				select {
				case r := <-res:
					require.NoError(t, r.err, "Wait's error is for ctx only; a future's error stays in the future")
					assert.Equal(t, tc.done, indexes(fs, r.done), "Wait(%s): done must hold every future done when it "+
						"returns, in the order of the slice", modeName[tc.mode])
					assert.Equal(t, tc.pending, indexes(fs, r.pending), "Wait(%s): pending must hold every future not "+
						"done, in the order of the slice", modeName[tc.mode])
				default:
					t.Fatalf("Wait(%s) still waits after the completion that should end it: %s", modeName[tc.mode], modeHint(tc.mode))
				}
			})
		})
	}
}

func TestWaitWithFuturesAlreadyDone(t *testing.T) {
	for _, mode := range []Mode{FirstCompleted, FirstError} {
		t.Run(modeName[mode], func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			coursetest.Bubble(t, "Wait("+modeName[mode]+") never returned, or left goroutines behind", func(t *testing.T) {
				fs := newFutures(5)
				fs[1].Complete(1, errors.New("failed"))
				fs[3].Complete(3, errors.New("failed"))
				fs[4].Complete(4, nil)
				res := waitAsync(t.Context(), fs, mode)
				synctest.Wait()
				select {
				case r := <-res:
					require.NoError(t, r.err)
					assert.Equal(t, []int{1, 3, 4}, indexes(fs, r.done), "Wait(%s): three futures were done before the "+
						"call, so done must hold all three, not only the one that ended the wait", modeName[mode])
					assert.Equal(t, []int{0, 2}, indexes(fs, r.pending))
				default:
					t.Fatalf("Wait(%s) still waits although futures were done (and failed) before the call", modeName[mode])
				}
			})
		})
	}
}

func modeHint(m Mode) string {
	switch m {
	case FirstCompleted:
		return "FirstCompleted returns as soon as any future is done"
	case FirstError:
		return "FirstError returns at the first future done with an error, or when all are done"
	}
	return "AllCompleted returns only when every future is done"
}

func TestWaitContext(t *testing.T) {
	for _, mode := range []Mode{AllCompleted, FirstCompleted, FirstError} {
		t.Run(modeName[mode], func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			coursetest.Bubble(t, "Wait never returned after its ctx ended, or left goroutines behind", func(t *testing.T) {
				fs := newFutures(3)
				if mode != FirstCompleted {
					fs[1].Complete(1, nil)
				}
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				res := waitAsync(ctx, fs, mode)
				time.Sleep(time.Second + time.Millisecond)
				synctest.Wait()
				select {
				case r := <-res:
					assert.ErrorIs(t, r.err, context.DeadlineExceeded, "Wait must return ctx.Err() when ctx ends first")
					wantDone, wantPending := []int{1}, []int{0, 2}
					if mode == FirstCompleted {
						wantDone, wantPending = []int{}, []int{0, 1, 2}
					}
					assert.Equal(t, wantDone, indexes(fs, r.done), "when ctx ends, done must still hold the futures done by then")
					assert.Equal(t, wantPending, indexes(fs, r.pending), "when ctx ends, pending must hold the futures not done")
				default:
					t.Fatal("Wait kept waiting after its ctx's deadline passed: stop when ctx ends")
				}
			})
		})
	}
	t.Run("no futures", func(t *testing.T) {
		coursetest.CheckLeaksIfPassing(t)
		for _, mode := range []Mode{AllCompleted, FirstCompleted, FirstError} {
			coursetest.Within(t, func() {
				d, p, err := Wait(context.Background(), []*Future[int]{}, mode)
				assert.NoError(t, err)
				assert.Empty(t, d)
				assert.Empty(t, p)
			}, "Wait(%s) with no futures must return at once", modeName[mode])
		}
	})
}

// TestWaitRacesCompletions runs Wait(AllCompleted) while every future completes from its own
// goroutine: when it returns, all are done.
func TestWaitRacesCompletions(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for r := range 100 {
		fs := newFutures(6)
		start := make(chan struct{})
		var wg sync.WaitGroup
		var completed atomic.Int32
		for i, f := range fs {
			wg.Go(func() { <-start; f.Complete(i, nil); completed.Add(1) })
		}
		close(start)
		var res waitResult
		ok := coursetest.Within(t, func() {
			res.done, res.pending, res.err = Wait(context.Background(), fs, AllCompleted)
		}, "round %d: Wait(AllCompleted) never returned while its futures completed", r)
		wg.Wait()
		if !ok {
			return
		}
		if len(res.done) != len(fs) || len(res.pending) != 0 || res.err != nil {
			t.Fatalf("round %d: Wait(AllCompleted) returned %d done, %d pending, err %v; want all %d done",
				r, len(res.done), len(res.pending), res.err, len(fs))
		}
	}
}
