//go:build unix

package shm

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Child processes are the test binary itself, started with helperRole as its first argument.
const helperRole = "shm-helper"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == helperRole {
		os.Exit(adderMain(os.Args[2:]))
	}
	goleak.VerifyTestMain(m)
}

// adderMain is a child process: adderMain PATH INDEX opens the counters at PATH, checks that it
// sees the parent's greeting, says "ready", and waits for its standard input to end (the start
// signal, so that all children start together). Then it adds 1 to counter 0 again and again, keeping
// count of its additions in counter 1+INDEX, until every child's count has reached minAdds (so that
// all of them are adding at the same time, however the machine schedules them) and it has been
// adding for minBusy, or for at most maxBusy. It prints its count.
func adderMain(args []string) int {
	index, _ := strconv.Atoi(args[1])
	c, err := Open(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "adderMain: Open:", err)
		return 2
	}
	defer c.Close()
	if got := c.Load(greetingSlot); got != greeting {
		fmt.Fprintf(os.Stderr, "child %d: the parent set counter %d to %d before starting this child, but the "+
			"child's Open sees %d: the parent's writes do not reach the file (map it MAP_SHARED)\n", index, greetingSlot, greeting, got)
		return 3
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	mine := int64(0)
	start := time.Now()
	for (time.Since(start) < minBusy || !allChildrenDid(c, minAdds)) && time.Since(start) < maxBusy {
		for range addBatch {
			c.Add(0, 1)
		}
		mine += addBatch
		c.Add(1+index, addBatch)
	}
	fmt.Println(mine)
	return 0
}

// allChildrenDid reports whether every child's count in c has reached n.
func allChildrenDid(c *Counters, n int64) bool {
	for i := range nChildren {
		if c.Load(1+i) < n {
			return false
		}
	}
	return true
}

// Enough additions that lost updates cannot hide: the race detector does not see across processes,
// so an exact count is the only witness.
const (
	nChildren    = 4
	minAdds      = 10000                  // each child adds at least this many times...
	minBusy      = 150 * time.Millisecond // ...and for at least this long, so a fast wrong Add has time to lose updates...
	maxBusy      = 3 * time.Second        // ...and stops after this long, whatever happens
	addBatch     = 100                    // between two looks at the others' counts
	greetingSlot = 1 + nChildren          // the counter the parent sets before it starts the children
	greeting     = 12345
)

func TestChildProcessesAddExactly(t *testing.T) {
	coursetest.CheckLeaks(t)
	path := filepath.Join(t.TempDir(), "counters")
	c, err := Create(path, 2+nChildren)
	require.NoError(t, err)
	defer closeSoon(t, c)
	require.Equal(t, 2+nChildren, c.Len(), "Len")
	var greeted int64
	calls(t, func() { greeted = c.Add(greetingSlot, greeting) })
	require.Equal(t, int64(greeting), greeted, "Add returns the counter's new value")

	bin, err := os.Executable()
	require.NoError(t, err)
	type child struct {
		exited <-chan struct{}
		err    *error
		start  io.Closer
		ready  chan error
		count  chan int64
	}
	kids := make([]child, nChildren)
	for i := range kids {
		cmd := exec.Command(bin, helperRole, path, strconv.Itoa(i))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		require.NoError(t, err)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// One goroutine reads the child's stdout to its end, then waits for the child (Wait closes the
		// pipe, so it must come after the last read); the cleanup kills the child if it still runs.
		var waitErr error
		read, exited := make(chan struct{}), make(chan struct{})
		go func() { <-read; waitErr = cmd.Wait(); close(exited) }()
		t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
		ready, count := make(chan error, 1), make(chan int64, 1)
		go func() {
			r := bufio.NewReader(stdout)
			line, err := r.ReadString('\n')
			if err == nil && line != "ready\n" {
				err = fmt.Errorf("said %q", line)
			}
			ready <- err
			var n int64 = -1
			_, _ = fmt.Fscan(r, &n)
			count <- n
			_, _ = io.Copy(io.Discard, r)
			close(read)
		}()
		kids[i] = child{exited, &waitErr, stdin, ready, count}
	}
	for i, k := range kids {
		var err error
		coursetest.Within(t, func() { err = <-k.ready }, "child %d never opened the counters", i)
		require.NoError(t, err, "child %d could not open the counters that Create made (see its error above)", i)
	}
	for _, k := range kids { // start them all at once
		k.start.Close()
	}
	counts := make([]int64, nChildren)
	want := int64(0)
	for i, k := range kids {
		var err error
		coursetest.Within(t, func() { counts[i] = <-k.count; <-k.exited; err = *k.err },
			"child %d did not finish its additions", i)
		require.NoError(t, err, "child %d failed (see its error above)", i)
		require.Positive(t, counts[i], "child %d did not report how many additions it made", i)
		want += counts[i]
	}

	var got int64
	kept := make([]int64, nChildren)
	calls(t, func() {
		got = c.Load(0)
		for i := range kept {
			kept[i] = c.Load(1 + i)
		}
	})
	switch {
	case got == 0:
		t.Fatalf("the parent's counter is still 0 after %d child processes added %d to it: the parent does not "+
			"see the children's writes. Map the file with MAP_SHARED: MAP_PRIVATE gives each process a private copy", nChildren, want)
	case got != want:
		t.Fatalf("the counter is %d after %d processes added 1 to it %v times, %d in all: %d updates were lost. "+
			"Add's read-modify-write must be atomic across processes: a sync.Mutex guards only one process's "+
			"goroutines, so lock the file too (syscall.Flock)", got, nChildren, counts, want, want-got)
	}
	for i := range nChildren {
		assert.Equal(t, counts[i], kept[i], "child %d kept the count of its %d additions in counter %d", i, counts[i], 1+i)
	}

	// The additions are in the file itself, in the documented format.
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Len(t, data, (2+nChildren)*CounterSize, "the file holds %d counters of %d bytes", 2+nChildren, CounterSize)
	assert.Equal(t, uint64(want), binary.LittleEndian.Uint64(data), "the file's first 8 bytes are counter 0, little-endian")
}

