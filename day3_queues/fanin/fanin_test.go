package fanin

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gocourse/week11/internal/coursetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const stuckHint = "a goroutine got stuck: every receive and send must also select on ctx.Done(), and the " +
	"output must be closed once every goroutine that sends on it is done"

// feed returns a channel that yields values and is then closed.
func feed(values []int) <-chan int {
	ch := make(chan int)
	go func() {
		defer close(ch)
		for _, v := range values {
			ch <- v
		}
	}()
	return ch
}

// span returns from, from+1, ..., from+n-1.
func span(from, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = from + i
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
	}, "%s: the output channel was never closed", what)
	return all
}

// merge calls Merge, failing the test within seconds if Merge does not return: it must start its
// goroutines and return the output at once.
func merge(t *testing.T, ins ...<-chan int) <-chan int {
	t.Helper()
	var out <-chan int
	coursetest.Within(t, func() { out = Merge(context.Background(), ins...) }, "Merge did not return: it must start "+
		"the forwarders and a goroutine that waits for them and closes the output (go func() { wg.Wait(); "+
		"close(out) }()), and return out at once. Waiting for the forwarders in Merge itself waits for ever: they "+
		"cannot send before Merge has returned out to a receiver")
	return out
}

func TestMergeDeliversEverything(t *testing.T) {
	for _, inputs := range []int{0, 1, 3, 50} {
		t.Run(fmt.Sprint(inputs, " inputs"), func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t) // a stuck Merge strands goroutines
			if inputs > 0 {
				testMergeDeliversEverything(t, inputs)
				return
			}
			// A bubble reports a Merge of no inputs that never closes its output at once.
			coursetest.Bubble(t, stuckHint, func(t *testing.T) { testMergeDeliversEverything(t, inputs) })
		})
	}
}

func testMergeDeliversEverything(t *testing.T, inputs int) {
	const perInput = 1000
	ins := make([]<-chan int, inputs)
	for i := range ins {
		ins[i] = feed(span(i*perInput, perInput))
	}
	got := collect(t, fmt.Sprintf("Merge of %d inputs", inputs), merge(t, ins...))

	require.Equal(t, inputs*perInput, len(got), "number of values out: Merge must forward every value of every input")
	seen := make([]int, inputs*perInput)
	last := make([]int, inputs)
	for i := range last {
		last[i] = -1
	}
	for _, v := range got {
		seen[v]++
		in := v / perInput
		if v < last[in] {
			t.Fatalf("value %d came after %d from the same input: values from one input must keep their order",
				v, last[in])
		}
		last[in] = v
	}
	for v, n := range seen {
		if n != 1 {
			t.Fatalf("value %d was forwarded %d times, want exactly once", v, n)
		}
	}
}

func TestMergeWaitsForEveryInput(t *testing.T) {
	coursetest.Bubble(t, stuckHint, func(t *testing.T) {
		ins := []chan int{make(chan int), make(chan int), make(chan int)}
		out := Merge(context.Background(), ins[0], ins[1], ins[2])

		for i, in := range ins {
			in <- 10 * i
			require.Equal(t, 10*i, <-out, "the value just sent on input %d", i)
			close(in)
			synctest.Wait()
			select {
			case v, ok := <-out:
				if !ok && i < len(ins)-1 {
					for _, in := range ins[i+1:] {
						close(in) // let the other forwarders finish
					}
					t.Fatalf("Merge closed its output when input %d of %d closed, while others were still open: "+
						"close it only when EVERY input is done (a sync.WaitGroup over the forwarders)", i+1, len(ins))
				}
				require.False(t, ok, "Merge sent %d, which no input sent", v)
			default:
				if i == len(ins)-1 {
					t.Fatal("Merge did not close its output after every input was closed")
				}
			}
		}
	})
}

