package fileproc

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gocourse/week11/internal/coursetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestResultsMatchSequentialTruth runs every mode over a nested tree and compares what Run emits,
// and its Summary, with the same work done sequentially by the test.
func TestResultsMatchSequentialTruth(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	root := standardTree(t)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"hash", Options{Hash: true, Workers: 4, MaxOpen: 2}},
		{"count", Options{Count: true, Workers: 4, MaxOpen: 4}},
		{"substring search", Options{Grep: "needle", Workers: 3}},
		{"regexp search", Options{Grep: `needle[s ]|Ne+dle`, Regexp: true, Workers: 4, MaxOpen: 3}},
		{"everything at once", Options{Hash: true, Count: true, Grep: "needle", Workers: 5, MaxOpen: 2}},
		{"one worker", Options{Hash: true, Count: true, Workers: 1}},
		{"more workers than files", Options{Hash: true, Workers: 400, MaxOpen: 400}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := &opener{}
			o := tc.opts
			o.Open = op.Open
			want := truth(t, root, o, nil)
			rec, sum, err := runAll(t, t.Context(), root, o)
			require.NoError(t, err, "Run returns an error only when the root cannot be walked or ctx ends the run; files that fail are results")
			compareResults(t, want, rec.results(), tc.name)
			checkSummary(t, summaryOf(want), sum, "the Summary must count exactly the results emitted (Summary.Add each one)")
			assert.Empty(t, op.stillOpen(), "files left open after Run returned: every file opened must be closed")
		})
	}
	t.Run("root is a file", func(t *testing.T) {
		file := filepath.Join(root, "a.txt")
		rec, sum, err := runAll(t, t.Context(), file, Options{Hash: true})
		require.NoError(t, err)
		compareResults(t, truth(t, file, Options{Hash: true}, nil), rec.results(), "a file as the root")
		assert.Equal(t, 1, sum.Files)
	})
	t.Run("empty directory", func(t *testing.T) {
		rec, sum, err := runAll(t, t.Context(), t.TempDir(), Options{Hash: true, Workers: 3})
		require.NoError(t, err)
		assert.Empty(t, rec.results(), "an empty directory has no files to report")
		assert.Equal(t, Summary{}, sum)
	})
	t.Run("missing root", func(t *testing.T) {
		rec, _, err := runAll(t, t.Context(), filepath.Join(root, "no-such-dir"), Options{Hash: true, Workers: 3})
		assert.ErrorIs(t, err, fs.ErrNotExist, "a root that cannot be walked is Run's error (newJob returns it as fatal: return it from the walk)")
		assert.Empty(t, rec.results())
	})
	t.Run("invalid regexp", func(t *testing.T) {
		op := &opener{}
		rec, _, err := runAll(t, t.Context(), root, Options{Grep: "(", Regexp: true, Open: op.Open})
		assert.Error(t, err, "an invalid -grep regexp must be Run's error, before anything runs (newProcessor checks it)")
		assert.Empty(t, rec.results())
		assert.Zero(t, op.opened.Load(), "no file may be opened when the options are invalid")
	})
}

// TestSymlinkLoopsAreNotFollowed walks a tree whose links point back up the tree: the walk must
// report each link once and never descend through one.
func TestSymlinkLoopsAreNotFollowed(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	root := t.TempDir()
	writeFile(t, root, "top.txt", []byte("top\n"))
	writeFile(t, root, "x/y/deep.txt", []byte("deep\n"))
	symlink(t, root, "x/y/back-to-root", "../..")
	symlink(t, root, "x/loop", ".")
	symlink(t, root, "x/y/file-link", "../../top.txt")
	symlink(t, root, "x/a", "b")
	symlink(t, root, "x/b", "a") // a cycle of two links: neither resolves
	o := Options{Hash: true, Workers: 3}
	want := truth(t, root, o, nil)
	rec, sum, err := runAll(t, t.Context(), root, o)
	require.NoError(t, err)
	compareResults(t, want, rec.results(), "a tree with link loops (links to directories are skipped, never followed)")
	checkSummary(t, summaryOf(want), sum, "the Summary of a tree with link loops")
}

