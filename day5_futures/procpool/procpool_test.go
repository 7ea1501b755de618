//go:build unix

package procpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

const workerEnv = "PROCPOOL_TEST_WORKER"

// procPatience bounds every wait in these tests: starting and stopping -race processes can take a
// second or more on a loaded machine, so these guards wait longer than coursetest's own (after a
// hang, WithinFor and PatienceFor shorten them to coursetest.HurriedFor).
const procPatience = 6 * time.Second

func init() {
	Register("square", func(arg json.RawMessage) (any, error) {
		var n int
		if err := json.Unmarshal(arg, &n); err != nil {
			return nil, err
		}
		return n * n, nil
	})
	Register("pid", func(json.RawMessage) (any, error) { return os.Getpid(), nil })
	Register("fail", func(json.RawMessage) (any, error) { return nil, errors.New("bad input") })
	Register("crash", func(json.RawMessage) (any, error) { os.Exit(3); return nil, nil })
	Register("mark-and-crash", func(arg json.RawMessage) (any, error) { // appends a line to the file arg names, then crashes
		var path string
		if err := json.Unmarshal(arg, &path); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(f, "ran")
		f.Close()
		os.Exit(3)
		return nil, nil
	})
	Register("sleep", func(arg json.RawMessage) (any, error) { // runs in a worker, not a synchronisation
		var ms int
		if err := json.Unmarshal(arg, &ms); err != nil {
			return nil, err
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return ms, nil
	})
}

// TestMain makes the test binary its own worker: re-executed with workerEnv set, it serves tasks.
func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		if err := ServeWorker(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

func workerCommand() *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"=1")
	cmd.Stderr = os.Stderr
	return cmd
}

// newPool starts a pool and closes it when the test ends.
func newPool(t *testing.T, workers int) *Pool {
	t.Helper()
	return newPoolWith(t, workers, workerCommand)
}

// newPoolWith is newPool with the command that makes each worker process.
func newPoolWith(t *testing.T, workers int, command func() *exec.Cmd) *Pool {
	t.Helper()
	var p *Pool
	var err error
	coursetest.WithinFor(t, procPatience, func() { p, err = New(workers, command) }, "New(%d) did not return", workers)
	require.NoError(t, err, "New must start the worker processes")
	require.NotNil(t, p)
	t.Cleanup(func() {
		coursetest.WithinFor(t, procPatience, p.Close, "Close did not return: it must end the worker processes and wait for them")
	})
	return p
}

// call submits and waits for the result, failing the test if either hangs.
func call(t *testing.T, p *Pool, name string, arg any) (Reply, error) {
	t.Helper()
	var r Reply
	var err error
	ok := coursetest.WithinFor(t, procPatience, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var f *Future
		if f, err = p.Submit(ctx, name, arg); err != nil {
			return
		}
		r, err = f.Result(ctx)
	}, "task %q did not finish: a slot that stopped taking jobs, or a future nobody completes", name)
	if !ok {
		return Reply{}, errors.New("hung")
	}
	return r, err
}

func decode[T any](t *testing.T, r Reply) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(r.Value, &v), "the reply's value must be the task's JSON result, got %q", r.Value)
	return v
}

