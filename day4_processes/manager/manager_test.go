//go:build unix

package manager

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Client processes are the test binary itself, started with helperRole as its first argument.
const helperRole = "manager-client"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == helperRole {
		os.Exit(clientMain(os.Args[2:]))
	}
	goleak.VerifyTestMain(m)
}

// How many client processes, and how many increments each makes of the shared key.
const (
	clientProcs  = 4
	clientIncrs  = 150
	sharedKey    = "hits"
	childKeyBase = "child-"
)

// clientMain is a client process: clientMain SOCKET INDEX dials the server, says "ready", waits for
// its standard input to end (so that all clients start together), increments sharedKey clientIncrs
// times, sets "child-INDEX" to INDEX, and prints the last value Increment returned.
func clientMain(args []string) int {
	index, _ := strconv.Atoi(args[1])
	c, err := Dial(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "client: Dial:", err)
		return 2
	}
	defer c.Close()
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	var last int64
	for range clientIncrs {
		if last, err = c.Increment(sharedKey, 1); err != nil {
			fmt.Fprintln(os.Stderr, "client: Increment:", err)
			return 1
		}
	}
	if err := c.Set(childKeyBase+strconv.Itoa(index), int64(index)); err != nil {
		fmt.Fprintln(os.Stderr, "client: Set:", err)
		return 1
	}
	fmt.Println(last)
	return 0
}

// socketPath returns a short path for a socket in a new temporary directory: Unix socket paths are
// limited to about 104 bytes, and t.TempDir() can be longer than that on macOS.
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mg")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// startServer starts a server on a new socket and closes it when the test ends.
func startServer(t *testing.T) (*Server, string) {
	t.Helper()
	path := socketPath(t)
	s, err := Start(path)
	require.NoError(t, err, "Start(%q)", path)
	require.NotNil(t, s)
	t.Cleanup(func() { coursetest.Within(t, func() { s.Close() }, "Server.Close did not return") })
	return s, path
}

func dial(t *testing.T, path string) *Client {
	t.Helper()
	c, err := Dial(path)
	require.NoError(t, err, "Dial(%q)", path)
	t.Cleanup(func() { c.Close() })
	return c
}

// calls runs client calls, failing the test within seconds if they do not return: a server method
// that waits for ever leaves its client waiting for the answer.
func calls(t *testing.T, fn func()) {
	t.Helper()
	coursetest.Within(t, fn, "a call to the server never returned: does a State method lock the mutex it "+
		"already holds, by calling another State method that locks it too? Go's locks are not reentrant")
}

func TestGetSetKeys(t *testing.T) {
	coursetest.CheckLeaks(t)
	_, path := startServer(t)
	c := dial(t, path)
	other := dial(t, path)
	var missing, b, incC, incA, otherB, incD, bAgain int64
	var keys []string
	var errs [13]error
	calls(t, func() {
		missing, errs[0] = c.Get("missing")
		errs[1] = c.Set("b", 2)
		errs[2] = c.Set("a", 1)
		errs[3] = c.Set("b", 20)
		b, errs[4] = c.Get("b")
		incC, errs[5] = c.Increment("c", 5)
		incA, errs[6] = c.Increment("a", -3)
		incD, errs[7] = c.Increment("d", 0)
		errs[12] = c.Set("e", 0)
		keys, errs[8] = c.Keys()
		otherB, errs[9] = other.Get("b")
		errs[10] = other.Set("b", 7)
		bAgain, errs[11] = c.Get("b")
	})
	require.NoError(t, errors.Join(errs[:]...))
	assert.Zero(t, missing, "a key that was never set is 0")
	assert.Equal(t, int64(20), b, "Get returns the last value Set")
	assert.Equal(t, int64(5), incC, "Increment of a new key starts from 0 and returns the new value")
	assert.Equal(t, int64(-2), incA, "Increment returns the new value")
	assert.Zero(t, incD, "Increment(\"d\", 0) of a new key returns 0")
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, keys, "Keys returns every key set or incremented, sorted "+
		"(not the ones only read); \"d\" was incremented by 0 and \"e\" set to 0, and those count: store the key "+
		"even when the delta or the value is 0")
	assert.Equal(t, int64(20), otherB, "every client sees the same state: it lives in the server")
	assert.Equal(t, int64(7), bAgain, "another client Set \"b\" to 7 after this client had read and set it: Get "+
		"must ask the server every time, not answer from what the client saw before")
}

