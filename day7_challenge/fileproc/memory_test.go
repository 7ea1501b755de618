package fileproc

import (
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"
	"weak"

	"github.com/stretchr/testify/require"

	"github.com/gocourse/week11/internal/coursetest"
)

// TestEmittedResultsAreNotKept holds one file back while the fifteen before it are emitted, then
// runs the garbage collector: the matches of the emitted results, which only Run could still refer
// to, must be collected (weak pointers to them read nil). An emitter that keeps emitted results in
// its map grows with the tree, however slow or fast the files are.
func TestEmittedResultsAreNotKept(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	root := t.TempDir()
	for i := range 20 {
		writeFile(t, root, fmt.Sprintf("f%02d.txt", i), []byte("a needle\nanother needle\n"))
	}
	o := Options{Grep: "needle", Workers: 2}
	want := truth(t, root, o, nil)
	const slow = 15
	coursetest.Bubble(t, "Run did not finish after the slow file was released", func(t *testing.T) {
		release := make(chan struct{})
		defer func() {
			if release != nil {
				close(release)
			}
		}()
		op := &opener{gate: func(p string) <-chan struct{} {
			if p == want[slow].Path {
				return release
			}
			return nil
		}}
		o := o
		o.Open = op.Open
		// emit keeps weak pointers only: once Run lets go of a result, its matches can be collected.
		var kept []weak.Pointer[Match]
		emit := func(r Result) {
			if len(r.Matches) > 0 {
				kept = append(kept, weak.Make(&r.Matches[0]))
			}
		}
		done := make(chan error)
		go func() {
			_, err := Run(t.Context(), root, o, emit)
			done <- err
		}()
		synctest.Wait() // files 0 to 14 are emitted, 16 to 19 wait behind 15
		require.Len(t, kept, slow, "while file %d was held back, the %d files before it should have been emitted "+
			"(see TestOutputIsStreamed)", slow, slow)
		runtime.GC()
		runtime.GC()
		// The last two may still be in a local variable of the emitter: only the others are checked.
		var alive []int
		for i, p := range kept[:slow-2] {
			if p.Value() != nil {
				alive = append(alive, i)
			}
		}
		close(release)
		release = nil
		require.NoError(t, <-done)
		if len(alive) > 0 {
			t.Errorf("%d of the %d results emitted while file %d was held back were still referred to by Run after "+
				"the garbage collector ran (results %v): a result is kept only until it is emitted; delete it from "+
				"the map (a slice must clear its element) right when you emit it", len(alive), slow-2, slow, summarize(alive))
		}
	})
}

// summarize shows a list of indexes briefly.
func summarize(xs []int) string {
	if len(xs) <= 6 {
		return fmt.Sprint(xs)
	}
	return fmt.Sprintf("%v ... %v", xs[:3], xs[len(xs)-3:])
}
