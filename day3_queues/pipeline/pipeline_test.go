package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gocourse/week11/internal/coursetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const stuckHint = "a stage got stuck: every receive and every send in a stage must also select on ctx.Done(), " +
	"and the stage's goroutine must close its output channel when it returns"

// upTo returns 0, 1, ..., n-1.
func upTo(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// collect receives everything from ch, failing the test if that takes forever.
func collect[T any](t *testing.T, what string, ch <-chan T) []T {
	t.Helper()
	var all []T
	coursetest.Within(t, func() {
		for v := range ch {
			all = append(all, v)
		}
	}, "%s: the output channel was never closed. Close it (defer close(out)) when the stage's goroutine returns", what)
	return all
}

// generateStuck records that a call of Generate did not return: later tests then fail at once
// instead of waiting for it again.
var generateStuck atomic.Bool

// generate calls Generate, failing the test within seconds if Generate does not return: it must
// start the goroutine that sends and return the channel at once, before anyone receives.
func generate[T any](t *testing.T, ctx context.Context, values ...T) <-chan T {
	t.Helper()
	const why = "Generate did not return: it must start a goroutine (go func() { defer close(out); ... }()) " +
		"that sends the values, and return out at once. Sent inline, the first send waits for a receiver, " +
		"who cannot have the channel before Generate returns"
	if generateStuck.Load() {
		t.Fatalf("%s (seen in an earlier test)", why)
	}
	var ch <-chan T
	returned := false
	defer func() { generateStuck.Store(generateStuck.Load() || !returned) }() // Within's Fatalf ends the test
	coursetest.Within(t, func() { ch = Generate(ctx, values...) }, "%s", why)
	returned = true
	return ch
}

// stage calls start, which builds stages on an input that is ready and returns the last one's output,
// failing the test within seconds if that does not return: like Generate, every stage must start its
// goroutine and return its output at once.
func stage[T any](t *testing.T, what string, start func() <-chan T) <-chan T {
	t.Helper()
	var out <-chan T
	coursetest.Within(t, func() { out = start() }, "%s did not return: a stage must start a goroutine "+
		"(go func() { defer close(out); ... }()) that receives, works and sends, and return out at once. Run "+
		"inline, its first send waits for a receiver, who cannot have the channel before the stage returns", what)
	return out
}

func TestGenerate(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t) // a stuck Generate strands a goroutine
	ctx := context.Background()
	assert.Equal(t, upTo(5000), collect(t, "Generate", generate(t, ctx, upTo(5000)...)), "Generate must yield its values in order")
	assert.Empty(t, collect(t, "Generate with no values", generate[int](t, ctx)), "Generate with no values yields nothing")
	assert.Equal(t, []string{"a", "b"}, collect(t, "Generate", generate(t, ctx, "a", "b")))
}

func TestStagesKeepOrder(t *testing.T) {
	const n = 10000
	square := func(x int) int { return x * x }
	even := func(x int) bool { return x%2 == 0 }
	cases := []struct {
		name  string
		build func(t *testing.T, ctx context.Context) <-chan string
		want  func() []string
	}{
		{"Map", func(t *testing.T, ctx context.Context) <-chan string {
			in := generate(t, ctx, upTo(n)...)
			return stage(t, "Map", func() <-chan string { return Map(ctx, Map(ctx, in, square), strconv.Itoa) })
		}, func() []string {
			var w []string
			for i := range n {
				w = append(w, strconv.Itoa(i*i))
			}
			return w
		}},
		{"Filter", func(t *testing.T, ctx context.Context) <-chan string {
			in := generate(t, ctx, upTo(n)...)
			return stage(t, "Filter or Map", func() <-chan string { return Map(ctx, Filter(ctx, in, even), strconv.Itoa) })
		}, func() []string {
			var w []string
			for i := 0; i < n; i += 2 {
				w = append(w, strconv.Itoa(i))
			}
			return w
		}},
		{"Map, Filter, Filter, Map", func(t *testing.T, ctx context.Context) <-chan string {
			in := generate(t, ctx, upTo(n)...)
			return stage(t, "Map or Filter", func() <-chan string {
				sq := Map(ctx, in, square)
				odd := Filter(ctx, sq, func(x int) bool { return !even(x) })
				big := Filter(ctx, odd, func(x int) bool { return x > 1000 })
				return Map(ctx, big, func(x int) string { return fmt.Sprint("#", x) })
			})
		}, func() []string {
			var w []string
			for i := range n {
				if x := i * i; x%2 == 1 && x > 1000 {
					w = append(w, fmt.Sprint("#", x))
				}
			}
			return w
		}},
		{"Filter that keeps nothing", func(t *testing.T, ctx context.Context) <-chan string {
			in := generate(t, ctx, upTo(n)...)
			return stage(t, "Filter or Map", func() <-chan string {
				return Map(ctx, Filter(ctx, in, func(int) bool { return false }), strconv.Itoa)
			})
		}, func() []string { return nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t) // a stuck Generate strands a goroutine
			got := collect(t, tc.name, tc.build(t, context.Background()))
			want := tc.want()
			require.Equal(t, len(want), len(got), "number of values out of the pipeline")
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("value #%d: want %s, got %s. Stages must keep the order of their input", i, want[i], got[i])
				}
			}
		})
	}
}