func TestGoroutinesAddExactly(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8)) // on any machine, let goroutines run in parallel
	coursetest.CheckLeaks(t)
	path := filepath.Join(t.TempDir(), "counters")
	a, err := Create(path, 2)
	require.NoError(t, err)
	defer closeSoon(t, a)
	b, err := Open(path)
	require.NoError(t, err)
	defer closeSoon(t, b)

	// Four goroutines share one Counters, four share another mapping of the same file. Like the child
	// processes, each keeps adding until all have added at least `each` times and for 3*minBusy
	// (their Adds share a file lock, which leaves a wrong Add few chances to overlap), so they overlap.
	const goroutines, each = 8, 5000
	var progress [goroutines]atomic.Int64
	allDid := func() bool {
		for i := range progress {
			if progress[i].Load() < each {
				return false
			}
		}
		return true
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range goroutines {
		c := a
		if g%2 == 1 {
			c = b
		}
		wg.Go(func() {
			<-start
			began := time.Now()
			for (time.Since(began) < 3*minBusy || !allDid()) && time.Since(began) < maxBusy {
				for range addBatch {
					c.Add(1, 1)
				}
				progress[g].Add(addBatch)
			}
		})
	}
	close(start)
	coursetest.Within(t, wg.Wait, "%d goroutines adding at least %d times each did not finish", goroutines, each)
	want := int64(0)
	for i := range progress {
		want += progress[i].Load()
	}
	var a1, b1, a0 int64
	calls(t, func() { a1, b1, a0 = a.Load(1), b.Load(1), a.Load(0) })
	assert.Equal(t, want, a1, "%d goroutines added 1 %d times in all, two through each of two mappings of one "+
		"file: every lost update means two Adds overlapped. Hold a sync.Mutex (for this Counters' goroutines) "+
		"and the file lock (for every other mapping and process) around the read-modify-write", goroutines, want)
	assert.Equal(t, want, b1, "both mappings of one file must see the same counter")
	assert.Zero(t, a0, "counter 0 was never added to")
}

func TestMappingsShareWrites(t *testing.T) {
	coursetest.CheckLeaks(t)
	path := filepath.Join(t.TempDir(), "counters")
	a, err := Create(path, 3)
	require.NoError(t, err)
	defer closeSoon(t, a)
	b, err := Open(path)
	require.NoError(t, err)
	defer closeSoon(t, b)
	assert.Equal(t, 3, b.Len(), "Open finds as many counters as Create made (the file's size / CounterSize)")
	var v [5]int64
	calls(t, func() { v = [5]int64{a.Add(2, 5), b.Load(2), b.Add(2, -3), a.Load(2), a.Load(0) + a.Load(1)} })
	assert.Equal(t, int64(5), v[0], "Add returns the counter's new value")
	assert.Equal(t, int64(5), v[1], "a write through one mapping must be seen through every other: MAP_SHARED")
	assert.Equal(t, int64(2), v[2], "Add returns the counter's new value, negative deltas included")
	assert.Equal(t, int64(2), v[3], "a write through one mapping must be seen through every other: MAP_SHARED")
	assert.Zero(t, v[4], "Add(2, ...) must change counter 2 only")
}