// TestClientCloseClosesTheConnection: after Client.Close, the client's calls fail, because its
// connection is gone (net/rpc's client then answers rpc.ErrShutdown), while the server and its other
// clients go on.
func TestClientCloseClosesTheConnection(t *testing.T) {
	coursetest.CheckLeaks(t)
	_, path := startServer(t)
	c := dial(t, path)
	other := dial(t, path)
	var err, otherErr error
	calls(t, func() {
		_, err = c.Increment("x", 1)
		if err == nil {
			err = c.Close()
		}
	})
	require.NoError(t, err, "Increment, then Close")
	calls(t, func() {
		_, err = c.Get("x")
		_, otherErr = other.Increment("x", 1)
	})
	assert.Error(t, err, "a call on a closed Client must fail: Close must close the connection (the *rpc.Client), "+
		"not just return nil")
	assert.NoError(t, otherErr, "another client's call after one client closed")
}

func TestClientProcessesShareState(t *testing.T) {
	coursetest.CheckLeaks(t)
	_, path := startServer(t)
	bin, err := os.Executable()
	require.NoError(t, err)

	type proc struct {
		exited <-chan struct{}
		err    *error
		start  io.Closer
		ready  chan error
		last   chan int64
	}
	procs := make([]proc, clientProcs)
	for i := range procs {
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
		ready, last := make(chan error, 1), make(chan int64, 1)
		go func() {
			r := bufio.NewReader(stdout)
			line, err := r.ReadString('\n')
			if err == nil && line != "ready\n" {
				err = fmt.Errorf("said %q", line)
			}
			ready <- err
			var v int64 = -1
			_, _ = fmt.Fscan(r, &v)
			last <- v
			_, _ = io.Copy(io.Discard, r)
			close(read)
		}()
		procs[i] = proc{exited, &waitErr, stdin, ready, last}
	}
	for i, p := range procs {
		var err error
		coursetest.Within(t, func() { err = <-p.ready }, "client process %d never connected", i)
		require.NoError(t, err, "client process %d could not Dial the server (see its error above)", i)
	}
	for _, p := range procs { // all at once
		p.start.Close()
	}
	var highest int64
	for i, p := range procs {
		var err error
		var last int64
		coursetest.Within(t, func() { last = <-p.last; <-p.exited; err = *p.err }, "client process %d did not finish", i)
		require.NoError(t, err, "client process %d failed (see its error above)", i)
		highest = max(highest, last)
	}

	c := dial(t, path)
	want := int64(clientProcs * clientIncrs)
	var got int64
	var keys []string
	var getErr, keysErr error
	calls(t, func() { got, getErr = c.Get(sharedKey); keys, keysErr = c.Keys() })
	require.NoError(t, getErr)
	require.Equal(t, want, got, "%d client processes each incremented %q %d times: %d increments were lost. "+
		"Increment must be one call that the server does under its lock, not a Get and then a Set from the client",
		clientProcs, sharedKey, clientIncrs, want-got)
	assert.Equal(t, want, highest, "the last increment of all must have returned the total: Increment returns the new value")
	require.NoError(t, keysErr)
	wantKeys := []string{}
	for i := range clientProcs {
		wantKeys = append(wantKeys, childKeyBase+strconv.Itoa(i))
	}
	wantKeys = append(wantKeys, sharedKey)
	assert.Equal(t, wantKeys, keys, "Keys, sorted")
}

