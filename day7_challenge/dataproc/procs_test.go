//go:build unix

package dataproc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/require"
)

// The process tests start this test binary as the workers (see TestMain). Starting a -race binary
// takes a while on a loaded machine, so their guards are generous; they only elapse on failure.
const procPatience = 10 * time.Second

// procOpts returns Options whose workers are this test binary, with env added to their environment.
func procOpts(t *testing.T, procs int, env ...string) Options {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	return Options{Procs: procs, Exe: exe, Env: env}
}

// processProcs runs ProcessFile in process mode on data within the guard.
func processProcs(t *testing.T, data []byte, opts Options) (*Table, error) {
	t.Helper()
	path := writeFile(t, data)
	var got *Table
	var err error
	coursetest.WithinFor(t, procPatience, func() { got, err = ProcessFile(path, opts) },
		"ProcessFile with Procs: %d did not return: does it wait for every worker process (cmd.Output or cmd.Wait)?", opts.Procs)
	return got, err
}

func TestProcsSameResultAsSequential(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	data := generated(t, 6000, 300, 11)
	want, _ := reference(data)
	got, err := processProcs(t, data, procOpts(t, 3))
	require.NoError(t, err, "ProcessFile with Procs: 3 on a well-formed file")
	requireSame(t, want, got, "ProcessFile with Procs: 3")
}

func TestProcsEmptyFile(t *testing.T) {
	got, err := processProcs(t, nil, procOpts(t, 3))
	require.NoError(t, err, "an empty file is not an error")
	require.NotNil(t, got, "an empty file gives an empty table, not nil")
	require.Equal(t, "{}\n", Format(got))
}

func TestProcsReportMalformedLine(t *testing.T) {
	var b strings.Builder
	for i := range 60 {
		switch i {
		case 33:
			b.WriteString("first;bad\n")
		case 50:
			b.WriteString("second bad\n")
		default:
			fmt.Fprintf(&b, "S%d;%d.5\n", i%7, i%40)
		}
	}
	got, err := processProcs(t, []byte(b.String()), procOpts(t, 4))
	le, ok := errors.AsType[*LineError](err)
	require.True(t, ok, "ProcessFile with Procs: 4 on a file whose line 34 is malformed: want a *LineError, got %v (table %v)", err, got != nil)
	require.EqualValues(t, 34, le.Line, "the first malformed line of the file is line 34 (1-based, counted over the whole file)")
}

// procGate is the test's end of DATAPROC_TEST_GATE: worker processes connect to its socket and wait
// until release closes their connections. A worker that only announces itself (see testWorker)
// connects and goes on: when its process ends, the system closes its end of the connection, and
// the gate sees that.
type procGate struct {
	env     string        // the environment entry that makes workers wait at the gate
	arrived chan struct{} // receives once per worker that connected
	left    chan struct{} // receives once per worker whose connection closed: it let go, or its process ended
	release func()        // lets every waiting worker go on (and later ones not wait); idempotent
}

func newProcGate(t *testing.T) *procGate {
	t.Helper()
	dir, err := os.MkdirTemp("", "dp") // short: Unix socket paths are limited to about 104 bytes
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "g")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	var readers sync.WaitGroup
	g := &procGate{env: gateEnv + "=" + sock, arrived: make(chan struct{}, 100), left: make(chan struct{}, 100)}
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			g.arrived <- struct{}{}
			readers.Go(func() {
				_, _ = c.Read(make([]byte, 1)) // workers write nothing: this returns when the connection closes
				select {
				case g.left <- struct{}{}:
				default:
				}
			})
		}
	}()
	g.release = sync.OnceFunc(func() {
		ln.Close()
		<-accepted
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		readers.Wait()
	})
	t.Cleanup(g.release)
	return g
}