func TestValuesOutliveClose(t *testing.T) {
	coursetest.CheckLeaks(t)
	path := filepath.Join(t.TempDir(), "counters")
	a, err := Create(path, 2)
	require.NoError(t, err)
	calls(t, func() { a.Add(0, 7); a.Add(1, -9) })
	// Two goroutines close it at once: one unmaps, the other finds it closed.
	closeErrs := make(chan error, 2)
	for range 2 {
		go func() { closeErrs <- a.Close() }()
	}
	var errs [3]error
	coursetest.Within(t, func() { errs = [3]error{<-closeErrs, <-closeErrs, a.Close()} },
		"Close, called by two goroutines at once and then once more, never returned")
	require.NoError(t, errs[0], "Close")
	require.NoError(t, errs[1], "Close, called at the same time by another goroutine")
	assert.NoError(t, errs[2], "a second Close must do nothing")
	b, err := Open(path)
	require.NoError(t, err)
	defer closeSoon(t, b)
	var b0, b1 int64
	calls(t, func() { b0, b1 = b.Load(0), b.Load(1) })
	assert.Equal(t, int64(7), b0, "the counters stay in the file after Close")
	assert.Equal(t, int64(-9), b1, "the counters stay in the file after Close")

	c, err := Create(path, 2)
	require.NoError(t, err, "Create on an existing file")
	defer closeSoon(t, c)
	var c0 int64
	calls(t, func() { c0 = c.Load(0) })
	assert.Zero(t, c0, "Create starts every counter at zero, even in a file that existed")
}

func TestBadFiles(t *testing.T) {
	coursetest.CheckLeaks(t)
	dir := t.TempDir()
	_, err := Create(filepath.Join(dir, "zero"), 0)
	assert.Error(t, err, "Create with no counters must fail")
	one, err := Create(filepath.Join(dir, "one"), 1)
	require.NoError(t, err, "Create with one counter")
	assert.Equal(t, 1, one.Len(), "Len of a single counter")
	var added int64
	calls(t, func() { added = one.Add(0, 3); err = one.Close() })
	assert.Equal(t, int64(3), added, "Add to the only counter")
	require.NoError(t, err)
	_, err = Open(filepath.Join(dir, "missing"))
	assert.Error(t, err, "Open of a file that does not exist must fail")
	odd := filepath.Join(dir, "odd")
	require.NoError(t, os.WriteFile(odd, []byte("12345"), 0o600))
	c, err := Open(odd)
	assert.Error(t, err, "Open of a 5-byte file must fail: it does not hold whole %d-byte counters", CounterSize)
	if c != nil {
		c.Close()
	}
}

// TestGoroutinesSharingOneCountersAddExactly has many goroutines add through one Counters, released
// together by a gate. They all use one open file, and a file lock is held per open file, not per
// goroutine: the lock lets them all in at once, so only the Counters' own mutex keeps their
// read-modify-writes apart. The race detector cannot see into the mapping: the exact count must.
// Two Adds lose an update only when they run at the same instant on two cores, which a busy machine
// seldom allows, so the goroutines keep adding for sharedBusy.
func TestGoroutinesSharingOneCountersAddExactly(t *testing.T) {
	coursetest.Procs(t, 8) // on any machine, let goroutines run in parallel
	coursetest.CheckLeaks(t)
	c, err := Create(filepath.Join(t.TempDir(), "counters"), 1)
	require.NoError(t, err)
	defer closeSoon(t, c)
	const goroutines, each = 16, 2000
	var added [goroutines]int64
	var ready, wg sync.WaitGroup
	ready.Add(goroutines)
	gate := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			ready.Done()
			<-gate
			began := time.Now()
			for added[g] < each || time.Since(began) < sharedBusy {
				for range addBatch {
					c.Add(0, 1)
				}
				added[g] += addBatch
			}
		})
	}
	ready.Wait()
	close(gate)
	coursetest.Within(t, wg.Wait, "%d goroutines adding %d times each did not finish", goroutines, each)
	want := int64(0)
	for _, n := range added {
		want += n
	}
	var got int64
	calls(t, func() { got = c.Load(0) })
	assert.Equal(t, want, got, "%d goroutines sharing one Counters added 1 %d times in all, but the counter is %d (%d "+
		"lost): their Adds overlapped. A file lock belongs to the open file, which these goroutines share, so it "+
		"lets them all in at once: hold the Counters' sync.Mutex around the read-modify-write too",
		goroutines, want, got, want-got)
}

// sharedBusy is how long TestGoroutinesSharingOneCountersAddExactly keeps adding.
const sharedBusy = time.Second

// calls runs Counters calls, failing the test within seconds if they do not return: a lock that is
// never released, or taken again by the goroutine that holds it, blocks them for ever.
func calls(t *testing.T, fn func()) {
	t.Helper()
	coursetest.Within(t, fn, "a Counters method never returned: does it release both locks on every path, and "+
		"never take them again (calling Load or Add) while it holds them? Go's locks are not reentrant")
}

// closeSoon is a deferred Close that gives up after the guard's patience: after a call got stuck
// holding the Counters' lock, a Close that waits for it must not hang the test binary.
func closeSoon(t *testing.T, c *Counters) {
	done := make(chan struct{})
	go func() {
		_ = c.Close()
		close(done) // not deferred: a panic must end the binary with its own message, not look like a return
	}()
	timeout, stop := coursetest.Guard()
	defer stop()
	select {
	case <-done:
	case <-timeout:
		t.Errorf("Close did not return: is a call still holding the Counters' lock?")
	}
}
