package blockingqueue

import (
	"context"
	"runtime"
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

const stuckHint = "a Queue call blocked forever: Put must wait for room OR ctx.Done(), Get for an item OR ctx.Done(), " +
	"and Join for the last TaskDone OR ctx.Done()"

// returned reports whether a goroutine has already sent its result on the buffered channel ch.
func returned[T any](ch chan T) bool { return len(ch) > 0 }

func TestFIFOOrderAndTryGet(t *testing.T) {
	coursetest.Bubble(t, "TryGet (or Put on a queue with room) waited: TryGet must never wait, it reports false "+
		"at once on an empty queue (select with a default case)", testFIFOOrderAndTryGet)
}

func testFIFOOrderAndTryGet(t *testing.T) {
	q := New[int](5)
	ctx := context.Background()

	_, ok := q.TryGet()
	require.False(t, ok, "TryGet on an empty queue must report false at once")
	for i := range 5 {
		require.NoError(t, q.Put(ctx, i*10), "Put %d of 5 on a queue of capacity 5 failed", i+1)
	}
	assert.Equal(t, 5, q.Len(), "Len after 5 Puts")

	for i := range 5 {
		var v int
		if i%2 == 0 {
			v, ok = q.TryGet()
			require.True(t, ok, "TryGet found no item although %d were queued", 5-i)
		} else {
			var err error
			v, err = q.Get(ctx)
			require.NoError(t, err)
		}
		assert.Equal(t, i*10, v, "items must come out in the order they were put (FIFO)")
	}
	assert.Equal(t, 0, q.Len(), "Len after taking every item")
	_, ok = q.TryGet()
	assert.False(t, ok, "TryGet on a drained queue must report false")

	require.Panics(t, func() { New[int](0) }, "New(0) must panic: a queue needs room for at least one item")
}

func TestPutBlocksWhileFull(t *testing.T) {
	coursetest.Bubble(t, stuckHint, func(t *testing.T) {
		ctx := context.Background()
		q := New[int](2)
		require.NoError(t, q.Put(ctx, 1))
		require.NoError(t, q.Put(ctx, 2))

		tctx, cancel := context.WithTimeout(ctx, time.Second)
		err := q.Put(tctx, 99)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded,
			"Put on a full queue (capacity 2, holding 2) must wait, then give up with ctx.Err() when the "+
				"deadline passes; it returned %v. Is your queue bounded?", err)
		require.Equal(t, 2, q.Len(), "a Put that gave up must not add its item")

		done := make(chan error, 1)
		go func() { done <- q.Put(ctx, 3) }()
		synctest.Wait()
		if returned(done) {
			t.Fatal("Put on a full queue returned at once: it must wait until a Get makes room")
		}
		v, ok := q.TryGet()
		require.True(t, ok)
		require.Equal(t, 1, v)
		require.NoError(t, <-done, "the waiting Put must go through once a Get made room")

		for _, want := range []int{2, 3} {
			v, ok := q.TryGet()
			require.True(t, ok, "expected %d in the queue, found it empty", want)
			require.Equal(t, want, v, "FIFO order after a blocked Put")
		}

		// Three items went in and came out; the Put that gave up added nothing, not even a task.
		for range 3 {
			q.TaskDone()
		}
		jctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		require.NoError(t, q.Join(jctx), "3 items were put and 3 marked done, yet Join kept waiting: the Put that "+
			"gave up (its context ended) left an unfinished task behind. A Put that returns ctx.Err() must undo "+
			"the task it counted")
	})
}