func TestBatch(t *testing.T) {
	cases := []struct {
		n, items int
		want     [][]int
	}{
		{3, 0, nil},
		{3, 1, [][]int{{0}}},
		{3, 3, [][]int{{0, 1, 2}}},
		{3, 7, [][]int{{0, 1, 2}, {3, 4, 5}, {6}}},
		{1, 3, [][]int{{0}, {1}, {2}}},
		{4, 8, [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d items in batches of %d", tc.items, tc.n), func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t) // a stuck Generate strands a goroutine
			ctx := context.Background()
			in := generate(t, ctx, upTo(tc.items)...)
			got := collect(t, "Batch", stage(t, "Batch", func() <-chan []int { return Batch(ctx, in, tc.n) }))
			require.Equal(t, tc.want, got, "batches (compared after all were received: each batch must be a "+
				"new slice, not one buffer reused; the last, shorter batch must be sent; no empty batch)")

			// The receiver owns each batch, spare capacity included: append may write there.
			for _, b := range got {
				spare := b[len(b):cap(b)]
				for i := range spare {
					spare[i] = -1
				}
			}
			require.Equal(t, tc.want, got, "appending to one batch changed another: the batches share one "+
				"array (windows on a buffer). Every batch must be a new slice: make([]T, 0, n) for each")
		})
	}

	t.Run("many batches", func(t *testing.T) {
		ctx := context.Background()
		in := generate(t, ctx, upTo(10001)...)
		got := collect(t, "Batch", stage(t, "Batch", func() <-chan []int { return Batch(ctx, in, 10) }))
		require.Equal(t, 1001, len(got), "number of batches")
		for i, b := range got[:1000] {
			require.Equal(t, 10*i, b[0], "first value of batch %d", i)
			require.Equal(t, 10, len(b), "size of batch %d", i)
		}
		assert.Equal(t, []int{10000}, got[1000])
	})

	t.Run("the unfinished batch is dropped when ctx ends", func(t *testing.T) {
		coursetest.Bubble(t, stuckHint, func(t *testing.T) {
			// A receiver is waiting, so a stage that sends its unfinished batch on cancel may pick that
			// send over ctx.Done() at random: try many times.
			for range 32 {
				ctx, cancel := context.WithCancel(context.Background())
				in := make(chan int, 1)
				in <- 7 // one value of a batch of 2, and the input stays open
				var got [][]int
				received := make(chan struct{})
				out := Batch(ctx, in, 2)
				go func() {
					defer close(received)
					for b := range out {
						got = append(got, b)
					}
				}()
				synctest.Wait() // Batch holds [7] and waits for more; the receiver waits for a batch
				cancel()
				<-received
				require.Empty(t, got, "Batch sent its unfinished batch after ctx ended: when ctx ends, the "+
					"unfinished batch is dropped. Only the end of the input flushes the last, shorter batch")
			}
		})
	})

	for _, n := range []int{0, -1} {
		coursetest.Within(t, func() {
			require.Panics(t, func() { Batch(context.Background(), make(chan int), n) },
				"Batch with n = %d must panic (n < 1), at once, before it returns a channel", n)
		}, "Batch with n = %d neither panicked nor returned: it must panic (n < 1) at once, and a stage returns "+
			"its output at once and receives on its own goroutine", n)
	}
}

// probe looks at a stage's output channel without knowing its element type.
type probe struct {
	try      func() (ready, open bool) // a receive that does not wait
	drain    func()                    // receive until closed
	capacity int                       // the output's buffer size: values it may hold after the stage ended
}

