package future

import (
	"context"
	"errors"
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

type outcome struct {
	v   int
	err error
}

// resultAsync calls f.Result(ctx) on a new goroutine and delivers its outcome on the returned channel.
func resultAsync(ctx context.Context, f *Future[int]) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		v, err := f.Result(ctx)
		ch <- outcome{v, err}
	}()
	return ch
}

func TestResultWaitsForCompletion(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		v    int
		err  error
	}{{"value", 42, nil}, {"error", 0, boom}, {"value and error", 7, boom}} {
		t.Run(tc.name, func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			coursetest.Bubble(t, "Result did not return after Complete: close the done channel when the future completes", func(t *testing.T) {
				f := New[int]()
				got := resultAsync(t.Context(), f)
				synctest.Wait()
				select {
				case o := <-got:
					t.Fatalf("Result returned (%d, %v) before the future was completed: it must wait", o.v, o.err)
				default:
				}
				require.True(t, f.Complete(tc.v, tc.err), "Complete on a pending future must report true")
				synctest.Wait()
				select {
				case o := <-got:
					assert.Equal(t, tc.v, o.v, "Result's value must be the one given to Complete")
					assert.Equal(t, tc.err, o.err, "Result's error must be the one given to Complete")
				default:
					t.Fatal("Result still waits after Complete: Complete must close the done channel")
				}
				v, err := f.Result(t.Context())
				assert.Equal(t, tc.v, v, "a second Result call must return the same value")
				assert.Equal(t, tc.err, err, "a second Result call must return the same error")
			})
		})
	}
}

