package pqueue

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gocourse/week11/internal/coursetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const stuckHint = "a Pop never returned: Pop must wake on Push (Signal) and when its context ends " +
	"(context.AfterFunc + Broadcast)"

const tryPopHint = "TryPop (or Pop on a queue that has items) waited: TryPop must never wait, it reports false at " +
	"once on an empty queue"

type job struct {
	id, priority int
}

// drain pops everything with TryPop.
func drain(q *Queue[job]) []job {
	var out []job
	for {
		j, ok := q.TryPop()
		if !ok {
			return out
		}
		out = append(out, j)
	}
}

// expected is what a stable priority queue returns: sorted by priority, ties in push order.
func expected(pushed []job) []job {
	want := slices.Clone(pushed)
	slices.SortStableFunc(want, func(a, b job) int { return cmp.Compare(a.priority, b.priority) })
	return want
}

func TestPopsInPriorityOrder(t *testing.T) {
	cases := []struct {
		name       string
		priorities []int
	}{
		{"one item", []int{7}},
		{"ascending", []int{1, 2, 3, 4, 5, 6, 7, 8}},
		{"descending", []int{8, 7, 6, 5, 4, 3, 2, 1}},
		{"mixed with negatives", []int{3, -1, 4, -1, 5, -9, 2, 6, 0, 5, 3, 5}},
		{"random 2000", rand.New(rand.NewPCG(1, 2)).Perm(2000)},
		// MaxInt - MinInt overflows: a comparison by subtraction gets these backwards.
		{"extreme priorities", []int{math.MaxInt, math.MinInt, 0, math.MaxInt - 1, -1, math.MinInt + 1, 1,
			math.MaxInt, math.MinInt}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			coursetest.Bubble(t, tryPopHint, func(t *testing.T) {
				q := New[job]()
				_, ok := q.TryPop()
				require.False(t, ok, "TryPop on an empty queue must report false")
				var pushed []job
				for i, p := range tc.priorities {
					q.Push(job{i, p}, p)
					pushed = append(pushed, job{i, p})
				}
				require.Equal(t, len(pushed), q.Len(), "Len after %d pushes", len(pushed))

				first, err := q.Pop(context.Background())
				require.NoError(t, err, "Pop on a non-empty queue")
				got := append([]job{first}, drain(q)...)
				want := expected(pushed)
				for i := range want {
					if want[i].priority != got[i].priority {
						t.Fatalf("pop #%d of %d: want priority %d (the smallest left), got %d. Compare priorities with "+
							"<, never by subtracting them: a - b overflows for priorities far apart (MaxInt - MinInt)",
							i+1, len(want), want[i].priority, got[i].priority)
					}
				}
				assert.Zero(t, q.Len(), "Len after popping everything")
			})
		})
	}
}

func TestFIFOAmongEqualPriorities(t *testing.T) {
	// Both parts run in a synctest bubble, whose fake clock stands still: every Push happens at the same
	// instant, so a timestamp cannot break ties. Only a push counter can.
	t.Run("random priorities", func(t *testing.T) {
		coursetest.Bubble(t, tryPopHint, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			q := New[job]()
			var pushed []job
			for i := range 3000 {
				j := job{id: i, priority: rng.IntN(4)}
				q.Push(j, j.priority)
				pushed = append(pushed, j)
			}
			got := drain(q)
			want := expected(pushed)
			require.Equal(t, len(want), len(got), "number of items popped")
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("pop #%d: want item %d (priority %d), got item %d (priority %d). Among equal priorities "+
						"items must come out in push order, but container/heap is not stable: break ties with a push "+
						"counter (a timestamp is not enough: two Pushes can read the same time, and here the clock "+
						"stands still)", i+1, want[i].id, want[i].priority, got[i].id, got[i].priority)
				}
			}
		})
	})

	t.Run("after 65536 pushes", func(t *testing.T) {
		coursetest.Bubble(t, tryPopHint, func(t *testing.T) {
			q := New[job]()
			const warmUp = 1<<16 - 5 // the next pushes take the push counter past 2^16
			for i := range warmUp {
				q.Push(job{i, 0}, 0)
				if _, ok := q.TryPop(); !ok {
					t.Fatalf("TryPop found nothing right after Push #%d", i+1)
				}
			}
			for i := range 10 {
				q.Push(job{warmUp + i, 3}, 3)
			}
			for i, j := range drain(q) {
				if j.id != warmUp+i {
					t.Fatalf("after %d pushes, pop #%d of 10 items of equal priority was item %d, want %d: the tie-breaker "+
						"must keep counting up. Does your push counter wrap around (a small integer type)? Use a uint64",
						warmUp+10, i+1, j.id, warmUp+i)
				}
			}
		})
	})
}

