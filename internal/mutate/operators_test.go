package mutate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mutants generates the mutants of one snippet (package p) and returns them by id.
func mutants(t *testing.T, src string) map[string]Mutant {
	t.Helper()
	c := NewStdChecker()
	files, info, err := c.Check("example.com/p", map[string][]byte{"p.go": []byte(src)})
	require.NoError(t, err, "the snippet must type-check")
	out := map[string]Mutant{}
	for _, m := range Generate(c.Fset, files[0], []byte(src), info) {
		_, dup := out[m.ID]
		require.False(t, dup, "mutant id %s generated twice", m.ID)
		out[m.ID] = m
	}
	return out
}

func ids(ms map[string]Mutant) []string {
	var out []string
	for id := range ms {
		out = append(out, id)
	}
	return out
}

// changed returns the lines removed from and added to the snippet by m.
func changed(src string, m Mutant) (removed, added []string) {
	for _, l := range strings.Split(Diff("a", "b", []byte(src), m.Src), "\n")[2:] {
		switch {
		case strings.HasPrefix(l, "-"):
			removed = append(removed, strings.TrimSpace(l[1:]))
		case strings.HasPrefix(l, "+"):
			added = append(added, strings.TrimSpace(l[1:]))
		}
	}
	return removed, added
}

func TestOperators(t *testing.T) {
	cases := []struct {
		name, src, id  string
		removed, added []string
	}{
		{
			name: "drop a Lock/Unlock pair, deferred unlock",
			src: `package p

import "sync"

type C struct {
	mu sync.Mutex
	n  int
}

func (c *C) Inc() {
	c.mu.Lock()
	defer c.mu.Unlock() // the comment goes too
	c.n++
}
`,
			id:      "drop-lock/C.Inc/1",
			removed: []string{"c.mu.Lock()", "defer c.mu.Unlock() // the comment goes too"},
		},
		{
			name: "drop a Lock with an Unlock on each path",
			src: `package p

import "sync"

var mu sync.Mutex
var n int

func Take() bool {
	mu.Lock()
	if n == 0 {
		mu.Unlock()
		return false
	}
	n--
	mu.Unlock()
	return true
}
`,
			id:      "drop-lock/Take/1",
			removed: []string{"mu.Lock()", "mu.Unlock()", "mu.Unlock()"},
		},
		{
			name: "drop an RLock pair",
			src: `package p

import "sync"

type C struct {
	mu sync.RWMutex
	n  int
}

func (c *C) Get() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.n
}
`,
			id:      "drop-rlock/C.Get/1",
			removed: []string{"c.mu.RLock()", "defer c.mu.RUnlock()"},
		},
		{
			name: "Lock to RLock on a RWMutex",
			src: `package p

import "sync"

type C struct {
	mu sync.RWMutex
	n  int
}

func (c *C) Set(v int) {
	c.mu.Lock()
	c.n = v
	c.mu.Unlock()
}
`,
			id:      "lock-to-rlock/C.Set/1",
			removed: []string{"c.mu.Lock()", "c.mu.Unlock()"},
			added:   []string{"c.mu.RLock()", "c.mu.RUnlock()"},
		},
		{
			name: "Broadcast to Signal; for to if around Wait; drop the re-checks",
			src: `package p

import "sync"

type Q struct {
	mu     sync.Mutex
	c      *sync.Cond
	n      int
	closed bool
}

func (q *Q) Take() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n == 0 && !q.closed {
		q.c.Wait()
	}
	if q.closed {
		return false
	}
	q.n--
	return true
}

func (q *Q) Close() {
	q.mu.Lock()
	q.closed = true
	q.c.Broadcast()
	q.mu.Unlock()
}
`,
			id:      "broadcast-to-signal/Q.Close/1",
			removed: []string{"q.c.Broadcast()"},
			added:   []string{"q.c.Signal()"},
		},
		{
			name:    "for to if around Cond.Wait",
			src:     condSrc,
			id:      "wait-for-to-if/Q.Take/1",
			removed: []string{"for q.n == 0 && !q.closed {"},
			added:   []string{"if q.n == 0 && !q.closed {"},
		},
		{
			name:    "drop a term of the wait loop's condition",
			src:     condSrc,
			id:      "drop-recheck/Q.Take/2",
			removed: []string{"for q.n == 0 && !q.closed {"},
			added:   []string{"for q.n == 0 {"},
		},
		{
			name:    "drop the re-check after the wait loop",
			src:     condSrc,
			id:      "drop-recheck/Q.Take/3",
			removed: []string{"if q.closed {", "return false", "}"},
		},
		{
			name:    "drop ctx.Done from a select, drop the re-check after a tick, drop the ticker's Stop, drop cancel",
			src:     loopSrc,
			id:      "drop-select-case/Run/1",
			removed: []string{"case <-ctx.Done():", "return"},
		},
		{
			name:    "drop the re-check after a wake-up in a select case",
			src:     loopSrc,
			id:      "drop-recheck/Run/1",
			removed: []string{"if ctx.Err() != nil {", "return", "}"},
		},
		{
			name:    "drop defer ticker.Stop()",
			src:     loopSrc,
			id:      "drop-stop/Run/1",
			removed: []string{"defer t.Stop()"},
		},
		{
			name:    "drop cancel()",
			src:     loopSrc,
			id:      "drop-cancel/Start/1",
			removed: []string{"cancel()"},
		},
		{
			name:    "drop go: the goroutine runs inline",
			src:     loopSrc,
			id:      "drop-go/Start/1",
			removed: []string{"go Run(ctx, done, f)"},
			added:   []string{"Run(ctx, done, f)"},
		},
		{
			name:    "drop close(ch)",
			src:     loopSrc,
			id:      "drop-close/Run/1",
			removed: []string{"defer close(done)"},
		},
		{
			name:    "drop wg.Wait and wg.Done, move wg.Add into the goroutine",
			src:     wgSrc,
			id:      "drop-wg-wait/All/1",
			removed: []string{"wg.Wait()"},
		},
		{
			name:    "drop wg.Done",
			src:     wgSrc,
			id:      "drop-wg-done/All/1",
			removed: []string{"defer wg.Done()"},
		},
		{
			name:    "move wg.Add into the goroutine",
			src:     wgSrc,
			id:      "move-wg-add/All/1",
			removed: []string{"wg.Add(1)", "go func() {"},
			added:   []string{"go func() { wg.Add(1);"},
		},
		{
			name:    "wg.Go to an untracked go statement",
			src:     wgGoSrc,
			id:      "wg-go-untracked/All/1",
			removed: []string{"wg.Go(func() { f(i) })"},
			added:   []string{"go func() { f(i) }()"},
		},
		{
			name:    "wg.Go with the Add moved into the goroutine",
			src:     wgGoSrc,
			id:      "move-wg-add/All/1",
			removed: []string{"wg.Go(func() { f(i) })"},
			added:   []string{"go func() { wg.Add(1); defer wg.Done(); (func() { f(i) })() }()"},
		},
		{
			name:    "unbuffered channel made buffered",
			src:     chanSrc,
			id:      "chan-buffer/Gen/1",
			removed: []string{"out := make(chan int)"},
			added:   []string{"out := make(chan int, 1)"},
		},
		{
			name:    "buffered channel made unbuffered",
			src:     chanSrc,
			id:      "chan-buffer/Gen/2",
			removed: []string{"sem := make(chan struct{}, n)"},
			added:   []string{"sem := make(chan struct{})"},
		},
		{
			name:    "< to <= in a loop condition",
			src:     chanSrc,
			id:      "boundary/Gen/1",
			removed: []string{"for i := 0; i < n; i++ {"},
			added:   []string{"for i := 0; i <= n; i++ {"},
		},
		{
			name:    ">= to > in an if condition",
			src:     chanSrc,
			id:      "boundary/Gen/2",
			removed: []string{"if i >= 3 && i != 7 {"},
			added:   []string{"if i > 3 && i != 7 {"},
		},
		{
			name:    "> to >= in a returned condition",
			src:     chanSrc,
			id:      "boundary/Less/1",
			removed: []string{"return a > b"},
			added:   []string{"return a >= b"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms := mutants(t, tc.src)
			m, ok := ms[tc.id]
			require.True(t, ok, "no mutant %s; got %v", tc.id, ids(ms))
			assert.NotEmpty(t, m.Description)
			removed, added := changed(tc.src, m)
			assert.Equal(t, tc.removed, removed, "lines removed by %s", tc.id)
			assert.Equal(t, tc.added, added, "lines added by %s", tc.id)
		})
	}
}