func TestResultHonoursContext(t *testing.T) {
	t.Run("deadline while waiting", func(t *testing.T) {
		coursetest.CheckLeaksIfPassing(t)
		coursetest.Bubble(t, "Result kept waiting after its ctx ended: select on ctx.Done() too", func(t *testing.T) {
			f := New[int]()
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			got := resultAsync(ctx, f)
			time.Sleep(time.Second + time.Millisecond) // fake time: ctx's deadline has passed
			synctest.Wait()
			select {
			case o := <-got:
				assert.ErrorIs(t, o.err, context.DeadlineExceeded, "Result must return ctx.Err() when ctx ends first")
				assert.Zero(t, o.v, "Result must return the zero value when ctx ends first")
			default:
				t.Fatal("Result kept waiting after its ctx's deadline passed: select on ctx.Done() as well as the done channel")
			}
		})
	})
	t.Run("ctx cancelled before the call", func(t *testing.T) {
		coursetest.CheckLeaksIfPassing(t)
		coursetest.Bubble(t, "Result with an already cancelled ctx blocked: select on ctx.Done() too", func(t *testing.T) {
			f := New[int]()
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			got := resultAsync(ctx, f)
			synctest.Wait()
			select {
			case o := <-got:
				assert.ErrorIs(t, o.err, context.Canceled, "Result with a cancelled ctx on a pending future must return ctx.Err()")
			default:
				t.Fatal("Result with an already cancelled ctx blocked on a pending future: select on ctx.Done() too")
			}
		})
	})
	t.Run("done future wins over ended ctx", func(t *testing.T) {
		f := New[int]()
		f.Complete(5, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for range 200 { // a select between two ready cases picks at random: repeat until it cannot hide
			v, err := f.Result(ctx)
			require.NoError(t, err, "Result on a done future must return its outcome even if ctx has ended: "+
				"check the done channel on its own before the select with ctx.Done()")
			require.Equal(t, 5, v)
		}
	})
}

func TestDoneChannel(t *testing.T) {
	f := New[int]()
	d := f.Done()
	require.NotNil(t, d, "Done must return a channel made by New, not nil")
	assert.Equal(t, d, f.Done(), "Done must return the same channel on every call")
	select {
	case <-d:
		t.Fatal("Done is closed on a pending future")
	default:
	}
	require.True(t, f.Start(), "Start on a new future must report true")
	select {
	case <-d:
		t.Fatal("Done is closed on a running future; it closes only when the future completes")
	default:
	}
	f.Complete(1, nil)
	select {
	case <-d:
	default:
		t.Fatal("Done is still open after Complete: close it when the future becomes done")
	}
}

func TestCompleteIsFinal(t *testing.T) {
	f := New[int]()
	boom := errors.New("boom")
	require.True(t, f.Complete(1, nil), "the first Complete must report true")
	assert.False(t, f.Complete(2, boom), "a second Complete must report false")
	assert.False(t, f.Cancel(), "Cancel on a done future must report false")
	assert.False(t, f.Start(), "Start on a done future must report false")
	v, err := f.Result(context.Background())
	assert.Equal(t, 1, v, "the first outcome is final: a second Complete must not replace the value")
	assert.NoError(t, err, "the first outcome is final: a second Complete must not replace the error")
}

func TestCallbackAddedBeforeCompletion(t *testing.T) {
	f := New[int]()
	var order []int
	var seen []outcome
	for i := range 3 {
		f.AddDoneCallback(func(g *Future[int]) {
			order = append(order, i)
			assert.Same(t, f, g, "a callback is called with its own future")
			v, err := g.Result(context.Background())
			seen = append(seen, outcome{v, err})
		})
	}
	assert.Empty(t, order, "callbacks ran before the future was done")
	f.Start()
	assert.Empty(t, order, "callbacks ran when the future started; they run when it is done")
	coursetest.Within(t, func() { f.Complete(9, nil) },
		"Complete blocked while running callbacks: run them after releasing the lock (a callback may call Result)")
	assert.Equal(t, []int{0, 1, 2}, order, "Complete must run every callback added before, once each, in the order they were added")
	for _, o := range seen {
		assert.Equal(t, outcome{9, nil}, o, "inside a callback, Result must already return the outcome")
	}
	f.Complete(10, nil)
	f.Cancel()
	assert.Equal(t, []int{0, 1, 2}, order, "callbacks ran again on a later Complete or Cancel: each runs exactly once")
}

func TestCallbackAddedAfterCompletionRunsAtOnce(t *testing.T) {
	f := New[int]()
	f.Complete(3, nil)
	calls := 0
	coursetest.Within(t, func() {
		f.AddDoneCallback(func(g *Future[int]) {
			calls++
			// A callback may call the future's methods, including AddDoneCallback itself.
			g.AddDoneCallback(func(*Future[int]) { calls += 10 })
		})
	}, "AddDoneCallback on a done future blocked: run the callback after releasing the lock")
	assert.Equal(t, 11, calls, "a callback added to a done future must run at once, before AddDoneCallback returns "+
		"(calls: 1 per outer callback, 10 per nested one)")
	f.Complete(4, nil)
	assert.Equal(t, 11, calls, "a callback added after completion ran again on a later Complete: it runs exactly once")
}

func TestCallbackMayCallFutureMethods(t *testing.T) {
	f := New[int]()
	var inner atomic.Int32
	f.AddDoneCallback(func(g *Future[int]) {
		g.AddDoneCallback(func(*Future[int]) { inner.Add(1) })
		g.Cancel()
		g.Complete(0, nil)
	})
	coursetest.Within(t, func() { f.Complete(1, nil) },
		"Complete deadlocked: a callback called the future's methods while Complete still held the lock; run callbacks after Unlock")
	assert.EqualValues(t, 1, inner.Load(), "a callback added from inside a callback (the future is done) must run at once")
}

// TestCallbacksRaceCompletion adds callbacks from many goroutines while another completes the
// future, round after round: every callback must run exactly once, whichever side wins the race.
func TestCallbacksRaceCompletion(t *testing.T) {
	const rounds, adders = 300, 8
	coursetest.CheckLeaksIfPassing(t)
	for r := range rounds {
		f := New[int]()
		var calls [adders]atomic.Int32
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range adders {
			wg.Go(func() {
				<-start
				f.AddDoneCallback(func(*Future[int]) { calls[i].Add(1) })
			})
		}
		wg.Go(func() {
			<-start
			f.Complete(r, nil)
		})
		close(start)
		if !coursetest.Within(t, wg.Wait, "round %d: AddDoneCallback or Complete blocked", r) {
			return
		}
		for i := range adders {
			if c := calls[i].Load(); c != 1 {
				t.Fatalf("round %d: a callback added while another goroutine completed the future ran %d times, want exactly 1: "+
					"decide under the lock whether the future is done, and never both append and run", r, c)
			}
		}
	}
}

func TestCancel(t *testing.T) {
	t.Run("pending", func(t *testing.T) {
		f := New[int]()
		var cbErr error
		calls := 0
		f.AddDoneCallback(func(g *Future[int]) { calls++; _, cbErr = g.Result(context.Background()) })
		var cancelled bool
		coursetest.Within(t, func() { cancelled = f.Cancel() }, "Cancel blocked while running callbacks: run them "+
			"after releasing the lock, as Complete does (a callback may call Result)")
		require.True(t, cancelled, "Cancel on a pending future must report true")
		assert.Equal(t, 1, calls, "Cancel must run the callbacks")
		assert.ErrorIs(t, cbErr, ErrCancelled, "inside the callback, Result of a cancelled future must return ErrCancelled")
		select {
		case <-f.Done():
		default:
			t.Fatal("Done is still open after Cancel: a cancelled future is done")
		}
		_, err := f.Result(context.Background())
		assert.ErrorIs(t, err, ErrCancelled, "Result of a cancelled future must return ErrCancelled")
		assert.False(t, f.Start(), "Start on a cancelled future must report false: the work must not run")
		assert.False(t, f.Complete(1, nil), "Complete on a cancelled future must report false")
		assert.False(t, f.Cancel(), "a second Cancel must report false")
		assert.Equal(t, 1, calls, "callbacks ran again after the future was cancelled: each runs exactly once")
		_, err = f.Result(context.Background())
		assert.ErrorIs(t, err, ErrCancelled, "Complete after Cancel must not replace ErrCancelled")
	})
	t.Run("running", func(t *testing.T) {
		f := New[int]()
		require.True(t, f.Start())
		assert.False(t, f.Cancel(), "Cancel on a running future must report false: only a pending future can be cancelled")
		select {
		case <-f.Done():
			t.Fatal("Cancel on a running future closed Done; it must change nothing")
		default:
		}
		assert.False(t, f.Start(), "Start on a running future must report false")
		require.True(t, f.Complete(8, nil), "Complete on a running future must report true")
		v, err := f.Result(context.Background())
		assert.NoError(t, err)
		assert.Equal(t, 8, v)
	})
	t.Run("races Start", func(t *testing.T) {
		coursetest.CheckLeaksIfPassing(t)
		for r := range 300 {
			f := New[int]()
			start := make(chan struct{})
			var started, cancelled atomic.Bool
			var wg sync.WaitGroup
			wg.Go(func() { <-start; started.Store(f.Start()) })
			wg.Go(func() { <-start; cancelled.Store(f.Cancel()) })
			close(start)
			if !coursetest.Within(t, wg.Wait, "round %d: Start or Cancel blocked", r) {
				return
			}
			if started.Load() == cancelled.Load() {
				t.Fatalf("round %d: Start reported %v and Cancel reported %v, racing on a pending future: exactly one must win",
					r, started.Load(), cancelled.Load())
			}
		}
	})
}