func TestProcsRunAtOnce(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	const procs = 3
	gate := newProcGate(t)
	data := generated(t, 3000, 40, 12)
	want, _ := reference(data)
	path := writeFile(t, data)
	done := make(chan struct{})
	var got *Table
	var err error
	go func() {
		got, err = ProcessFile(path, procOpts(t, procs, gate.env))
		close(done) // not deferred: a panic must end the binary with its own message, not look like a return
	}()
	timeout, stop := coursetest.Guard()
	defer stop()
	// Once the first worker has arrived, the others, started with it, have as long again (four
	// times, and at least 2 s) before the run counts as one worker at a time: the first one's
	// start-up shows how loaded the machine is, and a sequential run fails in seconds, not after
	// the whole guard.
	start := time.Now()
	var others <-chan time.Time
	for n := range procs {
		select {
		case <-gate.arrived:
			if n == 0 {
				others = time.After(max(2*time.Second, 4*time.Since(start)))
			}
		case <-timeout:
			tooFewAtOnce(t, gate, done, procs, n)
		case <-others:
			coursetest.MarkHung()
			tooFewAtOnce(t, gate, done, procs, n)
		case <-done:
			t.Fatalf("ProcessFile with Procs: %d returned (err %v) before %d worker processes had started; %d did", procs, err, procs, n)
		}
	}
	gate.release()
	if !coursetest.WithinFor(t, procPatience, func() { <-done }, "ProcessFile did not return after its workers were released") {
		return
	}
	require.NoError(t, err)
	requireSame(t, want, got, "ProcessFile with 3 worker processes")
}

func tooFewAtOnce(t *testing.T, gate *procGate, done <-chan struct{}, procs, n int) {
	t.Helper()
	gate.release()
	<-done
	t.Fatalf("ProcessFile with Procs: %d: only %d worker processes were running at once, want %d: "+
		"start every worker before you wait for any (one goroutine per worker, or Start them all, then Wait)", procs, n, procs)
}

func TestProcsFailureStopsTheOtherWorkers(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	gate := newProcGate(t)
	path := writeFile(t, generated(t, 3000, 40, 15))
	done := make(chan error, 1)
	go func() {
		_, err := ProcessFile(path, procOpts(t, 3, gate.env, crashEnv+"=firstwaits"))
		done <- err
	}()
	// The first worker waits at the gate until the test releases it (or it is killed before it
	// gets there); the two others announce themselves at the gate and crash at once.
	hung, err := awaitFailedRun(gate, done)
	if hung != "" {
		t.Fatalf("ProcessFile with Procs: 3 kept waiting for a worker process after another one had failed (%s): "+
			"a failure must stop the others (run them with WorkerCommand(ctx, ...) under an errgroup.WithContext ctx)", hung)
	}
	require.Error(t, err, "two of three worker processes failed: the run fails")
}

// stopPatience is how long a worker process may go on once another one has ended (the gate saw
// its connection close) while the run has not returned. Stopping the others takes a correct
// ProcessProcs milliseconds: its own goroutine sees the failure and cancels the context, which
// kills them. A ProcessProcs that never stops them is caught after this, not after the guard's
// patience, which has to allow for starting the worker processes on a loaded machine too.
const stopPatience = time.Second

// awaitFailedRun waits for done, the result of a run whose first worker waits at gate while the
// others crash, and returns its error. If the run goes on for stopPatience after the gate saw a
// worker's process end (or for the guard's patience in all), awaitFailedRun releases the gate,
// waits for done and returns in hung what the run did not do, for a failure message.
func awaitFailedRun(gate *procGate, done <-chan error) (hung string, err error) {
	patience := coursetest.CurrentPatience()
	timeout, stop := coursetest.Guard()
	defer stop()
	var bound <-chan time.Time // nil, which never receives, until a worker has ended
	for {
		select {
		case err := <-done:
			return "", err
		case <-gate.left:
			if bound == nil {
				timer := time.NewTimer(stopPatience)
				defer timer.Stop()
				bound = timer.C
			}
		case <-bound:
			gate.release()
			<-done
			return fmt.Sprintf("it had not returned %v after a worker process had ended", stopPatience), nil
		case <-timeout:
			gate.release()
			<-done
			return fmt.Sprintf("it had not returned after %v", patience), nil
		}
	}
}