const condSrc = `package p

import "sync"

type Q struct {
	mu     sync.Mutex
	c      *sync.Cond
	n      int
	closed bool
}

func (q *Q) Take() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n == 0 && !q.closed {
		q.c.Wait()
	}
	if q.closed {
		return false
	}
	q.n--
	return true
}
`

const loopSrc = `package p

import (
	"context"
	"time"
)

func Run(ctx context.Context, done chan struct{}, f func()) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if ctx.Err() != nil {
				return
			}
			f()
		}
	}
}

func Start(ctx context.Context, f func()) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go Run(ctx, done, f)
	return func() {
		cancel()
		<-done
	}
}
`

const wgSrc = `package p

import "sync"

func All(n int, f func(int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i)
		}()
	}
	wg.Wait()
}
`

const wgGoSrc = `package p

import "sync"

func All(n int, f func(int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}
`

const chanSrc = `package p

func Gen(n int) <-chan int {
	out := make(chan int)
	sem := make(chan struct{}, n)
	go func() {
		defer close(out)
		for i := 0; i < n; i++ {
			sem <- struct{}{}
			if i >= 3 && i != 7 {
				out <- i
			}
			<-sem
		}
	}()
	return out
}

func Less(a, b int) bool {
	return a > b
}
`

// A done channel that is only ever closed gets no buffer mutant: its buffer cannot be observed.
func TestChanBufferSkipsCloseOnlyDoneChannels(t *testing.T) {
	ms := mutants(t, loopSrc)
	for id := range ms {
		assert.False(t, strings.HasPrefix(id, "chan-buffer/"), "unexpected %s", id)
	}
}

// Ids count per operator and function, so an edit in another function leaves them alone.
func TestIDsSurviveUnrelatedEdits(t *testing.T) {
	before := mutants(t, loopSrc)
	edited := strings.Replace(loopSrc, "func Start(", "func helper(ctx context.Context) { _ = ctx.Err() }\n\nfunc Start(", 1)
	edited = strings.Replace(edited, "\tdefer close(done)\n", "\tdefer close(done)\n\t_ = 1 + 1\n", 1)
	after := mutants(t, edited)
	for id, m := range before {
		a, ok := after[id]
		if assert.True(t, ok, "mutant %s disappeared after an unrelated edit", id) {
			assert.Equal(t, m.Operator, a.Operator)
		}
	}
}

func TestDiff(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n"
	b := strings.Replace(strings.Replace(a, "3\n", "three\n", 1), "15\n", "", 1)
	want := `--- a
+++ b
@@ -1,6 +1,6 @@
 1
 2
-3
+three
 4
 5
 6
@@ -12,5 +12,4 @@
 12
 13
 14
-15
 16
`
	assert.Equal(t, want, Diff("a", "b", []byte(a), []byte(b)))
}