func TestPopWaitsForPushWithoutPolling(t *testing.T) {
	coursetest.Bubble(t, stuckHint, func(t *testing.T) {
		q := New[string]()
		const poppers = 3
		got := make(chan string, poppers)
		for range poppers {
			go func() {
				v, err := q.Pop(context.Background())
				if err != nil {
					v = "error: " + err.Error()
				}
				got <- v
			}()
		}
		synctest.Wait()
		require.Zero(t, len(got), "Pop on an empty queue returned at once: it must wait for a Push")

		for i := range poppers {
			start := time.Now()
			q.Push(fmt.Sprint("item ", i), i)
			v := <-got
			// Under synctest, fake time only moves when every goroutine is blocked: a Pop woken by
			// Push returns at the same fake instant, one that sleeps in a loop needs time to pass.
			if elapsed := time.Since(start); elapsed != 0 {
				for j := i + 1; j < poppers; j++ { // let the other Pops finish before failing
					q.Push("", 0)
					<-got
				}
				t.Fatalf("a waiting Pop returned %v after the Push (fake time moved): Pop seems to poll "+
					"(sleep or time.After in a loop). Wait on a sync.Cond (or a channel) that Push signals",
					elapsed)
			}
			assert.Equal(t, fmt.Sprint("item ", i), v, "a waiting Pop must get the pushed item")
			synctest.Wait()
			require.Zero(t, len(got), "one Push woke more than one Pop (%d items popped from 1 pushed)", 1+len(got))
		}
	})
}

func TestPopHonoursContext(t *testing.T) {
	cases := []struct {
		name    string
		makeCtx func() (context.Context, context.CancelFunc)
		end     func(cancel context.CancelFunc)
		wantErr error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Second)
		}, func(context.CancelFunc) { time.Sleep(time.Second) }, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, func(cancel context.CancelFunc) { cancel() }, context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			coursetest.Bubble(t, stuckHint, func(t *testing.T) {
				q := New[int]()
				ctx, cancel := tc.makeCtx()
				defer cancel()
				type result struct {
					v   int
					err error
				}
				// The bystander, a Pop whose context never ends, waits first: a Signal (which wakes the
				// longest waiter) per ended context would then wake it and leave a Pop stuck.
				bystander := make(chan result, 1)
				go func() {
					defer func() {
						if r := recover(); r != nil {
							bystander <- result{err: fmt.Errorf("Pop panicked: %v", r)}
						}
					}()
					v, err := q.Pop(context.Background())
					bystander <- result{v, err}
				}()
				synctest.Wait()
				got := make(chan result, 2)
				for range 2 {
					go func() { v, err := q.Pop(ctx); got <- result{v, err} }()
				}
				synctest.Wait()
				require.Zero(t, len(got)+len(bystander), "Pop on an empty queue returned before its context ended")

				tc.end(cancel)
				synctest.Wait()
				for i := range 2 {
					select {
					case r := <-got:
						assert.ErrorIs(t, r.err, tc.wantErr, "Pop must return ctx.Err() when its context ends first")
						assert.Zero(t, r.v, "a Pop that gave up must return the zero value")
					default:
						t.Errorf("%d of 2 waiting Pops still waiting after their context ended (%s): wake every "+
							"waiter when a context ends (context.AfterFunc + Broadcast)", 2-i, tc.name)
						for range 3 {
							q.Push(0, 0) // let the stuck Pops finish
						}
						return
					}
				}
				select {
				case r := <-bystander:
					t.Fatalf("a Pop whose context was still alive returned (%v, %v) when the other Pops' context "+
						"ended. Waking every waiter (Broadcast) is right, but a woken Pop must check again whether "+
						"there is an item, and wait again if not: call Wait in a for loop, not after an if", r.v, r.err)
				default:
				}

				q.Push(42, 1)
				r := <-bystander
				assert.Equal(t, result{42, nil}, r, "the Pop whose context is still alive must get the next item")
				q.Push(43, 1)
				v, ok := q.TryPop()
				assert.True(t, ok && v == 43, "an item pushed after Pops gave up must still be in the queue")
			})
		})
	}
}

