package fileproc

// Tests of cancellation in the states TestCancelStopsPromptly does not reach: a cancel in the middle
// of a flush, a read that does not watch ctx, a worker or a walker still busy after the cancel, and a
// cancel before the start, many times over.

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocourse/week11/internal/coursetest"
)

// TestCancelStopsAFlushUnderWay holds the first file back until eleven results wait behind it, then
// cancels the run from inside the first emit: the emitter, which is then flushing the waiting
// results, must emit none of them.
func TestCancelStopsAFlushUnderWay(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	root := flatTree(t, 12)
	want := truth(t, root, Options{Hash: true}, nil)
	coursetest.Bubble(t, "Run did not return after its context was cancelled from inside emit", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		release := make(chan struct{})
		op := &opener{gate: func(p string) <-chan struct{} {
			if p == want[0].Path {
				return release
			}
			return nil
		}}
		rec := &recorder{stopped: &op.stopped}
		emit := func(r Result) {
			rec.emit(r)
			if !op.stopped.Load() {
				op.stopped.Store(true)
				cancel() // Ctrl-C while the emitter is passing on a run of waiting results
			}
		}
		var sum Summary
		var err error
		done := make(chan struct{})
		go func() {
			sum, err = Run(ctx, root, Options{Hash: true, Workers: 3, Open: op.Open}, emit)
			close(done) // not deferred: a panic must end the binary with its own message, not look like a return
		}()
		synctest.Wait() // files 1 to 11 are done and wait behind file 0
		close(release)
		<-done
		assert.ErrorIs(t, err, context.Canceled, "Run must return ctx.Err() when ctx ended the run")
		if rec.late > 0 {
			t.Errorf("%d of the %d results waiting behind the first file were emitted after the cancel, which came inside "+
				"the first emit: check ctx.Err() right before each emit, not once per result received", rec.late, len(want)-1)
			return
		}
		compareResults(t, want[:1], rec.results(), "the results emitted before the cancel")
		checkSummary(t, summaryOf(want[:1]), sum, "the partial Summary counts exactly what was emitted")
	})
}

// TestCancelGivesUpTheFileBeingRead cancels the run while the first read of a five-chunk file is in
// progress, a read that does not watch ctx itself (a slow disk): once it returns, process must see
// the cancel and read no more of the file.
func TestCancelGivesUpTheFileBeingRead(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	root := t.TempDir()
	writeFile(t, root, "big.bin", bytes.Repeat([]byte("x"), 5*ChunkSize))
	coursetest.Bubble(t, "Run did not return after its context was cancelled during a read", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		release := make(chan struct{})
		op := &opener{gate: func(string) <-chan struct{} { return release }} // no ctx: the read waits for release alone
		rec := &recorder{stopped: &op.stopped}
		run := start(ctx, root, Options{Hash: true, Workers: 1, Open: op.Open}, rec)
		synctest.Wait() // the first read is in progress
		op.stopped.Store(true)
		cancel()
		close(release)
		<-run.done
		assert.ErrorIs(t, run.err, context.Canceled, "Run must return ctx.Err() when ctx ended the run")
		if n := op.lateReads.Load(); n > 0 {
			t.Errorf("%d more reads of a 5-chunk file were made after the cancel: pass the run's ctx to p.process "+
				"(it checks ctx before each chunk), not context.Background() or a context of your own", n)
		}
		assert.Zero(t, rec.late, "results emitted after ctx was cancelled")
		assert.Empty(t, op.stillOpen(), "files left open after Run returned")
	})
}

// TestRunWaitsForWorkersAfterCancel cancels the run while two files are being read: one read gives
// up at the cancel, the other (a slow disk) only when the test lets it. Run must not return before
// that second worker has.
func TestRunWaitsForWorkersAfterCancel(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	root := flatTree(t, 12)
	want := truth(t, root, Options{Hash: true}, nil)
	coursetest.Bubble(t, "Run did not return after its context was cancelled and every read was released", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		release := make(chan struct{})
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		defer free()
		slow := want[0].Path
		op := &opener{ctx: ctx, deaf: map[string]bool{slow: true}, gate: func(p string) <-chan struct{} {
			if p == slow || p == want[1].Path {
				return release
			}
			return nil
		}}
		rec := &recorder{stopped: &op.stopped}
		run := start(ctx, root, Options{Hash: true, Workers: 2, Open: op.Open}, rec)
		synctest.Wait() // both workers are reading
		require.EqualValues(t, 2, op.open.Current(), "with Workers = 2 and every read blocked, two files should be open")
		op.stopped.Store(true)
		cancel()
		synctest.Wait() // the second read gave up; the first is still in progress
		select {
		case <-run.done:
			t.Errorf("Run returned while a worker was still reading %s: after a cancel, keep receiving results until "+
				"the results channel is closed (after the last worker), on Run's goroutine, and only then return",
				strings.TrimPrefix(slow, root+string(filepath.Separator)))
		default:
		}
		free()
		<-run.done
		assert.ErrorIs(t, run.err, context.Canceled, "Run must return ctx.Err() when ctx ended the run")
		assert.Zero(t, rec.late, "results emitted after ctx was cancelled")
	})
}

