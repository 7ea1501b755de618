package prodcons

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gocourse/week11/internal/coursetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const stuckHint = "Run got stuck, or returned leaving goroutines blocked: do consumers stop when the channel is " +
	"closed and on ctx.Done()? Does emit give up on ctx.Done()? Is the channel closed after the last producer " +
	"returns? Does Run wait for every goroutine it started?"

// returned reports whether a goroutine has already sent its result on the buffered channel ch.
func returned[T any](ch chan T) bool { return len(ch) > 0 }

// counting makes n producers; producer p emits p*perProducer .. p*perProducer+perProducer-1 in order.
func counting(n, perProducer int, emitErrs *atomic.Int64) []Producer[int] {
	ps := make([]Producer[int], n)
	for p := range ps {
		ps[p] = func(ctx context.Context, emit func(int) error) error {
			for i := range perProducer {
				if err := emit(p*perProducer + i); err != nil {
					emitErrs.Add(1)
					return err
				}
			}
			return nil
		}
	}
	return ps
}

func TestEveryItemConsumedExactlyOnce(t *testing.T) {
	cases := []struct {
		name                              string
		producers, consumers, perProducer int
	}{
		{"no producers", 0, 3, 0},
		{"1 producer, 1 consumer", 1, 1, 5000},
		{"1 producer, 8 consumers", 1, 8, 5000},
		{"8 producers, 1 consumer", 8, 1, 1000},
		{"16 producers, 4 consumers", 16, 4, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			coursetest.CheckLeaks(t)
			total := tc.producers * tc.perProducer
			seen := make([]atomic.Int32, total)
			var emitErrs, outOfOrder atomic.Int64
			last := make([]int, tc.producers) // only touched with one consumer
			for i := range last {
				last[i] = -1
			}
			consume := func(_ context.Context, v int) error {
				seen[v].Add(1)
				if tc.consumers == 1 {
					p, i := v/tc.perProducer, v%tc.perProducer
					if i < last[p] {
						outOfOrder.Add(1)
					}
					last[p] = i
				}
				return nil
			}
			var err error
			coursetest.Within(t, func() {
				err = Run(context.Background(), counting(tc.producers, tc.perProducer, &emitErrs), tc.consumers, consume)
			}, "Run with %d producers and %d consumers never returned: %s", tc.producers, tc.consumers, stuckHint)

			require.NoError(t, err, "Run with producers and consumers that never fail must return nil")
			require.Zero(t, emitErrs.Load(), "emit returned an error although nothing failed or was cancelled")
			for v := range seen {
				if n := seen[v].Load(); n != 1 {
					t.Fatalf("item %d was consumed %d times, want exactly once (lost or duplicated item)", v, n)
				}
			}
			if tc.consumers == 1 {
				assert.Zero(t, outOfOrder.Load(),
					"with one consumer, each producer's items must be consumed in the order it emitted them")
			}
		})
	}

	for _, consumers := range []int{0, -1} {
		t.Run(fmt.Sprintf("%d consumers", consumers), func(t *testing.T) {
			coursetest.Bubble(t, fmt.Sprintf("Run with %d consumers blocked: it must panic when consumers < 1, not "+
				"wait for a consumer that will never come", consumers), func(t *testing.T) {
				require.Panics(t, func() {
					_ = Run(context.Background(), counting(1, 1, new(atomic.Int64)), consumers,
						func(context.Context, int) error { return nil })
				}, "Run with %d consumers must panic (consumers < 1): nobody would ever take an item", consumers)
			})
		})
	}
}

func TestProducersAndConsumersRunConcurrently(t *testing.T) {
	coursetest.CheckLeaks(t)
	const producers, consumers, perProducer = 4, 6, 50

	var producersIn, producersOut atomic.Int64
	allProducersIn := make(chan struct{})
	allProducersOut := make(chan struct{})
	ps := make([]Producer[int], producers)
	for p := range ps {
		ps[p] = func(ctx context.Context, emit func(int) error) error {
			defer func() {
				if producersOut.Add(1) == producers {
					close(allProducersOut)
				}
			}()
			if producersIn.Add(1) == producers {
				close(allProducersIn)
			}
			<-allProducersIn // every producer waits until all have started
			for i := range perProducer {
				if err := emit(p*perProducer + i); err != nil {
					return err
				}
			}
			return nil
		}
	}

	var hw coursetest.HighWater
	var consumersIn, consumed atomic.Int64
	allConsumersIn := make(chan struct{})
	consume := func(_ context.Context, v int) error {
		hw.Enter()
		defer hw.Exit()
		if consumersIn.Add(1) == consumers {
			close(allConsumersIn)
		}
		select {
		case <-allConsumersIn: // the first calls wait until `consumers` of them run at once
		case <-allProducersOut: // (cannot happen while consumers are blocked, unless items were lost)
		}
		consumed.Add(1)
		return nil
	}

	var err error
	coursetest.Within(t, func() { err = Run(context.Background(), ps, consumers, consume) },
		"Run with %d producers and %d consumers never finished. Every producer waits until all %d have started, "+
			"and the first consume calls wait until %d run at once: are they all on their own goroutines?",
		producers, consumers, producers, consumers)
	require.NoError(t, err)
	assert.Equal(t, int64(producers*perProducer), consumed.Load(), "items consumed")
	assert.Equal(t, int64(consumers), hw.Max(), "most consume calls at once should equal the number of consumers")
}