func TestProcsWorkerFailureFailsTheRun(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	data := generated(t, 2000, 30, 13)
	cases := []struct {
		mode, what string
		stderr     bool
	}{
		{"exit", "every worker exits with status 3 and writes nothing", true},
		{"notfirst", "every worker but the first exits with status 3", true},
		{"after", "every worker writes a good partial result, then exits with status 3", true},
		{"garbage", "every worker writes output that is not a partial result and exits 0", false},
		{"empty", "every worker writes nothing and exits 0", false},
	}
	for _, tc := range cases {
		got, err := processProcs(t, data, procOpts(t, 2, crashEnv+"="+tc.mode))
		require.Error(t, err, "ProcessFile with Procs: 2 where %s: a failed worker must fail the run (got a table of %d stations)", tc.what, lenOf(got))
		if tc.stderr {
			require.Contains(t, err.Error(), crashMessage,
				"ProcessFile where %s: the error should include what the worker wrote on its standard error (the *exec.ExitError's Stderr), so that a person can see why", tc.what)
		}
		var le *LineError
		require.False(t, errors.As(err, &le), "ProcessFile where %s: a failed worker is not a malformed line (%v)", tc.what, err)
	}
}

func lenOf(t *Table) int {
	if t == nil {
		return 0
	}
	return t.Len()
}

func TestProcsProgressReportsEveryRange(t *testing.T) {
	data := generated(t, 2000, 30, 14)
	var mu sync.Mutex
	var sum int64
	var calls int
	opts := procOpts(t, 3)
	opts.Progress = func(n int64) {
		mu.Lock()
		defer mu.Unlock()
		sum += n
		calls++
	}
	_, err := processProcs(t, data, opts)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 3, calls, "Progress is called once per worker process")
	require.EqualValues(t, len(data), sum, "the range sizes passed to Progress add up to the file's size")
}

func TestZeroProcsMeansGOMAXPROCS(t *testing.T) {
	// ProcessProcs with Procs 0 starts runtime.GOMAXPROCS(0) workers, one per range: Progress,
	// called once per range, counts them.
	coursetest.Procs(t, 3)
	data := generated(t, 3000, 40, 12)
	path := writeFile(t, data)
	var mu sync.Mutex
	var calls int
	opts := procOpts(t, 0)
	opts.Progress = func(int64) { mu.Lock(); defer mu.Unlock(); calls++ }
	var err error
	coursetest.WithinFor(t, procPatience, func() { _, err = ProcessProcs(path, int64(len(data)), opts) },
		"ProcessProcs with Procs: 0 did not return")
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 3, calls, "ProcessProcs with Procs: 0 and GOMAXPROCS 3 ran %d worker processes (Progress calls), want 3: "+
		"Procs < 1 means runtime.GOMAXPROCS(0) workers (use opts.procs(), not opts.Procs)", calls)
}

func TestWorkerFailureWrapsItsErrorAndNamesItsRange(t *testing.T) {
	data := generated(t, 2000, 30, 13)
	_, err := processProcs(t, data, procOpts(t, 2, crashEnv+"=notfirst"))
	require.Error(t, err, "the second of 2 worker processes exits with status 3: the run fails")
	ee, ok := errors.AsType[*exec.ExitError](err)
	require.True(t, ok, "the error of a failed worker wraps the *exec.ExitError of cmd.Output (fmt.Errorf with %%w), "+
		"so that a caller can see its exit status: got %v", err)
	require.Equal(t, 3, ee.ExitCode(), "the wrapped *exec.ExitError is the failed worker's (exit status 3)")
	bad := SplitN(int64(len(data)), 2)[1]
	for _, n := range []int64{bad.Off, bad.End} {
		require.Contains(t, err.Error(), strconv.FormatInt(n, 10),
			"the error names the byte range of the worker that failed, %d-%d, so that a person can rerun it: got %v", bad.Off, bad.End, err)
	}
}

func TestFailureIsTheRealCause(t *testing.T) {
	// Two workers crash; the first waits at the gate until it is killed because they did. The run's
	// error is a crash's, not "signal: killed" of the worker that was stopped.
	coursetest.CheckLeaksIfPassing(t)
	gate := newProcGate(t)
	path := writeFile(t, generated(t, 3000, 40, 15))
	err := failedRun(t, gate, path)
	gate.release()
	require.Error(t, err, "two of three worker processes failed: the run fails")
	require.Contains(t, err.Error(), crashMessage, "the run fails with the error of a worker that failed, not that of one "+
		"it killed because of that failure (return the first error to arrive, as errgroup does, not the first in range order): got %v", err)
}