func TestParallelMapRunsWorkersAtOnce(t *testing.T) {
	for _, workers := range []int{1, 4, 16} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			coursetest.Bubble(t, stuckHint, func(t *testing.T) {
				const items = 2000
				var hw coursetest.HighWater
				release := make(chan struct{})
				out := ParallelMap(context.Background(), feed(span(0, items)), workers,
					func(_ context.Context, v int) string {
						hw.Enter()
						defer hw.Exit()
						<-release
						return fmt.Sprint(v)
					})
				synctest.Wait()
				inside := hw.Current()
				close(release)
				got := map[string]int{}
				for s := range out {
					got[s]++
				}
				require.Equal(t, int64(workers), inside,
					"with every call of f blocked, %d were running at once; want exactly workers = %d", inside, workers)
				require.Equal(t, int64(workers), hw.Max(), "most calls of f running at once")
				require.Equal(t, items, len(got), "number of distinct results: ParallelMap must send one result per input")
				for v := range items {
					if n := got[fmt.Sprint(v)]; n != 1 {
						t.Fatalf("the result for %d was sent %d times, want exactly once", v, n)
					}
				}
			})
		})
	}
	for _, workers := range []int{0, -1} {
		require.Panics(t, func() {
			ParallelMap(context.Background(), make(chan int), workers, func(context.Context, int) int { return 0 })
		}, "ParallelMap with %d workers must panic (workers < 1)", workers)
	}
}

func TestOrderedParallelMapKeepsOrder(t *testing.T) {
	for _, workers := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			coursetest.Bubble(t, stuckHint, func(t *testing.T) {
				const items = 2000
				var hw coursetest.HighWater
				out := OrderedParallelMap(context.Background(), feed(span(0, items)), workers,
					func(_ context.Context, v int) int {
						hw.Enter()
						defer hw.Exit()
						// Uneven (fake) durations, so results are ready out of input order.
						time.Sleep(time.Duration(v*7919%13) * time.Millisecond)
						return v * 2
					})
				var got []int
				for v := range out {
					got = append(got, v)
				}
				require.Equal(t, items, len(got), "number of results: want one per input")
				for i, v := range got {
					if v != 2*i {
						t.Fatalf("result #%d is %d, want %d: results must come out in input order, even when a "+
							"later one is ready first", i, v, 2*i)
					}
				}
				require.Equal(t, int64(workers), hw.Max(),
					"most calls of f running at once: want workers = %d (more is unbounded; fewer is not parallel)",
					workers)
			})
		})
	}

	t.Run("at most workers results wait for a slow one", func(t *testing.T) {
		coursetest.Bubble(t, stuckHint, func(t *testing.T) {
			const workers, items = 3, 100
			release := make(chan struct{})
			var computed atomic.Int64
			out := OrderedParallelMap(context.Background(), feed(span(0, items)), workers,
				func(_ context.Context, v int) int {
					if v == 0 {
						<-release // the first result takes long
					} else {
						computed.Add(1)
					}
					return v
				})
			synctest.Wait()
			waiting := computed.Load()
			close(release)
			var got []int
			for v := range out {
				got = append(got, v)
			}
			require.Equal(t, span(0, items), got, "results, in input order")
			require.LessOrEqual(t, waiting, int64(workers), "while f(0) was still running, %d later results were "+
				"already computed and waiting to be sent; at most workers = %d may wait. Bound the look-ahead: queue "+
				"the result channels on a channel of capacity workers, and hand out an input only when its result "+
				"channel fits in that queue", waiting, workers)
		})
	})

	for _, workers := range []int{0, -1} {
		require.Panics(t, func() {
			OrderedParallelMap(context.Background(), make(chan int), workers, func(context.Context, int) int { return 0 })
		}, "OrderedParallelMap with %d workers must panic (workers < 1)", workers)
	}
}

// probe looks at an output channel without waiting.
func probe(ch <-chan int) (ready, open bool) {
	select {
	case _, ok := <-ch:
		return true, ok
	default:
		return false, false
	}
}

// probeStopped is probe for an output whose goroutines should have stopped: a buffered output may
// still hold values sent before they noticed ctx, so it takes up to cap(ch) of them (letting the
// bubble settle after each) before it looks for the close. Call it inside a synctest bubble.
func probeStopped(ch <-chan int) (ready, open bool) {
	ready, open = probe(ch)
	for taken := 0; ready && open && taken < cap(ch); taken++ {
		synctest.Wait()
		ready, open = probe(ch)
	}
	return ready, open
}