func TestEmitWaitsForAConsumer(t *testing.T) {
	t.Run("until a consumer takes the item", func(t *testing.T) {
		coursetest.Bubble(t, stuckHint, func(t *testing.T) {
			var emitted atomic.Int64
			producer := func(ctx context.Context, emit func(int) error) error {
				for i := range 3 {
					if err := emit(i); err != nil {
						return err
					}
					emitted.Add(1)
				}
				return nil
			}
			busy := make(chan struct{})
			var mu sync.Mutex
			var got []int
			consume := func(_ context.Context, v int) error {
				if v == 0 {
					<-busy // the only consumer is busy with item 0
				}
				mu.Lock()
				got = append(got, v)
				mu.Unlock()
				return nil
			}
			runErr := make(chan error, 1)
			go func() { runErr <- Run(context.Background(), []Producer[int]{producer}, 1, consume) }()

			synctest.Wait()
			n := emitted.Load()
			if n != 1 {
				close(busy)
				<-runErr
				t.Fatalf("with the only consumer busy on item 0, %d emit calls returned; want 1 (item 0). emit must "+
					"wait until a consumer takes the item (an unbuffered channel), not queue it or drop it", n)
			}
			close(busy)
			require.NoError(t, <-runErr)
			assert.Equal(t, []int{0, 1, 2}, got, "items consumed, in order")
		})
	})

	t.Run("or until the run is cancelled", func(t *testing.T) {
		coursetest.Bubble(t, "emit kept waiting after the run was cancelled: while it waited to hand over an item, "+
			"the only consumer failed, so nobody will ever take that item. emit must select on ctx.Done() together "+
			"with the send (checking ctx.Err() once before a plain send is not enough)", func(t *testing.T) {
			errBoom := errors.New("boom")
			emitErr := make(chan error, 1)
			producer := func(ctx context.Context, emit func(int) error) error {
				if err := emit(0); err != nil {
					return err
				}
				err := emit(1) // waits: the only consumer is busy with item 0, and then fails
				emitErr <- err
				return err
			}
			gate := make(chan struct{})
			consume := func(_ context.Context, v int) error {
				<-gate
				return errBoom
			}
			runErr := make(chan error, 1)
			go func() { runErr <- Run(context.Background(), []Producer[int]{producer}, 1, consume) }()

			synctest.Wait() // the consumer holds item 0 and emit(1) is waiting
			close(gate)     // now the consumer fails, which cancels the run
			require.ErrorIs(t, <-runErr, errBoom, "Run must return the consumer's error")
			require.ErrorIs(t, <-emitErr, context.Canceled,
				"an emit that was waiting when the run was cancelled must return ctx.Err()")
		})
	})
}

func TestChannelClosedAfterTheLastProducer(t *testing.T) {
	coursetest.Bubble(t, stuckHint, func(t *testing.T) {
		aDone := make(chan struct{})
		release := make(chan struct{})
		lastGate := make(chan struct{})
		quick := func(ctx context.Context, emit func(int) error) error {
			defer close(aDone)
			for i := range 10 {
				if err := emit(i); err != nil {
					return err
				}
			}
			return nil
		}
		slow := func(ctx context.Context, emit func(int) error) error {
			if err := emit(100); err != nil {
				return err
			}
			<-release // still running long after the quick producer has finished
			for i := 101; i <= 110; i++ {
				if err := emit(i); err != nil {
					return err
				}
			}
			return nil
		}
		var mu sync.Mutex
		seen := map[int]int{}
		var runDone atomic.Bool
		var lateCalls atomic.Int64
		consume := func(_ context.Context, v int) error {
			if runDone.Load() {
				lateCalls.Add(1)
			}
			if v == 110 {
				<-lastGate // the very last consume call is slow
			}
			mu.Lock()
			seen[v]++
			mu.Unlock()
			return nil
		}
		runErr := make(chan error, 1)
		go func() {
			err := Run(context.Background(), []Producer[int]{quick, slow}, 3, consume)
			runDone.Store(true)
			runErr <- err
		}()

		<-aDone
		synctest.Wait()
		if returned(runErr) {
			t.Fatalf("Run returned (%v) as soon as the first producer finished, while another was still "+
				"running: close the channel only after EVERY producer has returned", <-runErr)
		}
		close(release)
		synctest.Wait()
		if returned(runErr) {
			close(lastGate)
			t.Fatalf("Run returned (%v) while a consume call was still running: wait for the consumers too",
				<-runErr)
		}
		close(lastGate)
		require.NoError(t, <-runErr)
		assert.Zero(t, lateCalls.Load(), "consume was called after Run returned")
		for _, v := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110} {
			assert.Equal(t, 1, seen[v], "times item %d was consumed", v)
		}
	})
}