func TestTasksRunInWorkerProcesses(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	const workers = 3
	p := newPool(t, workers)
	pids := map[int]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 * workers {
		wg.Go(func() {
			r, err := call(t, p, "pid", nil)
			if !assert.NoError(t, err) {
				return
			}
			pid := decode[int](t, r)
			assert.NotEqual(t, os.Getpid(), pid, "the task ran in the test's own process: tasks must run in the worker processes")
			assert.Equal(t, pid, r.PID, "Reply.PID must be the pid of the worker that ran the task")
			mu.Lock()
			pids[pid] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, len(pids), workers, "%d different worker processes ran tasks, but the pool has %d: "+
		"reuse each process for task after task", len(pids), workers)
}

func TestProcessesAreReused(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	p := newPool(t, 1)
	first, err := call(t, p, "pid", nil)
	require.NoError(t, err)
	for range 3 {
		r, err := call(t, p, "pid", nil)
		require.NoError(t, err)
		assert.Equal(t, first.PID, r.PID, "with one worker, every task must run in the same process: do not start a process per task")
	}
	// A task's own error leaves its worker process healthy: it must go on serving tasks.
	for _, task := range []string{"fail", "no such task"} {
		_, err := call(t, p, task, nil)
		var te *TaskError
		require.ErrorAs(t, err, &te, "task %q must fail with a *TaskError", task)
		r, err := call(t, p, "pid", nil)
		require.NoError(t, err)
		assert.Equal(t, first.PID, r.PID, "after task %q returned an error the pool ran the next task in a new process: "+
			"a task's error (response.Err) is not a crash, so keep the process (only an error from w.call means it is gone)", task)
	}
}

func TestResultsAndErrors(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	p := newPool(t, 2)
	for _, n := range []int{0, 3, -4, 1000} {
		r, err := call(t, p, "square", n)
		require.NoError(t, err)
		assert.Equal(t, n*n, decode[int](t, r), "square(%d)", n)
	}
	_, err := call(t, p, "fail", nil)
	var te *TaskError
	require.ErrorAs(t, err, &te, "a task that returns an error must fail with a *TaskError")
	assert.Contains(t, te.Error(), "bad input", "the TaskError must carry the task's error message")
	assert.NotErrorIs(t, err, ErrWorkerCrashed, "a task's own error is not a crash")
	_, err = call(t, p, "no such task", nil)
	require.ErrorAs(t, err, &te, "an unknown task fails with a *TaskError from the worker")
	var f *Future
	coursetest.WithinFor(t, procPatience, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		f, err = p.Submit(ctx, "square", make(chan int))
	}, "Submit with an argument JSON cannot encode did not return")
	assert.Error(t, err, "Submit of an argument JSON cannot encode (a channel) must return json.Marshal's error, "+
		"not send the task a null argument")
	assert.Nil(t, f, "Submit that returns an error returns no future")
	r, err := call(t, p, "square", 5)
	require.NoError(t, err, "the pool must carry on after a task's error")
	assert.Equal(t, 25, decode[int](t, r))
}

func TestCrashFailsItsTaskAndThePoolCarriesOn(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	var rec recorder
	p := newPoolWith(t, 1, rec.command)
	before, err := call(t, p, "pid", nil)
	require.NoError(t, err)
	marks := t.TempDir() + "/runs"
	_, err = call(t, p, "mark-and-crash", marks)
	require.ErrorIs(t, err, ErrWorkerCrashed, "a task whose worker process died must fail with ErrWorkerCrashed")
	assert.Contains(t, err.Error(), "exit status 3", "the crash error should say how the process ended (w.stop()'s error)")
	if runs, err := os.ReadFile(marks); assert.NoError(t, err, "the crashing task never ran") {
		assert.Equal(t, 1, strings.Count(string(runs), "ran\n"), "the crashing task ran %d times: a task whose worker "+
			"died fails with ErrWorkerCrashed; it is not run again in the new process", strings.Count(string(runs), "ran\n"))
	}
	if pidAlive(before.PID) {
		t.Errorf("the crashed worker (pid %d) is still there: wait for it (w.stop()), or it stays a zombie", before.PID)
	}
	for range 2 {
		r, err := call(t, p, "pid", nil)
		require.NoError(t, err, "after a crash the pool must carry on: start a new worker process for the next task")
		assert.NotEqual(t, before.PID, r.PID, "the crashed process cannot run tasks; a new one must")
	}
	coursetest.WithinFor(t, procPatience, p.Close, "Close did not return")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, cmd := range rec.cmds {
		assert.NotNil(t, cmd.ProcessState, "worker process %d of %d (the first, or a replacement started after the "+
			"crash) was not waited for when Close returned: the slot must stop the process it has at the end, not the "+
			"one it started with (defer w.stop() evaluates w at the defer; defer func() { w.stop() }() reads it later)",
			i+1, len(rec.cmds))
	}
}

// TestReplacementThatFailsToStart breaks the command before a crash, so the replacement process
// cannot start: the next task must fail with an error, not hang, and once the command works again
// the pool carries on.
func TestReplacementThatFailsToStart(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	var broken atomic.Bool
	command := func() *exec.Cmd {
		if broken.Load() {
			return exec.Command("/nonexistent/procpool-worker")
		}
		return workerCommand()
	}
	p := newPoolWith(t, 1, command)
	// Broken before the crash, so that the replacement fails to start whenever it is started: at
	// once after the crash, or for the next job.
	broken.Store(true)
	_, err := call(t, p, "crash", nil)
	require.ErrorIs(t, err, ErrWorkerCrashed)
	ctx, cancel := context.WithTimeout(context.Background(), coursetest.PatienceFor(procPatience))
	defer cancel()
	f, err := p.Submit(ctx, "pid", nil)
	if err == nil {
		_, err = f.Result(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			coursetest.MarkHung()
		}
		require.NotErrorIs(t, err, context.DeadlineExceeded, "a task submitted while no worker process could be started "+
			"was never completed: when start fails, complete the job's future with start's error")
		assert.Error(t, err, "a task cannot succeed when no worker process could be started")
	}
	broken.Store(false)
	r, err := call(t, p, "pid", nil)
	require.NoError(t, err, "once processes can be started again the pool must carry on: a slot whose start failed "+
		"tries again for its next job")
	assert.NotEqual(t, os.Getpid(), r.PID)
}

func TestCloseEndsTheWorkers(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	var p *Pool
	var err error
	coursetest.WithinFor(t, procPatience, func() { p, err = New(2, workerCommand) }, "New(2) did not return")
	require.NoError(t, err)
	pids := map[int]bool{}
	for range 6 {
		r, err := call(t, p, "pid", nil)
		require.NoError(t, err)
		pids[r.PID] = true
	}
	coursetest.WithinFor(t, procPatience, p.Close, "Close did not return: end each worker process (w.stop()) and wait for the slots")
	for pid := range pids {
		assert.False(t, pidAlive(pid), "worker process %d still exists after Close: Close must end every worker "+
			"process and wait for it (cmd.Wait), or it lingers as a zombie", pid)
	}
	coursetest.WithinFor(t, procPatience, func() { _, err = p.Submit(context.Background(), "pid", nil) },
		"Submit after Close did not return: with no slot left to take the job, it must see that the pool is "+
			"closed (the quit channel) and return ErrClosed")
	assert.ErrorIs(t, err, ErrClosed, "Submit after Close must return ErrClosed")
	coursetest.WithinFor(t, procPatience, p.Close, "a second Close did not return")
}

func TestFutureAndSubmitHonourContext(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	p := newPool(t, 1)
	var f *Future
	var err error
	coursetest.WithinFor(t, procPatience, func() { f, err = p.Submit(context.Background(), "sleep", 300) },
		"Submit to an idle worker blocked")
	require.NoError(t, err)
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = f.Result(ended)
	assert.ErrorIs(t, err, context.Canceled, "Result of a future not done yet returns ctx.Err() when ctx has ended")
	// The only worker is busy for 300 ms: a Submit must wait for it, and give up when its ctx ends.
	short, cancelShort := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	var g *Future
	coursetest.WithinFor(t, procPatience, func() { g, err = p.Submit(short, "square", 3) },
		"Submit kept waiting for a busy worker after its ctx ended: select on ctx.Done() too")
	assert.ErrorIs(t, err, context.DeadlineExceeded, "Submit while every worker is busy must wait for one, and return "+
		"ctx.Err() when ctx ends first (a job channel with a buffer accepts jobs no worker has taken)")
	assert.Nil(t, g)
	var r Reply
	coursetest.WithinFor(t, procPatience, func() { r, err = f.Result(context.Background()) }, "the sleeping task never finished")
	require.NoError(t, err)
	for range 200 {
		r2, err := f.Result(ended)
		require.NoError(t, err, "Result of a done future returns its outcome even when ctx has ended")
		require.Equal(t, r, r2)
	}
}

// recorder makes worker commands and remembers them, so a test can see whether each was waited for.
type recorder struct {
	mu   sync.Mutex
	cmds []*exec.Cmd
}

func (r *recorder) command() *exec.Cmd {
	cmd := workerCommand()
	r.mu.Lock()
	r.cmds = append(r.cmds, cmd)
	r.mu.Unlock()
	return cmd
}

// TestNewStopsWhatItStartedWhenOneFails makes the third of three processes fail to start: New must
// return the error and stop and wait for the two it had started.
func TestNewStopsWhatItStartedWhenOneFails(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	var rec recorder
	var made atomic.Int32 // counts calls, so that the third fails whether New starts them in turn or at once
	command := func() *exec.Cmd {
		if made.Add(1) == 3 {
			return exec.Command("/nonexistent/procpool-worker")
		}
		return rec.command()
	}
	var p *Pool
	var err error
	coursetest.WithinFor(t, procPatience, func() { p, err = New(3, command) }, "New did not return when a process failed to start")
	require.Error(t, err, "New must return the error of a process that failed to start")
	if p != nil {
		p.Close()
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.cmds, 2)
	for i, cmd := range rec.cmds {
		assert.NotNil(t, cmd.ProcessState, "New returned an error but worker process %d, started before the one that "+
			"failed, was not stopped and waited for (w.stop()): it lingers with nobody to end it", i+1)
	}
}

func TestCloseRightAfterNew(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	var rec recorder
	var p *Pool
	var err error
	coursetest.WithinFor(t, procPatience, func() { p, err = New(3, rec.command) }, "New did not return")
	require.NoError(t, err)
	coursetest.WithinFor(t, procPatience, p.Close, "Close right after New did not return")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.cmds, 3, "New(3) must start exactly 3 worker processes")
	for i, cmd := range rec.cmds {
		assert.NotNil(t, cmd.ProcessState, "worker process %d was not waited for when Close returned: Close must wait "+
			"for every slot (count them before starting them: wg.Go or wg.Add before go)", i)
	}
	// A pool needs at least one worker: New of fewer must panic, not return a pool whose Submits wait for ever.
	for _, n := range []int{0, -1} {
		var p *Pool
		assert.Panics(t, func() { p, _ = New(n, workerCommand) }, "New(%d) must panic: a pool needs at least one worker", n)
		if p != nil {
			p.Close()
		}
	}
}