func probeOf[T any](ch <-chan T) probe {
	return probe{
		try: func() (bool, bool) {
			select {
			case _, ok := <-ch:
				return true, ok
			default:
				return false, false
			}
		},
		drain: func() {
			for range ch {
			}
		},
		capacity: cap(ch),
	}
}

func TestStagesStopOnCancel(t *testing.T) {
	stages := []struct {
		name  string
		start func(ctx context.Context, in <-chan int) probe
	}{
		{"Generate", func(ctx context.Context, _ <-chan int) probe { return probeOf(Generate(ctx, upTo(100)...)) }},
		{"Map", func(ctx context.Context, in <-chan int) probe {
			return probeOf(Map(ctx, in, strconv.Itoa))
		}},
		{"Filter", func(ctx context.Context, in <-chan int) probe {
			return probeOf(Filter(ctx, in, func(int) bool { return true }))
		}},
		{"Filter that keeps nothing", func(ctx context.Context, in <-chan int) probe {
			return probeOf(Filter(ctx, in, func(int) bool { return false }))
		}},
		{"Batch", func(ctx context.Context, in <-chan int) probe { return probeOf(Batch(ctx, in, 2)) }},
	}
	situations := []struct {
		name   string
		input  func() chan int
		closed bool // the input is closed already
	}{
		// The stage has values to send, but nobody receives from its output any more.
		{"nobody reads the output", func() chan int {
			in := make(chan int, 10)
			for i := range 10 {
				in <- i
			}
			return in
		}, false},
		// The stage waits for input that never comes: its input is never closed.
		{"the input never closes", func() chan int { return make(chan int) }, false},
		// One value came, then nothing more: Batch holds an unfinished batch.
		{"one value came and the input stays open", func() chan int {
			in := make(chan int, 1)
			in <- 0
			return in
		}, false},
		// The input has ended, so Batch sends its last, shorter batch; but nobody reads it.
		{"the input closed and nobody reads the output", func() chan int {
			in := make(chan int, 1)
			in <- 0
			close(in)
			return in
		}, true},
	}
	for _, st := range stages {
		for _, sit := range situations {
			if st.name == "Generate" && sit.name != "nobody reads the output" {
				continue // Generate has no input
			}
			t.Run(st.name+" when "+sit.name, func(t *testing.T) {
				coursetest.Bubble(t, stuckHint, func(t *testing.T) {
					ctx, cancel := context.WithCancel(context.Background())
					in := sit.input()
					p := st.start(ctx, in)
					synctest.Wait() // the stage is now blocked: sending, or waiting for input
					cancel()
					synctest.Wait() // give it every chance to notice

					// A stage that stopped has closed its output. A buffered output may still hold values sent
					// before the stage noticed ctx: take those (at most the buffer's size) before the close.
					ready, open := p.try()
					for taken := 0; ready && open && taken < p.capacity; taken++ {
						synctest.Wait()
						ready, open = p.try()
					}
					if !ready || open {
						problem := "its output channel is not closed: it is still blocked"
						if ready {
							problem = "it is still sending values"
						}
						if !sit.closed {
							close(in) // unblock the stuck goroutine so the bubble can end
						}
						p.drain()
						t.Fatalf("%s after ctx was cancelled (%s), %s. The stage's goroutine leaks: select on "+
							"ctx.Done() in every send and receive, and close the output when it returns",
							st.name, sit.name, problem)
					}
				})
			})
		}
	}
}

func TestCollect(t *testing.T) {
	coursetest.CheckLeaks(t)
	ctx := context.Background()
	var got []int
	var err error
	coursetest.Within(t, func() { got, err = Collect(ctx, Generate(ctx, upTo(3000)...)) },
		"Collect never returned although its input was closed")
	require.NoError(t, err)
	require.Equal(t, upTo(3000), got, "Collect must return every value in order")

	coursetest.Bubble(t, "Collect never returned: it must stop when ctx ends, even if the input never closes",
		func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			in := make(chan int)
			type result struct {
				vals []int
				err  error
			}
			done := make(chan result, 1)
			go func() {
				v, err := Collect(ctx, in)
				done <- result{v, err}
			}()
			in <- 1
			in <- 2
			synctest.Wait()
			require.Zero(t, len(done), "Collect returned while its input was still open and ctx alive")
			cancel()
			r := <-done
			assert.ErrorIs(t, r.err, context.Canceled, "Collect must return ctx.Err() when ctx ends first")
			assert.Equal(t, []int{1, 2}, r.vals, "Collect must return the values received before ctx ended")
		})
}