func TestConcurrentClientsInOneProcess(t *testing.T) {
	coursetest.CheckLeaks(t)
	// The server's goroutines truly at once, even under -cpu=1: with one P they take turns, and the
	// race detector then missed a Get or Keys without the lock on some runs.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	_, path := startServer(t)
	const clients, each = 4, 100
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		c := dial(t, path)
		wg.Go(func() {
			key := fmt.Sprintf("k%d", i%2)
			for j := range each {
				var err error
				switch j % 4 {
				case 0:
					_, err = c.Increment(key, 1)
				case 1:
					_, err = c.Get(key)
				case 2:
					_, err = c.Keys()
				case 3:
					err = c.Set(fmt.Sprintf("own%d", i), int64(j))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	coursetest.Within(t, wg.Wait, "%d clients calling the server at once did not finish", clients)
	close(errs)
	for err := range errs {
		require.NoError(t, err, "a call failed while %d clients called at once", clients)
	}
	c := dial(t, path)
	for k := range 2 {
		var v int64
		var err error
		calls(t, func() { v, err = c.Get(fmt.Sprintf("k%d", k)) })
		require.NoError(t, err)
		assert.Equal(t, int64(clients/2*each/4), v, "%d clients incremented k%d %d times in all", clients/2, k, clients/2*each/4)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	coursetest.CheckLeaks(t)
	path := socketPath(t)
	s, err := Start(path)
	require.NoError(t, err)
	c, err := Dial(path)
	require.NoError(t, err)
	defer c.Close()
	calls(t, func() { _, err = c.Increment("x", 1) })
	require.NoError(t, err)

	// A client is still connected: Close must not wait for it to hang up.
	if !coursetest.Within(t, func() { err = s.Close() }, "Server.Close did not return while a client was still "+
		"connected: close every connection the server accepted, then wait for its goroutines") {
		return
	}
	assert.NoError(t, err, "Close")
	// Close waits for the server's goroutines: none may still be running when it returns.
	for _, g := range coursetest.Goroutines() {
		if strings.Contains(g.Stack, "manager.(*Server)") || strings.Contains(g.Stack, "net/rpc.(*Server).ServeConn") {
			t.Errorf("a goroutine of the server was still running after Close returned (%s): Close must wait "+
				"for the accept loop and for every connection's goroutine (a sync.WaitGroup)", g.State)
			break
		}
	}
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "after Close, the socket file %s must be gone", path)
	_, err = c.Get("x")
	assert.Error(t, err, "after Close, a client's call must fail: the server closed its connection")
	_, err = Dial(path)
	assert.Error(t, err, "after Close, nobody can connect")
	assert.NoError(t, s.Close(), "a second Close does nothing")

	// The path is free again.
	s2, err := Start(path)
	require.NoError(t, err, "Start on the path of a closed server")
	c2, err := Dial(path)
	require.NoError(t, err, "Dial the new server")
	var x int64
	var keys []string
	var keysErr error
	calls(t, func() { x, err = c2.Get("x"); keys, keysErr = c2.Keys() })
	require.NoError(t, errors.Join(err, keysErr))
	assert.Zero(t, x, "a new server serves a new, empty State: \"x\" was incremented on the old server only")
	assert.Empty(t, keys, "a new server serves a new, empty State, not one shared by every server (a package-level variable)")
	assert.NoError(t, c2.Close())
	assert.NoError(t, s2.Close())
}

// TestCloseWaitsForEveryGoroutine closes servers at once after Start, and after a client came and
// went, on one P (so that nothing the server left runnable gets to run before the check): when
// Close returns, no goroutine may still be running the server's code, not even one that has not
// started yet. A WaitGroup's Add belongs before the go statement, in the goroutine that starts it.
func TestCloseWaitsForEveryGoroutine(t *testing.T) {
	coursetest.CheckLeaks(t)
	coursetest.Procs(t, 1)
	buf := make([]byte, 1<<20) // allocated now: the check right after Close must not give way to a GC
	for round := range 24 {
		path := socketPath(t)
		runtime.GC() // nor may a collection start during the round and let other goroutines run
		s, err := Start(path)
		require.NoError(t, err, "Start(%q)", path)
		if round%6 == 5 {
			c, err := Dial(path)
			require.NoError(t, err, "Dial(%q)", path)
			calls(t, func() { _, err = c.Increment("x", 1) })
			require.NoError(t, err, "Increment")
			require.NoError(t, c.Close())
		}
		var left []coursetest.Goroutine
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			err = s.Close()
			left = serverGoroutines(buf[:runtime.Stack(buf, true)]) // at once, before anything else runs
		}()
		timeout, stop := coursetest.Guard()
		select {
		case <-closed:
		case <-timeout:
			t.Fatalf("Server.Close did not return")
		}
		stop()
		require.NoError(t, err, "Close")
		if len(left) > 0 {
			t.Fatalf("%d goroutine(s) running the server's code were still there when Close returned (%s, on a server "+
				"closed %s): Close must wait for the accept loop and every connection's goroutine. Call wg.Add (or "+
				"wg.Go) before the goroutine starts, not inside it, so that Wait cannot miss it", len(left),
				left[0].State, map[bool]string{false: "right after Start", true: "after a client had gone"}[round%6 == 5])
		}
	}
}

// serverGoroutines returns the goroutines whose stack runs code of this exercise's own files (not
// its tests) in dump, a stack dump written by runtime.Stack.
func serverGoroutines(dump []byte) []coursetest.Goroutine {
	var mine []coursetest.Goroutine
	for block := range strings.SplitSeq(string(dump), "\n\n") {
		header, stack, _ := strings.Cut(block, "\n")
		_, state, _ := strings.Cut(header, "[")
		state, _, _ = strings.Cut(state, "]")
		g := coursetest.Goroutine{State: state, Stack: stack}
		for i, line := range strings.Split(stack, "\n") {
			if strings.HasPrefix(line, "created by") {
				break // the frames below are where the goroutine was started, not what it runs
			}
			if i%2 == 1 && strings.Contains(line, "/day4_processes/manager/") && !strings.Contains(line, "_test.go:") {
				mine = append(mine, g)
				break
			}
		}
	}
	return mine
}