// TestOutputInWalkOrderWhateverTheCompletionOrder makes the files finish in reverse (and in a
// shuffled) order and checks that they are still emitted in walk order.
func TestOutputInWalkOrderWhateverTheCompletionOrder(t *testing.T) {
	root := flatTree(t, 12)
	want := truth(t, root, Options{Hash: true}, nil)
	orders := map[string][]int{"reverse": nil, "shuffled": {5, 2, 11, 0, 7, 3, 9, 1, 10, 4, 8, 6}}
	for i := range want {
		orders["reverse"] = append(orders["reverse"], len(want)-1-i)
	}
	for _, name := range []string{"reverse", "shuffled"} {
		t.Run(name, func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			coursetest.Bubble(t, "Run did not finish after every file was released: is a worker or the emitter stuck?", func(t *testing.T) {
				gates := map[string]chan struct{}{}
				for _, r := range want {
					gates[r.Path] = make(chan struct{})
				}
				op := &opener{gate: func(p string) <-chan struct{} { return gates[p] }}
				run := start(t.Context(), root, Options{Hash: true, Workers: len(want), Open: op.Open}, &recorder{})
				synctest.Wait()
				require.EqualValues(t, len(want), op.open.Current(),
					"with Workers = %d and %d files, every file should be open at once", len(want), len(want))
				for _, i := range orders[name] {
					close(gates[want[i].Path]) // file i finishes now
					synctest.Wait()
				}
				<-run.done
				require.NoError(t, run.err)
				compareResults(t, want, run.rec.results(), "files finished in "+name+" order")
				run.rec.checkEmitNotConcurrent(t)
			})
		})
	}
}

// TestOutputIsStreamed holds one file back and checks that every file before it has already been
// emitted, and no file after it: results are passed on as soon as they can be, not collected.
func TestOutputIsStreamed(t *testing.T) {
	root := flatTree(t, 30)
	want := truth(t, root, Options{Hash: true}, nil)
	for _, tc := range []struct{ slow, workers int }{{0, 2}, {7, 2}, {12, 4}, {29, 3}} {
		t.Run(fmt.Sprintf("file %d slow with %d workers", tc.slow, tc.workers), func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			coursetest.Bubble(t, "Run did not finish after the slow file was released", func(t *testing.T) {
				release := make(chan struct{})
				var once sync.Once
				free := func() { once.Do(func() { close(release) }) }
				defer free() // also when the test fails: Run can then finish
				slow := want[tc.slow].Path
				op := &opener{gate: func(p string) <-chan struct{} {
					if p == slow {
						return release
					}
					return nil
				}}
				rec := &recorder{}
				run := start(t.Context(), root, Options{Hash: true, Workers: tc.workers, Open: op.Open}, rec)
				synctest.Wait() // everything that can finish has finished; the slow file is being read
				got := paths(rec.results())
				for i, p := range got {
					if i >= tc.slow {
						t.Fatalf("%s was emitted while %s, which comes before it in walk order, was still being read: "+
							"emit results in walk order, keeping early ones until every result before them is out", p, slow)
					}
				}
				if len(got) < tc.slow {
					t.Fatalf("while %s (file %d) was still being read, only %d of the %d files before it had been emitted: "+
						"emit each result as soon as every result before it is out, not after the walk (do not collect and sort)",
						slow, tc.slow, len(got), tc.slow)
				}
				free()
				<-run.done
				require.NoError(t, run.err)
				compareResults(t, want, rec.results(), "after the slow file was released")
			})
		})
	}
}