func TestStopOnCancel(t *testing.T) {
	double := func(ctx context.Context, v int) int { return 2 * v }
	funcs := []struct {
		name  string
		start func(ctx context.Context, ins []chan int) <-chan int
	}{
		{"Merge", func(ctx context.Context, ins []chan int) <-chan int {
			return Merge(ctx, ins[0], ins[1], ins[2])
		}},
		{"Merge of a single input", func(ctx context.Context, ins []chan int) <-chan int {
			return Merge(ctx, ins[0])
		}},
		{"ParallelMap", func(ctx context.Context, ins []chan int) <-chan int {
			return ParallelMap(ctx, ins[0], 3, double)
		}},
		{"OrderedParallelMap", func(ctx context.Context, ins []chan int) <-chan int {
			return OrderedParallelMap(ctx, ins[0], 3, double)
		}},
		{"OrderedParallelMap with f waiting for ctx", func(ctx context.Context, ins []chan int) <-chan int {
			return OrderedParallelMap(ctx, ins[0], 3, func(ctx context.Context, v int) int {
				<-ctx.Done()
				return 0
			})
		}},
	}
	situations := []struct {
		name  string
		input func() chan int
	}{
		{"nobody reads the output", func() chan int {
			in := make(chan int, 20)
			for i := range 20 {
				in <- i
			}
			return in
		}},
		{"the inputs never close", func() chan int { return make(chan int) }},
	}
	for _, fn := range funcs {
		for _, sit := range situations {
			t.Run(fn.name+" when "+sit.name, func(t *testing.T) {
				coursetest.Bubble(t, stuckHint, func(t *testing.T) {
					ctx, cancel := context.WithCancel(context.Background())
					ins := []chan int{sit.input(), sit.input(), sit.input()}
					out := fn.start(ctx, ins)
					synctest.Wait() // everything is blocked now: sending, or waiting for input
					cancel()
					synctest.Wait()
					ready, open := probeStopped(out)
					if !ready || open {
						problem := "its output is not closed"
						if ready {
							problem = "it is still sending values"
						}
						for _, in := range ins {
							close(in) // unblock what is stuck so the bubble can end
						}
						for range out {
						}
						t.Fatalf("%s after ctx was cancelled (%s): %s. Its goroutines leak: select on ctx.Done() in "+
							"every send and receive, and close the output when the last goroutine is done",
							fn.name, sit.name, problem)
					}
				})
			})
		}
	}
}

func TestOutputClosedAfterEveryCallOfF(t *testing.T) {
	funcs := []struct {
		name  string
		start func(ctx context.Context, in <-chan int, f func(context.Context, int) int) <-chan int
	}{
		{"ParallelMap", func(ctx context.Context, in <-chan int, f func(context.Context, int) int) <-chan int {
			return ParallelMap(ctx, in, 3, f)
		}},
		{"OrderedParallelMap", func(ctx context.Context, in <-chan int, f func(context.Context, int) int) <-chan int {
			return OrderedParallelMap(ctx, in, 3, f)
		}},
	}
	for _, fn := range funcs {
		t.Run(fn.name, func(t *testing.T) {
			coursetest.Bubble(t, stuckHint, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				in := make(chan int, 10)
				for i := range 10 {
					in <- i
				}
				cleanUp := make(chan struct{})
				var running atomic.Int64
				out := fn.start(ctx, in, func(ctx context.Context, v int) int {
					running.Add(1)
					defer running.Add(-1)
					<-ctx.Done()
					<-cleanUp // f takes a while to stop after ctx ends
					return v
				})
				synctest.Wait() // 3 calls of f wait for ctx to end
				cancel()
				synctest.Wait() // they are cleaning up now

				if ready, open := probe(out); ready {
					what := "closed its output"
					if open {
						what = "sent a result"
					}
					t.Fatalf("%s %s after ctx ended while %d calls of f were still running: the output may be "+
						"closed only when every goroutine that %s started has returned. On cancel too, wait for "+
						"the workers (a sync.WaitGroup) before closing", fn.name, what, running.Load(), fn.name)
				}
				close(cleanUp)
				synctest.Wait()
				ready, open := probeStopped(out)
				require.True(t, ready && !open, "%s did not close its output after ctx ended and every call of f "+
					"returned", fn.name)
			})
		})
	}
}