func TestGetWaitsAndHonoursContext(t *testing.T) {
	cases := []struct {
		name    string
		makeCtx func() (context.Context, context.CancelFunc)
		stop    func(cancel context.CancelFunc) // what ends the wait
		wantErr error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Second)
		}, func(context.CancelFunc) { time.Sleep(2 * time.Second) }, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, func(cancel context.CancelFunc) { cancel() }, context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			coursetest.Bubble(t, stuckHint, func(t *testing.T) {
				q := New[string](4)
				type result struct {
					v   string
					err error
				}
				got := make(chan result, 1)

				// An item put later reaches a waiting Get.
				go func() { v, err := q.Get(context.Background()); got <- result{v, err} }()
				synctest.Wait()
				if returned(got) {
					t.Fatal("Get on an empty queue returned at once: it must wait for an item")
				}
				require.NoError(t, q.Put(context.Background(), "hello"))
				r := <-got
				require.NoError(t, r.err)
				require.Equal(t, "hello", r.v)

				// A waiting Get gives up when its context ends.
				ctx, cancel := tc.makeCtx()
				defer cancel()
				go func() { v, err := q.Get(ctx); got <- result{v, err} }()
				synctest.Wait()
				require.False(t, returned(got), "Get on an empty queue returned before its context ended")
				tc.stop(cancel)
				synctest.Wait()
				select {
				case r := <-got:
					assert.ErrorIs(t, r.err, tc.wantErr, "Get must return ctx.Err() when its context ends first")
					assert.Zero(t, r.v, "Get that gave up must return the zero value")
				default:
					t.Errorf("Get on an empty queue kept waiting after its context ended (%s): "+
						"select on ctx.Done() as well as on the items", tc.name)
					_ = q.Put(context.Background(), "unblock") // let the stuck Get finish
					<-got
				}
			})
		})
	}
}

func TestJoinWaitsForEveryTaskDone(t *testing.T) {
	coursetest.Bubble(t, stuckHint, func(t *testing.T) {
		ctx := context.Background()
		q := New[int](10)
		require.NoError(t, q.Join(ctx), "Join on a queue that never had an item must return at once")

		for round := 1; round <= 3; round++ {
			const n = 3
			for i := range n {
				require.NoError(t, q.Put(ctx, i))
			}
			joined := make(chan error, 2)
			go func() { joined <- q.Join(ctx) }()
			go func() { joined <- q.Join(ctx) }()

			for range n {
				_, ok := q.TryGet()
				require.True(t, ok)
			}
			synctest.Wait()
			if returned(joined) {
				t.Fatalf("round %d: Join returned when the queue was empty but no item was marked done yet: "+
					"Join waits for a TaskDone per item, not for an empty queue", round)
			}
			for i := 1; i < n; i++ {
				q.TaskDone()
				synctest.Wait()
				if returned(joined) {
					t.Fatalf("round %d: Join returned after %d of %d TaskDone calls: it must wait for the last one",
						round, i, n)
				}
			}
			q.TaskDone()
			synctest.Wait()
			for range 2 {
				select {
				case err := <-joined:
					require.NoError(t, err)
				default:
					t.Fatalf("round %d: Join still waiting after every item was marked done: "+
						"wake every waiting Join when the count reaches zero", round)
				}
			}
		}

		require.NoError(t, q.Put(ctx, 1))
		tctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		before := goleak.IgnoreCurrent()
		require.ErrorIs(t, q.Join(tctx), context.DeadlineExceeded,
			"Join with one unfinished task must give up with ctx.Err() when its context ends")
		if err := goleak.Find(before); err != nil {
			t.Errorf("Join gave up when its context ended, but left a goroutine behind, still waiting for the "+
				"last TaskDone: a Join that returns must leave nothing running. Wait on something you can select "+
				"on together with ctx.Done(), such as a channel that is closed when the count reaches zero.\n%v", err)
		}
		q.TaskDone()
		require.NoError(t, q.Join(ctx))

		// A Join that starts while a Put is going on: both read and write the task state, so both must
		// hold the lock (the race detector reports a Join that reads it without the lock). Join either
		// saw the queue idle and returned, or waits for the new item's TaskDone.
		joined := make(chan error, 1)
		go func() { joined <- q.Join(ctx) }()
		require.NoError(t, q.Put(ctx, 7))
		_, ok := q.TryGet()
		require.True(t, ok, "the item just put is missing")
		q.TaskDone()
		require.NoError(t, <-joined, "a Join that started during a Put must return once that item is done")

		require.Panics(t, q.TaskDone,
			"TaskDone called more times than items were put must panic (Python raises ValueError)")
	})
}