// TestWalkerStopsOnCancel cancels the run while the walker waits to hand out a job (every worker is
// reading a file), and watches the walk through walkDir: after the cancel the walker must visit no
// more of the tree, and Run must return only after walkDir has.
func TestWalkerStopsOnCancel(t *testing.T) {
	root := flatTree(t, 60)
	want := truth(t, root, Options{Hash: true}, nil)
	const workers = 2
	for _, held := range []bool{false, true} {
		name := "the walk goes no further"
		if held {
			name = "Run returns after the walker"
		}
		t.Run(name, func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			coursetest.Bubble(t, "Run did not return after its context was cancelled mid-walk", func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				var hold chan struct{}
				var once sync.Once
				if held {
					hold = make(chan struct{}) // walkDir returns only once it is closed
					defer once.Do(func() { close(hold) })
				}
				never := make(chan struct{})
				op := &opener{ctx: ctx, gate: func(string) <-chan struct{} { return never }} // reads end with ctx
				w := watchWalk(t, &op.stopped, hold)
				rec := &recorder{stopped: &op.stopped}
				run := start(ctx, root, Options{Hash: true, Workers: workers, Open: op.Open}, rec)
				synctest.Wait() // both workers are reading; the walker waits to send the next job
				w.requireWalkWatched(t)
				op.stopped.Store(true)
				cancel()
				if held {
					synctest.Wait() // everything that can finish without the walker has
					select {
					case <-run.done:
						t.Errorf("Run returned while the walker was still running (walkDir had not returned): " +
							"receive the walker's error (or wait for it) before returning, also after a cancel")
					default:
					}
					once.Do(func() { close(hold) })
				}
				<-run.done
				assert.ErrorIs(t, run.err, context.Canceled, "Run must return ctx.Err() when ctx ended the run")
				if n := w.lateVisits.Load(); n > workers+1 {
					t.Errorf("after ctx was cancelled, the walker went on to visit %d more entries of the tree (%d files): send "+
						"each job in a select that also waits for ctx.Done(), and return ctx.Err() from the walkDir callback then",
						n, len(want))
				}
				if !t.Failed() {
					assert.True(t, w.returned.Load(), "Run returned before walkDir did: wait for the walker")
				}
				assert.Zero(t, op.lateOpens.Load(), "files opened after ctx was cancelled")
				assert.Zero(t, rec.late, "results emitted after ctx was cancelled")
			})
		})
	}
}

// TestCancelBeforeStartOpensNothing runs many times with a context cancelled before Run starts.
// There a worker holding a job can find both cases of its slot select ready, and select picks one at
// random: only a ctx.Err() check after taking the slot keeps every run from opening a file.
func TestCancelBeforeStartOpensNothing(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	root := flatTree(t, 9)
	const rounds = 200 // a wrong solution opens a file in about one round in six: it passes 200 rounds about once in 10^15
	for round := range rounds {
		coursetest.Bubble(t, "Run did not return when its context was cancelled before it started", func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			op := &opener{}
			op.stopped.Store(true)
			cancel()
			rec := &recorder{stopped: &op.stopped}
			sum, err := Run(ctx, root, Options{Hash: true, Workers: 3, Open: op.Open}, rec.emit)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("round %d of %d: Run returned %v, want context.Canceled: a cancelled ctx is Run's error", round+1, rounds, err)
			}
			if n := op.lateOpens.Load(); n > 0 || rec.late > 0 || sum != (Summary{}) {
				t.Fatalf("round %d of %d, with ctx cancelled before Run started: %d files opened, %d results emitted, Summary %+v; "+
					"want none: after taking a slot, check ctx.Err() once more before opening (when both cases of a select "+
					"are ready, it picks one at random), and check it before each emit", round+1, rounds, n, rec.late, sum)
			}
		})
	}
}