// TestOpenFilesBoundedAndReached blocks every read and counts the files open at once: exactly
// min(Workers, MaxOpen), never more.
func TestOpenFilesBoundedAndReached(t *testing.T) {
	root := flatTree(t, 24)
	want := truth(t, root, Options{Hash: true}, nil)
	for _, tc := range []struct {
		name             string
		workers, maxOpen int
		procs            int // GOMAXPROCS, for the defaults
		limit            int
	}{
		{"MaxOpen below Workers", 8, 3, 0, 3},
		{"Workers below MaxOpen", 2, 8, 0, 2},
		{"equal", 4, 4, 0, 4},
		{"one file at a time", 6, 1, 0, 1},
		{"MaxOpen defaults to Workers", 5, 0, 0, 5},
		{"Workers default to GOMAXPROCS", 0, 0, 3, 3},
		{"Workers default to GOMAXPROCS under MaxOpen", 0, 10, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			if tc.procs > 0 {
				coursetest.Procs(t, tc.procs)
			}
			coursetest.Bubble(t, "Run did not finish after every read was released", func(t *testing.T) {
				release := make(chan struct{})
				var once sync.Once
				free := func() { once.Do(func() { close(release) }) }
				defer free()
				op := &opener{gate: func(string) <-chan struct{} { return release }}
				run := start(t.Context(), root, Options{Hash: true, Workers: tc.workers, MaxOpen: tc.maxOpen, Open: op.Open}, &recorder{})
				synctest.Wait() // every read is blocked: as many files are open as Run allows
				now := op.open.Current()
				switch {
				case now > int64(tc.limit):
					t.Errorf("%d files were open at once with Workers=%d, MaxOpen=%d: at most %d may be (take a slot of a "+
						"semaphore of MaxOpen before opening a file, give it back after closing it; start exactly Workers goroutines)",
						now, tc.workers, tc.maxOpen, tc.limit)
				case now < int64(tc.limit):
					t.Errorf("only %d files were open at once with Workers=%d, MaxOpen=%d, while every read was blocked: "+
						"%d should be (are the workers really running at the same time? is the bound applied to the right number? "+
						"< 1 means the default)", now, tc.workers, tc.maxOpen, tc.limit)
				}
				free()
				<-run.done
				require.NoError(t, run.err)
				assert.LessOrEqual(t, op.open.Max(), int64(tc.limit), "files open at once, at any time of the run")
				compareResults(t, want, run.rec.results(), tc.name)
				assert.Empty(t, op.stillOpen(), "files left open after Run returned")
			})
		})
	}
}

// TestPerFileErrorsDoNotStopTheRun injects every kind of per-file failure (permission denied, a
// file deleted during the walk, a read error, a broken link, an unreadable directory where the
// test is not run as root) and checks that each is reported in its place and the run goes on.
func TestPerFileErrorsDoNotStopTheRun(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	root := standardTree(t)
	at := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	writeFile(t, root, "!first-denied.txt", []byte("walked first\n"))
	writeFile(t, root, "~last-deleted.txt", []byte("walked last\n"))
	writeFile(t, root, "d2/s1/deleted.txt", []byte("gone before it is opened\n"))
	failOpen := map[string]error{
		at("!first-denied.txt"): fs.ErrPermission, // injected: chmod 000 does not stop root
		at("d1/s1/f03.txt"):     syscall.EACCES,
	}
	deleted := map[string]bool{at("~last-deleted.txt"): true, at("d2/s1/deleted.txt"): true}
	failRead := map[string]error{at("big.txt"): errInjected, at("d0/s0/f00.txt"): errInjected}
	if os.Geteuid() != 0 {
		// A real permission error too, where the test is not root (root reads every file).
		writeFile(t, root, "d3/s2/real-denied.txt", []byte("x\n"))
		require.NoError(t, os.Chmod(at("d3/s2/real-denied.txt"), 0))
		require.NoError(t, os.MkdirAll(at("d3/locked"), 0o755))
		writeFile(t, root, "d3/locked/inside.txt", []byte("x\n"))
		require.NoError(t, os.Chmod(at("d3/locked"), 0))
		t.Cleanup(func() { os.Chmod(at("d3/locked"), 0o755) })
	} else {
		t.Log("running as root: chmod 000 does not stop root from reading, so permission errors are injected through Options.Open only")
	}
	o := Options{Hash: true, Count: true, Workers: 3, MaxOpen: 2}
	inject := map[string]error{}
	for p, err := range failOpen {
		inject[p] = err
	}
	for p := range failRead {
		inject[p] = errInjected
	}
	for p := range deleted {
		inject[p] = fs.ErrNotExist
	}
	want := truth(t, root, o, inject)
	failures := summaryOf(want).Failed
	op := &opener{failOpen: failOpen, failRead: failRead, beforeOpen: func(p string) {
		if deleted[p] {
			os.Remove(p) // deleted after the walk listed it, before it was opened
		}
	}}
	o.Open = op.Open
	rec, sum, err := runAll(t, t.Context(), root, o)
	require.NoError(t, err, "per-file errors are results, not Run's error")
	got := rec.results()
	if len(got) < len(want) {
		for i, r := range got {
			if r.Err != nil && i == len(got)-1 {
				t.Fatalf("the run stopped after the error of %s (result %d of %d): a failed file is a result like any "+
					"other; report it and go on", r.Path, i, len(want))
			}
		}
	}
	compareResults(t, want, got, "a tree with failing files")
	checkSummary(t, summaryOf(want), sum, "the Summary must count the %d failed files among the results", failures)
	assert.Empty(t, op.stillOpen(), "files left open after Run returned: close files whose read failed too")
}