func TestManyProducersAndConsumers(t *testing.T) {
	cases := []struct {
		name                                     string
		producers, perProducer, consumers, capac int
	}{
		{"8 producers, 1 consumer", 8, 1000, 1, 4},
		{"1 producer, 8 consumers", 1, 8000, 8, 4},
		{"8 producers, 4 consumers", 8, 1000, 4, 16},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			coursetest.CheckLeaks(t)
			ctx := context.Background()
			q := New[int](tc.capac)
			total := tc.producers * tc.perProducer
			seen := make([]atomic.Int32, total)
			var processed, maxLen, outOfOrder, errs atomic.Int64

			coursetest.Within(t, func() {
				var producers, consumers sync.WaitGroup
				for p := range tc.producers {
					producers.Go(func() {
						for i := range tc.perProducer {
							if err := q.Put(ctx, p*tc.perProducer+i); err != nil {
								errs.Add(1)
							}
						}
					})
				}
				for range tc.consumers {
					consumers.Go(func() {
						last := make(map[int]int) // producer -> last index seen, for the FIFO check
						for {
							v, ok := q.TryGet()
							if !ok {
								var err error
								if v, err = q.Get(ctx); err != nil {
									errs.Add(1)
									return
								}
							}
							if v < 0 { // poison pill: the classic way to stop a consumer
								q.TaskDone()
								return
							}
							seen[v].Add(1)
							if n := int64(q.Len()); n > maxLen.Load() {
								maxLen.Store(n)
							}
							p, i := v/tc.perProducer, v%tc.perProducer
							if prev, ok := last[p]; ok && i < prev {
								outOfOrder.Add(1)
							}
							last[p] = i
							processed.Add(1)
							q.TaskDone()
						}
					})
				}
				producers.Wait()
				if err := q.Join(ctx); err != nil {
					errs.Add(1)
				}
				// Join has returned: every item must be processed by now.
				assert.Equal(t, int64(total), processed.Load(),
					"Join returned before every item was processed (TaskDone'd)")
				for range tc.consumers {
					_ = q.Put(ctx, -1)
				}
				consumers.Wait()
			}, "%d producers and %d consumers never finished %d items", tc.producers, tc.consumers, total)

			require.Zero(t, errs.Load(), "Put, Get or Join returned an error with a context that never ends")
			for v := range seen {
				if n := seen[v].Load(); n != 1 {
					t.Fatalf("item %d was received %d times, want exactly once", v, n)
				}
			}
			assert.LessOrEqual(t, maxLen.Load(), int64(tc.capac), "Len exceeded the capacity")
			if tc.consumers == 1 {
				assert.Zero(t, outOfOrder.Load(),
					"with one consumer, each producer's items must arrive in the order it put them (FIFO)")
			}
			coursetest.Within(t, func() {
				require.NoError(t, q.Join(ctx), "Join after everything was done must return at once")
			}, "every item was put, taken and marked done, yet Join waited: when the count is zero, Join must "+
				"return at once (is the channel Join waits on the one that was closed when the count reached zero?)")
		})
	}
}