func TestErrorOrCancelStopsEveryone(t *testing.T) {
	errBoom := errors.New("boom")
	cases := []struct {
		name           string
		consumeFails   bool
		producerFails  bool
		parentCancels  bool
		wantErr        error
		wantErrMessage string
	}{
		{name: "a consumer fails", consumeFails: true, wantErr: errBoom,
			wantErrMessage: "a consume call returned boom"},
		{name: "a producer fails", producerFails: true, wantErr: errBoom,
			wantErrMessage: "a producer returned boom"},
		{name: "the parent context is cancelled", parentCancels: true, wantErr: context.Canceled,
			wantErrMessage: "the parent context was cancelled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			coursetest.CheckLeaks(t)
			coursetest.Bubble(t, stuckHint, func(t *testing.T) {
				parent, cancel := context.WithCancel(context.Background())
				defer cancel()
				var running atomic.Int64 // producers and consume calls in progress
				var consumed atomic.Int64

				endless := func(failing bool) Producer[int] {
					return func(ctx context.Context, emit func(int) error) error {
						running.Add(1)
						defer running.Add(-1)
						for i := 0; ; i++ {
							if failing && i == 50 {
								return errBoom
							}
							if err := emit(i); err != nil {
								return err
							}
						}
					}
				}
				idle := func(ctx context.Context, emit func(int) error) error {
					running.Add(1)
					defer running.Add(-1)
					<-ctx.Done() // a producer with nothing to emit until the run is cancelled
					return ctx.Err()
				}
				consume := func(ctx context.Context, v int) error {
					running.Add(1)
					defer running.Add(-1)
					switch n := consumed.Add(1); {
					case n == 1:
						<-ctx.Done() // one consume call takes until the run is cancelled
					case n == 50 && tc.consumeFails:
						return errBoom
					case n == 50 && tc.parentCancels:
						cancel()
					}
					return nil
				}

				err := Run(parent, []Producer[int]{endless(tc.producerFails), endless(false), endless(false), idle}, 4, consume)
				left := running.Load()
				require.ErrorIs(t, err, tc.wantErr, "%s: Run must return that error", tc.wantErrMessage)
				require.Zero(t, left, "Run returned while %d producers or consume calls were still running: "+
					"it must wait for every goroutine it started (errgroup's Wait)", left)
			})
		})
	}
}

func TestItemsHandedOverDuringCancelAreConsumed(t *testing.T) {
	// "Every item whose emit returned nil is passed to exactly one consume call" holds on the cancel path
	// too: an item a consumer received while the run was being cancelled must still be consumed. The
	// moment of the cancel is random, so try many rounds.
	coursetest.CheckLeaks(t)
	coursetest.Procs(t, 4)
	const rounds, producers, consumers = 100, 4, 4
	var lost, extra int
	var firstLost int = -1
	coursetest.Within(t, func() {
		for round := range rounds {
			ctx, cancel := context.WithCancel(context.Background())
			var emitted, consumed [producers]atomic.Int64 // items of each producer, counted
			ps := make([]Producer[int], producers)
			for p := range ps {
				ps[p] = func(ctx context.Context, emit func(int) error) error {
					for {
						if err := emit(p); err != nil {
							return err
						}
						emitted[p].Add(1)
					}
				}
			}
			var total atomic.Int64
			consume := func(_ context.Context, p int) error {
				consumed[p].Add(1)
				if total.Add(1) == 50 {
					cancel() // the parent is cancelled while producers and consumers are busy
				}
				return nil
			}
			err := Run(ctx, ps, consumers, consume)
			cancel()
			require.ErrorIs(t, err, context.Canceled, "Run must return ctx.Err() when its parent context is cancelled")
			for p := range producers {
				e, c := emitted[p].Load(), consumed[p].Load()
				if e > c {
					lost += int(e - c)
					if firstLost < 0 {
						firstLost = round
					}
				} else if c > e {
					extra += int(c - e)
				}
			}
		}
	}, "Run never returned after its parent context was cancelled: %s", stuckHint)
	require.Zero(t, lost, "%d items were handed over (emit returned nil) but never consumed, first in round %d of %d: "+
		"a consumer that received an item must pass it to consume, even if the run is being cancelled (checking "+
		"ctx.Err() after the receive drops it)", lost, firstLost+1, rounds)
	require.Zero(t, extra, "%d items were consumed that no emit handed over", extra)
}