// upTo returns 0, 1, ..., n-1.
func upTo(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// foreignCtx is a cancellable context that the context package does not recognise as one of its
// own, like a context from another library. context.AfterFunc watches such a context with a
// goroutine, which ends when the context ends or when the stop func that AfterFunc returned is called.
type foreignCtx struct {
	context.Context // for Deadline and Value
	done            chan struct{}
}

func (c *foreignCtx) Done() <-chan struct{} { return c.done }

func (c *foreignCtx) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

func TestPopStopsWatchingItsContext(t *testing.T) {
	coursetest.CheckLeaks(t)
	ctx := &foreignCtx{Context: context.Background(), done: make(chan struct{})}
	defer close(ctx.done)
	before := goleak.IgnoreCurrent()

	q := New[int]()
	var popped []int
	coursetest.Within(t, func() {
		for i := range 20 {
			q.Push(i, i)
			if v, err := q.Pop(ctx); err == nil {
				popped = append(popped, v)
			}
		}
		got := make(chan int, 1)
		go func() { v, _ := q.Pop(ctx); got <- v }() // this one has to wait
		q.Push(20, 0)
		popped = append(popped, <-got)
	}, "Pop did not return an item that was pushed: %s", stuckHint)
	require.Equal(t, upTo(21), popped, "items popped, each pushed just before")

	if err := goleak.Find(before); err != nil {
		t.Errorf("21 Pops with a context that is still alive have returned, but something still watches that "+
			"context: Pop must call the stop func that context.AfterFunc returns (defer stop()). Otherwise "+
			"every Pop leaves its watch behind until the context ends (for a context from outside the context "+
			"package, that is a goroutine per Pop).\n%v", err)
	}
}

// cancelledAtFirstCheck is a cancellable context whose first Err call cancels it and then answers
// nil, as if the cancel had come a moment after the check: it stands for the unlucky interleaving
// where a waiting Pop has just seen ctx.Err() == nil and is about to Wait when the context ends.
// Before it answers, it lets whatever the cancel woke (the func given to context.AfterFunc, or a
// watcher goroutine of Pop's own) run until it blocks or ends, so that a wake-up sent without the
// lock is sent in that window, every time.
type cancelledAtFirstCheck struct {
	context.Context
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelledAtFirstCheck) Err() error {
	first := false
	c.once.Do(func() { first = true })
	if !first {
		return c.Context.Err()
	}
	c.cancel()
	settled := func() bool {
		for _, g := range coursetest.Goroutines() {
			mine := strings.Contains(g.Stack, "/day3_queues/pqueue.") && !strings.Contains(g.Stack, "cancelledAtFirstCheck")
			if mine && (g.State == "running" || g.State == "runnable") {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(time.Second); !settled() && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	return nil
}

func TestPopCancelledJustAfterItsCheck(t *testing.T) {
	coursetest.CheckLeaks(t)
	for range 3 {
		inner, cancel := context.WithCancel(context.Background())
		ctx := &cancelledAtFirstCheck{Context: inner, cancel: cancel}
		q := New[int]()
		var err error
		if !coursetest.Within(t, func() { _, err = q.Pop(ctx) },
			"a Pop on an empty queue whose context ended just after Pop checked ctx.Err() never returned: the "+
				"wake-up came between the check and Wait, with nobody waiting yet, and was lost. The func that "+
				"context.AfterFunc runs must take the queue's lock before it calls Broadcast: then it cannot run "+
				"until the waiter is inside Wait") {
			q.Push(0, 0) // let the stuck Pop finish
			return
		}
		require.ErrorIs(t, err, context.Canceled, "Pop must return ctx.Err() when its context ends first")
	}
}

func TestConcurrentPushAndPop(t *testing.T) {
	coursetest.CheckLeaks(t)
	const pushers, perPusher, poppers = 8, 1000, 4
	const total = pushers * perPusher

	t.Run("every item popped exactly once", func(t *testing.T) {
		q := New[job]()
		seen := make([]atomic.Int32, total)
		var errs atomic.Int64
		coursetest.Within(t, func() {
			var wg sync.WaitGroup
			for p := range pushers {
				wg.Go(func() {
					for i := range perPusher {
						id := p*perPusher + i
						q.Push(job{id, id % 7}, id%7)
					}
				})
			}
			for range poppers {
				wg.Go(func() {
					for range total / poppers { // blocking Pop guarantees each popper gets its share
						j, ok := q.TryPop()
						if !ok {
							var err error
							if j, err = q.Pop(context.Background()); err != nil {
								errs.Add(1)
								return
							}
						}
						seen[j.id].Add(1)
						_ = q.Len()
					}
				})
			}
			wg.Wait()
		}, "%d pushers and %d poppers never finished %d items", pushers, poppers, total)
		require.Zero(t, errs.Load(), "Pop returned an error with a context that never ends")
		for id := range seen {
			if n := seen[id].Load(); n != 1 {
				t.Fatalf("item %d was popped %d times, want exactly once", id, n)
			}
		}
		assert.Zero(t, q.Len(), "Len after popping everything")
	})

	t.Run("order after concurrent pushes", func(t *testing.T) {
		q := New[job]()
		var wg sync.WaitGroup
		for p := range pushers {
			wg.Go(func() {
				for i := range perPusher {
					q.Push(job{p*perPusher + i, i % 5}, i%5)
					_ = q.Len()
				}
			})
		}
		wg.Wait()
		var got []job
		coursetest.Within(t, func() { got = drain(q) }, "%s", tryPopHint)
		require.Equal(t, total, len(got), "number of items popped")
		last := make(map[int]int) // pusher -> last id seen at the current priority
		for i := 1; i < len(got); i++ {
			if got[i-1].priority > got[i].priority {
				t.Fatalf("pop #%d has priority %d after one with priority %d: out of priority order",
					i+1, got[i].priority, got[i-1].priority)
			}
			if got[i].priority != got[i-1].priority {
				clear(last)
			}
			p := got[i].id / perPusher
			if prev, ok := last[p]; ok && prev > got[i].id {
				t.Fatalf("item %d came out after item %d: one pusher's items of equal priority must come out "+
					"in the order it pushed them", got[i].id, prev)
			}
			last[p] = got[i].id
		}
	})
}

func TestTryPopRacesForTheLastItem(t *testing.T) {
	coursetest.CheckLeaks(t)
	coursetest.Procs(t, 4) // the TryPops must really run at the same time, on any machine
	const rounds, racers = 2000, 4
	q := New[int]()
	var wrong, panics atomic.Int64
	coursetest.Within(t, func() {
		for r := range rounds {
			q.Push(r, r%3)
			var ready, got atomic.Int64
			var wg sync.WaitGroup
			for range racers {
				wg.Go(func() {
					defer func() {
						if recover() != nil {
							panics.Add(1)
						}
					}()
					// Spin until every racer is here, so that they call TryPop together.
					for ready.Add(1); ready.Load() < racers; {
						runtime.Gosched()
					}
					if _, ok := q.TryPop(); ok {
						got.Add(1)
					}
				})
			}
			wg.Wait()
			if got.Load() != 1 {
				wrong.Add(1)
			}
		}
	}, "%s", tryPopHint)
	require.Zero(t, panics.Load(), "%d TryPops racing for the last item panicked in %d of %d rounds: TryPop must "+
		"check that the queue is not empty and pop under ONE lock (Len, then Lock and pop, is two steps: another "+
		"TryPop can take the item in between)", racers, panics.Load(), rounds)
	require.Zero(t, wrong.Load(), "%d TryPops racing for one item did not give it to exactly one of them in %d of %d "+
		"rounds", racers, wrong.Load(), rounds)
}

func TestPopWithEndedContextLosesNothing(t *testing.T) {
	coursetest.Bubble(t, stuckHint, func(t *testing.T) {
		q := New[int]()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for i := range 10 {
			q.Push(i, i)
		}
		for range 10 {
			before := q.Len()
			v, err := q.Pop(ctx)
			if err != nil {
				require.ErrorIs(t, err, context.Canceled, "Pop must return ctx.Err() when its context has ended")
				require.Equal(t, before, q.Len(), "Pop returned ctx.Err() but took an item out of the queue: that "+
					"item is lost (nobody got it). Check ctx before you pop, or return the item you popped")
				v, ok := q.TryPop()
				require.True(t, ok)
				_ = v
				continue
			}
			require.Equal(t, 10-before, v, "Pop must return the item with the smallest priority")
		}
		require.Zero(t, q.Len(), "Len after popping everything")
	})
}