func TestTryGetRacesForTheLastItem(t *testing.T) {
	coursetest.CheckLeaks(t)
	coursetest.Procs(t, 4) // the TryGets must really run at the same time, on any machine
	// Each round fills the queue and starts twice as many TryGets as there are items, all at once: the
	// last items are raced for, so a TryGet that checks and then receives is caught waiting.
	const rounds, items, racers = 400, 16, 32
	q := New[int](items)
	ctx := context.Background()
	guard := time.NewTimer(time.Hour) // reset for each round: fires only if a TryGet waits for good
	defer guard.Stop()
	for r := range rounds {
		for i := range items {
			require.NoError(t, q.Put(ctx, r*items+i))
		}
		var ready, got atomic.Int64
		var wg sync.WaitGroup
		for range racers {
			wg.Go(func() {
				// Spin until every racer is here, so that they call TryGet together.
				for ready.Add(1); ready.Load() < racers; {
					runtime.Gosched()
				}
				if _, ok := q.TryGet(); ok {
					got.Add(1)
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		guard.Reset(coursetest.CurrentPatience())
		select {
		case <-done:
			guard.Stop()
		case <-guard.C:
			for range racers { // let the stuck TryGets finish: each takes one of these
				pctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
				_ = q.Put(pctx, -1)
				cancel()
			}
			<-done
			t.Fatalf("round %d: %d TryGets raced for %d items and at least one of them kept waiting: TryGet must "+
				"never wait. Checking Len() and then receiving is two steps: another TryGet can take the item in "+
				"between. Use a select with a default case", r+1, racers, items)
		}
		require.Equal(t, int64(items), got.Load(), "round %d: %d TryGets raced for %d items: each item must go to "+
			"exactly one of them", r+1, racers, items)
		for range items {
			q.TaskDone()
		}
	}
}

func TestEndedContextLosesNothing(t *testing.T) {
	coursetest.Bubble(t, stuckHint, func(t *testing.T) {
		// With an ended context and an item (or room) ready, select picks either case at random, so
		// each part runs many times.
		const n = 64
		q := New[int](n)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		// Put with an ended context on a queue with room: it may add the item or refuse it, but a refused
		// item must leave neither an item nor a task behind.
		for i := range n {
			if err := q.Put(ctx, i); err != nil {
				require.ErrorIs(t, err, context.Canceled, "Put must return ctx.Err() when its context has ended")
				require.NoError(t, q.Put(context.Background(), i))
			}
			require.Equal(t, i+1, q.Len(), "Len after %d items went in", i+1)
		}

		// Get with an ended context on a queue with items: it may take the front item or refuse, but an
		// item it refuses must stay in the queue.
		for want := range n {
			before := q.Len()
			v, err := q.Get(ctx)
			if err != nil {
				require.ErrorIs(t, err, context.Canceled, "Get must return ctx.Err() when its context has ended")
				require.Equal(t, before, q.Len(), "Get returned ctx.Err() but took item %d out of the queue: that item "+
					"is lost, nobody got it. If you received an item, return it", want)
				v, err = q.Get(context.Background())
				require.NoError(t, err)
			}
			require.Equal(t, want, v, "items must come out in the order they were put (FIFO)")
			q.TaskDone()
		}
		jctx, jcancel := context.WithTimeout(context.Background(), time.Second)
		defer jcancel()
		require.NoError(t, q.Join(jctx), "%d items went in and %d were marked done, yet Join waited: a Put that "+
			"refused its item (ended context) must not leave a task behind", n, n)
	})
}

func TestPutThatGivesUpOnAnIdleQueue(t *testing.T) {
	coursetest.Bubble(t, stuckHint, func(t *testing.T) {
		// TaskDone counts tasks, not items: here the only item is marked done while it is still queued,
		// so the queue is full and has no unfinished task at all.
		ctx := context.Background()
		q := New[int](1)
		require.NoError(t, q.Put(ctx, 1))
		q.TaskDone()

		joined := make(chan error, 1)
		putCtx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		putErr := make(chan error, 1)
		go func() { putErr <- q.Put(putCtx, 2) }() // waits: the queue is full
		synctest.Wait()
		go func() { joined <- q.Join(ctx) }() // waits for the waiting Put's item, or returns (both are fine)
		require.ErrorIs(t, <-putErr, context.DeadlineExceeded, "Put on a full queue must give up when its deadline passes")
		synctest.Wait()
		select {
		case err := <-joined:
			require.NoError(t, err)
		default:
			t.Fatal("a Put gave up on a queue with no other unfinished task, and Join kept waiting: when the Put " +
				"undoes its task and the count is back to zero, it must wake every Join, like the last TaskDone " +
				"(call TaskDone, or close the idle channel, on the undo path)")
		}
	})
}