func TestFailureWinsOverLineError(t *testing.T) {
	// Worker 1 finds a malformed line (a result, not a failure); only once ProcessProcs has taken
	// it in (Progress for its range) does the test let worker 2 crash. The doc: the first failure,
	// else the first line error.
	coursetest.CheckLeaksIfPassing(t)
	gate := newProcGate(t)
	data := append([]byte("bad line\n"), generated(t, 2000, 30, 16)...)
	path := writeFile(t, data)
	progressed := make(chan struct{}, 2)
	opts := procOpts(t, 2, gate.env, crashEnv+"=latecrash")
	opts.Progress = func(int64) { progressed <- struct{}{} }
	done := make(chan error, 1)
	go func() {
		_, err := ProcessFile(path, opts)
		done <- err
	}()
	timeout, stop := coursetest.Guard()
	defer stop()
	select {
	case <-progressed: // worker 1's range is done, its malformed line kept
	case err := <-done:
		gate.release()
		t.Fatalf("ProcessFile with Procs: 2 returned (%s) while worker 2 was still running: wait for every worker", clip(err))
	case <-timeout:
		gate.release()
		<-done
		t.Fatal("ProcessFile with Procs: 2 did not call Progress for worker 1's range, which found a malformed line: " +
			"a malformed line is a result, not a failure: keep it, and call opts.progress for that range as for any other")
	}
	gate.release() // worker 2 crashes now
	var err error
	coursetest.WithinFor(t, procPatience, func() { err = <-done }, "ProcessFile with Procs: 2 did not return after worker 2 crashed")
	require.Error(t, err, "worker 2 of 2 failed: the run fails")
	_, isLine := errors.AsType[*LineError](err)
	require.False(t, isLine, "worker 2 failed, so the run fails with its error, not with the malformed line worker 1 found "+
		"(a failure wins; line errors count only when every worker succeeded): got %s", clip(err))
	require.Contains(t, err.Error(), crashMessage, "the run fails with the error of worker 2, which crashed: got %s", clip(err))
}

func TestNoGoroutineOutlivesAFailedRun(t *testing.T) {
	// When ProcessProcs returns, its goroutines (and so its worker processes) are gone, even when
	// it fails: wait for every worker (g.Wait()), not only for the first failure.
	gate := newProcGate(t)
	path := writeFile(t, generated(t, 3000, 40, 15))
	err := failedRun(t, gate, path)
	left := coursetest.Goroutines() // at once: a worker killed a moment ago is still being waited for
	gate.release()
	require.Error(t, err, "two of three worker processes failed: the run fails")
	for _, g := range left {
		require.False(t, strings.Contains(g.Stack, "dataproc.ProcessProcs"),
			"a goroutine started by ProcessProcs was still running when ProcessProcs returned: wait for every worker "+
				"(g.Wait()) before you return, even after a failure. Its stack:\n%s", clipStack(g.Stack))
	}
}

// clipStack keeps the first lines of a goroutine's stack.
func clipStack(s string) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[:min(len(lines), 16)], "\n")
}

// failedRun runs ProcessFile with Procs: 3 on the file at path, where the worker of byte 0 waits at
// gate and the two others crash at once, and returns its error. If it does not return, the test
// fails stopPatience after a worker's process ended (see awaitFailedRun).
func failedRun(t *testing.T, gate *procGate, path string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := ProcessFile(path, procOpts(t, 3, gate.env, crashEnv+"=firstwaits"))
		done <- err
	}()
	hung, err := awaitFailedRun(gate, done)
	if hung != "" {
		t.Fatalf("ProcessFile with Procs: 3 kept waiting for a worker process after the two others had failed (%s): "+
			"run every worker at once, and let a failure stop the others (WorkerCommand(ctx, ...) under an errgroup.WithContext ctx)", hung)
	}
	return err
}