// pidAlive reports whether a process with this pid exists (a zombie counts: it was never waited for).
func pidAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// TestCloseWakesWaitingSubmits closes a pool while many Submits wait for its only worker, busy with
// a slow task: each of them must return at once, with ErrClosed or with a future the pool still
// completes, never stay blocked on a pool that will take no more jobs.
func TestCloseWakesWaitingSubmits(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	var p *Pool
	var err error
	coursetest.WithinFor(t, procPatience, func() { p, err = New(1, workerCommand) }, "New(1) did not return")
	require.NoError(t, err)
	closed := false
	t.Cleanup(func() {
		if !closed {
			coursetest.WithinFor(t, procPatience, p.Close, "Close did not return")
		}
	})
	var busy *Future
	coursetest.WithinFor(t, procPatience, func() { busy, err = p.Submit(context.Background(), "sleep", 100) },
		"Submit to an idle worker blocked")
	require.NoError(t, err)

	const waiting = 12
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type outcome struct {
		f   *Future
		err error
	}
	outcomes := make(chan outcome, waiting)
	for i := range waiting {
		go func() {
			f, err := p.Submit(ctx, "square", i)
			outcomes <- outcome{f, err}
		}()
	}
	// Close while they wait: each is parked inside Submit (or has already returned).
	coursetest.Eventually(t, func() bool {
		parked := 0
		for _, g := range coursetest.Goroutines() {
			if strings.Contains(g.Stack, ".(*Pool).Submit(") && g.State != "running" && g.State != "runnable" {
				parked++
			}
		}
		return parked+len(outcomes) == waiting
	}, "%d goroutines calling Submit while the only worker is busy did not all wait in Submit", waiting)
	coursetest.WithinFor(t, procPatience, p.Close, "Close did not return while Submits waited for a worker")
	closed = true
	timeout, stop := coursetest.Guard()
	defer stop()
	for n := range waiting {
		select {
		case o := <-outcomes:
			if o.err != nil {
				assert.ErrorIs(t, o.err, ErrClosed, "a Submit waiting for a worker when Close was called")
				continue
			}
			// A slot may take the job as Close begins: then the pool must still run it.
			rctx, rcancel := context.WithTimeout(ctx, coursetest.CurrentPatience())
			_, err := o.f.Result(rctx)
			rcancel()
			if errors.Is(err, context.DeadlineExceeded) {
				cancel()
				coursetest.MarkHung()
				t.Fatalf("a job that Submit accepted as Close began never completed: Close must let every accepted job " +
					"run (a job left in a buffered jobs channel after the slots have quit is lost, and its future waits for ever)")
			}
			assert.NoError(t, err, "a job accepted while Close began must still run")
		case <-timeout:
			cancel()
			t.Fatalf("%d of %d Submits that waited for a worker when Close was called are still blocked after Close "+
				"returned: a waiting Submit must also select on the pool's quit channel and return ErrClosed", waiting-n, waiting)
		}
	}
	_, err = busy.Result(ctx)
	assert.NoError(t, err, "the task running when Close was called must finish")
}