// TestCancelStopsPromptly cancels the run in several states and checks that Run returns with the
// context's error, opens and emits nothing after the cancel, and leaves no goroutine behind.
func TestCancelStopsPromptly(t *testing.T) {
	root := flatTree(t, 60)
	want := truth(t, root, Options{Hash: true}, nil)
	for _, tc := range []struct {
		name    string
		workers int
		slow    func(i int) bool // files whose reads block until the cancel
		emitted int              // results emitted before the cancel
		before  bool             // cancel before Run starts
		midWalk bool             // the walk is not over when the cancel comes
	}{
		{name: "while every worker is reading", workers: 3, slow: func(int) bool { return true }, midWalk: true},
		{name: "with results waiting behind a slow file", workers: 3, slow: func(i int) bool { return i == 0 }},
		{name: "after some results were emitted", workers: 2, slow: func(i int) bool { return i == 10 }, emitted: 10},
		{name: "mid-walk after some results were emitted", workers: 2, slow: func(i int) bool { return i >= 20 }, emitted: 20, midWalk: true},
		{name: "before Run starts", workers: 3, slow: func(int) bool { return false }, before: true, midWalk: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			coursetest.CheckLeaksIfPassing(t)
			coursetest.Bubble(t, "Run did not return after its context was cancelled: every goroutine it starts must "+
				"stop when ctx is done (the walker's send, the workers' slot, the emitter) and Run wait for them", func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				slow := map[string]bool{}
				for i, r := range want {
					slow[r.Path] = tc.slow(i)
				}
				never := make(chan struct{}) // slow reads end only with ctx
				op := &opener{ctx: ctx, gate: func(p string) <-chan struct{} {
					if slow[p] {
						return never
					}
					return nil
				}}
				rec := &recorder{stopped: &op.stopped}
				if tc.before {
					op.stopped.Store(true)
					cancel()
				}
				run := start(ctx, root, Options{Hash: true, Workers: tc.workers, Open: op.Open}, rec)
				synctest.Wait()
				require.Len(t, rec.results(), tc.emitted, "results emitted before the cancel")
				op.stopped.Store(true)
				cancel()
				<-run.done
				assert.ErrorIs(t, run.err, context.Canceled, "Run must return ctx.Err() when ctx ended the run")
				assert.Zero(t, op.lateOpens.Load(), "files opened after ctx was cancelled: check ctx right before opening "+
					"a file (after taking a slot), so that a cancelled run starts no new file")
				assert.Zero(t, rec.late, "results emitted after ctx was cancelled: the emitter must check ctx before each "+
					"emit (and keep receiving without emitting, so no worker is stuck sending)")
				compareResults(t, want[:tc.emitted], rec.results(), "the results emitted before the cancel")
				checkSummary(t, summaryOf(want[:tc.emitted]), run.sum, "the partial Summary counts exactly what was emitted")
				if tc.midWalk {
					assert.Less(t, op.opened.Load(), int64(len(want)), "every file was opened although the run was cancelled mid-walk")
				}
				assert.Empty(t, op.stillOpen(), "files left open after Run returned")
			})
		})
	}
}
