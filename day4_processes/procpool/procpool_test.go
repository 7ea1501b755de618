//go:build unix

package procpool

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The workers are the test binary itself: started with workerRole as its first argument, it plays
// a worker instead of running tests (the standard library's own trick for testing os/exec).
const workerRole = "procpool-worker"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == workerRole {
		os.Exit(workerMain(os.Args[2]))
	}
	goleak.VerifyTestMain(m)
}

// workerMain reads requests on stdin and answers on stdout until its input ends. Inputs:
//
//	"pid"       answers its process id at once
//	"echo:TEXT" answers TEXT at once
//	"fail:MSG"  answers with Error MSG
//	"crash"     exits with status 3 without answering anything still in flight
//	"hold:TAG"  tells the test over the Unix socket sock "TAG PID", keeps reading requests, and
//	            answers "TAG@PID" when the test releases it (writes to or closes the connection)
func workerMain(sock string) int {
	var mu sync.Mutex
	out := json.NewEncoder(os.Stdout)
	reply := func(r Response) {
		mu.Lock()
		defer mu.Unlock()
		_ = out.Encode(r)
	}
	pid := strconv.Itoa(os.Getpid())
	in := json.NewDecoder(os.Stdin)
	for {
		var req Request
		if err := in.Decode(&req); err != nil {
			return 0 // input ended: the pool is closing
		}
		switch cmd, arg, _ := strings.Cut(req.Input, ":"); cmd {
		case "pid":
			reply(Response{ID: req.ID, Output: pid})
		case "echo":
			reply(Response{ID: req.ID, Output: arg})
		case "fail":
			reply(Response{ID: req.ID, Error: arg})
		case "crash":
			return 3
		case "hold":
			c, err := net.Dial("unix", sock)
			if err != nil {
				reply(Response{ID: req.ID, Error: "hold: " + err.Error()})
				continue
			}
			fmt.Fprintf(c, "%s %s\n", arg, pid)
			go func() {
				_, _ = c.Read(make([]byte, 1))
				c.Close()
				reply(Response{ID: req.ID, Output: arg + "@" + pid})
			}()
		default:
			reply(Response{ID: req.ID, Error: "unknown input " + strconv.Quote(req.Input)})
		}
	}
}

// harness is one test's side of the workers: the socket that held tasks report to, and every worker
// pid seen, so that the test can kill what a wrong pool leaves behind.
type harness struct {
	t     *testing.T
	sock  string
	holds chan hold

	mu   sync.Mutex
	pids map[int]bool
}

// hold is a task a worker is holding until the test releases it.
type hold struct {
	tag  string
	pid  int
	conn net.Conn
}

func (h hold) release() { h.conn.Close() }

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir, err := os.MkdirTemp("", "pp") // short: Unix socket paths are limited to about 104 bytes
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	h := &harness{t: t, sock: filepath.Join(dir, "s"), holds: make(chan hold, 100), pids: map[int]bool{}}
	ln, err := net.Listen("unix", h.sock)
	require.NoError(t, err)
	var conns []net.Conn
	var connsMu sync.Mutex
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connsMu.Lock()
			conns = append(conns, c)
			connsMu.Unlock()
			var hd hold
			if _, err := fmt.Fscan(bufio.NewReader(c), &hd.tag, &hd.pid); err != nil {
				c.Close()
				continue
			}
			hd.conn = c
			h.saw(hd.pid)
			h.holds <- hd
		}
	}()
	t.Cleanup(func() { // release every held task and stop accepting
		ln.Close()
		<-accepted
		connsMu.Lock()
		defer connsMu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return h
}

func (h *harness) saw(pid int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pids[pid] = true
}

// start makes a pool of n workers and registers its cleanup: Close it, and kill any worker that a
// wrong Close left running.
func (h *harness) start(n int) *Pool {
	t := h.t
	t.Helper()
	bin, err := os.Executable()
	require.NoError(t, err)
	var p *Pool
	coursetest.Within(t, func() { p, err = New(n, bin, workerRole, h.sock) }, "New(%d, ...) did not return: it "+
		"must start the workers (cmd.Start) and return, not wait for them to exit (cmd.Run or cmd.Wait waits "+
		"until a worker's input ends, and New holds that input open)", n)
	require.NoError(t, err, "New(%d, ...) failed", n)
	require.NotNil(t, p)
	t.Cleanup(func() {
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			p.Close()
		}()
		timeout, stop := coursetest.Guard()
		defer stop()
		select {
		case <-closed:
		case <-timeout:
			t.Errorf("Close did not return: close every worker's stdin, then wait for the workers")
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		for pid := range h.pids {
			if processExists(pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		// A pool whose reader is stuck (blocked delivering to a Submit that gave up) never lets Close
		// return, even once its workers are dead: report it rather than hang the test binary.
		late := time.NewTimer(coursetest.Hurried)
		defer late.Stop()
		select {
		case <-closed:
		case <-late.C:
			t.Errorf("Close still did not return %v after its workers were killed: a goroutine of the pool is "+
				"stuck (a reader blocked sending an answer to a Submit that already gave up?)", coursetest.Hurried)
		}
	})
	return p
}

// next waits for the next task a worker holds.
func (h *harness) next(format string, args ...any) hold {
	h.t.Helper()
	timeout, stop := coursetest.Guard()
	defer stop()
	select {
	case hd := <-h.holds:
		return hd
	case <-timeout:
		h.t.Fatalf(format, args...)
		return hold{}
	}
}

type answer struct {
	out string
	err error
}

// submitAsync calls Submit on a new goroutine and returns a channel that receives its answer.
func submitAsync(ctx context.Context, p *Pool, input string) <-chan answer {
	ch := make(chan answer, 1)
	go func() {
		out, err := p.Submit(ctx, input)
		ch <- answer{out, err}
	}()
	return ch
}

// await waits for an answer, failing the test if none comes.
func await(t *testing.T, ch <-chan answer, format string, args ...any) answer {
	t.Helper()
	timeout, stop := coursetest.Guard()
	defer stop()
	select {
	case a := <-ch:
		return a
	case <-timeout:
		t.Fatalf(format, args...)
		return answer{}
	}
}

// crashOne gives each of p's n workers a task to hold, then makes one of them crash, and waits
// until it has died. It returns the answer to "crash" and to the task the dead worker held; the
// other held tasks are released and must succeed.
func (h *harness) crashOne(p *Pool, n int) (crash, held answer) {
	t := h.t
	t.Helper()
	answers := map[string]<-chan answer{}
	for i := range n {
		tag := fmt.Sprintf("c%d", i)
		answers[tag] = submitAsync(context.Background(), p, "hold:"+tag)
	}
	holds := map[string]hold{}
	for range n {
		hd := h.next("tasks submitted at once did not all reach a worker")
		holds[hd.tag] = hd
	}
	crashed := submitAsync(context.Background(), p, "crash")
	// A worker holds its tasks' connections as long as it lives: their end is the moment of the crash.
	dead := make(chan string, n)
	for tag, hd := range holds {
		go func() {
			_, _ = hd.conn.Read(make([]byte, 1))
			dead <- tag
		}()
	}
	timeout, stop := coursetest.Guard()
	defer stop()
	var deadTag string
	select {
	case deadTag = <-dead:
	case <-timeout:
		t.Fatalf("no worker crashed: was the request \"crash\" written to a worker?")
	}
	crash = awaitSoon(t, crashed, "Submit(\"crash\") did not return when its worker exited: when a worker's "+
		"output ends, fail every task it had with ErrWorkerCrashed")
	held = awaitSoon(t, answers[deadTag], "a worker crashed while it held a task, but that task's Submit did not "+
		"return: fail every task in flight on a worker that exits, not only the last one")
	for tag, hd := range holds {
		if tag != deadTag {
			hd.release()
			a := await(t, answers[tag], "a task held by a worker that did not crash never returned")
			assert.NoError(t, a.err, "a task on a worker that did not crash must succeed")
		}
	}
	return crash, held
}

// awaitSoon waits for an answer that is due now, because the event it follows has been seen (a
// worker's death): it allows coursetest.Hurried, not a guard's full patience.
func awaitSoon(t *testing.T, ch <-chan answer, format string, args ...any) answer {
	t.Helper()
	timer := time.NewTimer(coursetest.Hurried)
	defer timer.Stop()
	select {
	case a := <-ch:
		return a
	case <-timer.C:
		t.Fatalf(format+" (%v after the worker died)", append(args, coursetest.Hurried)...)
		return answer{}
	}
}

// pidOf asks the pool for a worker's pid.
func (h *harness) pidOf(p *Pool, why string) int {
	t := h.t
	t.Helper()
	a := await(t, submitAsync(context.Background(), p, "pid"), "Submit(\"pid\") did not return %s", why)
	require.NoError(t, a.err, "Submit(\"pid\") %s", why)
	pid, err := strconv.Atoi(a.out)
	require.NoError(t, err, "Submit(\"pid\") returned %q, not the worker's pid", a.out)
	h.saw(pid)
	return pid
}

// processExists reports whether pid is a process, a zombie included.
func processExists(pid int) bool {
	return pid > 1 && syscall.Kill(pid, 0) == nil
}

func TestTasksAreSpreadOverWorkers(t *testing.T) {
	coursetest.CheckLeaks(t)
	h := newHarness(t)
	const n = 3
	p := h.start(n)
	answers := make([]<-chan answer, n)
	for i := range n {
		answers[i] = submitAsync(context.Background(), p, fmt.Sprintf("hold:%d", i))
	}
	pidOf := map[string]int{}
	workers := map[int]bool{}
	var held []hold
	for i := range n {
		hd := h.next("only %d of %d tasks submitted at once reached a worker: Submit must write each request "+
			"to a worker at once, without waiting for other tasks to finish", i, n)
		held = append(held, hd)
		pidOf[hd.tag] = hd.pid
		workers[hd.pid] = true
	}
	for _, hd := range held {
		hd.release()
	}
	require.Len(t, workers, n, "%d tasks were in flight at once on a pool of %d workers, but they went to only %d "+
		"of them: give each task to the worker with the fewest tasks in flight", n, n, len(workers))
	for i, ch := range answers {
		tag := strconv.Itoa(i)
		a := await(t, ch, "Submit(\"hold:%s\") did not return after its worker answered", tag)
		require.NoError(t, a.err, "Submit(\"hold:%s\")", tag)
		assert.Equal(t, fmt.Sprintf("%s@%d", tag, pidOf[tag]), a.out, "Submit(\"hold:%s\") returned another task's answer", tag)
	}
}

func TestAnswersAreMatchedByID(t *testing.T) {
	coursetest.CheckLeaks(t)
	h := newHarness(t)
	p := h.start(1)
	a := submitAsync(context.Background(), p, "hold:A")
	ha := h.next("Submit(\"hold:A\") never reached the worker")
	b := submitAsync(context.Background(), p, "hold:B")
	hb := h.next("a second task never reached the worker while the first was in flight: a worker may run " +
		"several tasks at once, so write each request as soon as it is submitted")

	// The worker answers B first, then A: answers come in any order, and only their ids tell them apart.
	hb.release()
	timeout, stop := coursetest.Guard()
	defer stop()
	select {
	case got := <-b:
		require.NoError(t, got.err)
		assert.Equal(t, fmt.Sprintf("B@%d", hb.pid), got.out, "Submit(\"hold:B\")")
	case got := <-a:
		t.Fatalf("the worker answered task B, but Submit(\"hold:A\") returned (%q, %v) while B's Submit still "+
			"waits: deliver each response to the task with its id, not to the oldest task in flight", got.out, got.err)
	case <-timeout:
		t.Fatalf("the worker answered task B, but Submit(\"hold:B\") did not return: deliver each response to the " +
			"task with its id, not to the oldest task in flight")
	}
	ha.release()
	got := await(t, a, "Submit(\"hold:A\") did not return after the worker answered it")
	require.NoError(t, got.err)
	assert.Equal(t, fmt.Sprintf("A@%d", ha.pid), got.out, "Submit(\"hold:A\")")
}

func TestManyConcurrentTasks(t *testing.T) {
	coursetest.CheckLeaks(t)
	h := newHarness(t)
	p := h.start(2)
	const tasks = 200
	answers := make([]<-chan answer, tasks)
	for i := range tasks {
		answers[i] = submitAsync(context.Background(), p, fmt.Sprintf("echo:%d", i))
	}
	for i, ch := range answers {
		a := await(t, ch, "Submit(\"echo:%d\") did not return (%d tasks submitted at once on 2 workers)", i, tasks)
		require.NoError(t, a.err, "Submit(\"echo:%d\")", i)
		require.Equal(t, strconv.Itoa(i), a.out, "Submit(\"echo:%d\") returned another task's answer: "+
			"match each response to its request by id", i)
	}
}

func TestTaskErrorIsNotACrash(t *testing.T) {
	coursetest.CheckLeaks(t)
	h := newHarness(t)
	p := h.start(1)
	before := h.pidOf(p, "on a new pool")
	a := await(t, submitAsync(context.Background(), p, "fail:boom"), "Submit(\"fail:boom\") did not return")
	require.Error(t, a.err, "the worker answered with Error \"boom\": Submit must return an error")
	assert.Contains(t, a.err.Error(), "boom", "Submit's error must carry the worker's Error text")
	assert.NotErrorIs(t, a.err, ErrWorkerCrashed, "a task that failed is not a crash: the worker is still running")
	assert.Equal(t, before, h.pidOf(p, "after a task failed"), "a failed task must not replace its worker")
}

func TestCrashedWorkerIsReplaced(t *testing.T) {
	coursetest.CheckLeaks(t)
	h := newHarness(t)
	p := h.start(1)
	first := h.pidOf(p, "on a new pool")
	crash, a := h.crashOne(p, 1)
	assert.ErrorIs(t, crash.err, ErrWorkerCrashed, "the worker exited instead of answering: Submit must return ErrWorkerCrashed")
	assert.ErrorIs(t, a.err, ErrWorkerCrashed, "a task was in flight on the worker that crashed: its Submit must return ErrWorkerCrashed")

	second := h.pidOf(p, "after a worker crashed: start a new worker in its place (Python's pool would be broken for good)")
	assert.NotEqual(t, first, second, "the crashed worker cannot answer: a new process must have replaced it")
	assert.Equal(t, "ok", echo(t, p, "ok"), "the replacement worker must serve every later task")
}

func TestCloseLeavesNoProcess(t *testing.T) {
	coursetest.CheckLeaks(t)
	h := newHarness(t)
	const n = 2
	p := h.start(n)
	holdAll := func(why string) {
		t.Helper()
		answers := make([]<-chan answer, n)
		for i := range n {
			answers[i] = submitAsync(context.Background(), p, fmt.Sprintf("hold:%d", i))
		}
		for range n {
			h.next("tasks submitted at once did not all reach a worker %s", why).release()
		}
		for _, ch := range answers {
			await(t, ch, "Submit did not return after its worker answered %s", why)
		}
	}
	holdAll("on a new pool")
	// A crashed worker must be waited for too, and its replacement closed.
	h.crashOne(p, n)
	holdAll("after a worker crashed")

	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	timeout, stop := coursetest.Guard()
	defer stop()
	select {
	case err := <-closed:
		assert.NoError(t, err, "Close")
	case <-timeout:
		t.Fatalf("Close did not return: close every worker's stdin (a worker exits when its input ends), then wait for it")
	}
	h.mu.Lock()
	for pid := range h.pids {
		assert.False(t, processExists(pid), "worker %d still exists after Close returned: it is running, or a zombie "+
			"nobody waited for. Close must close every worker's stdin and cmd.Wait() for each, crashed ones too", pid)
	}
	assert.Len(t, h.pids, n+1, "the test saw %d worker processes, expected %d (2 workers, one replaced after a crash)", len(h.pids), n+1)
	h.mu.Unlock()
	late := await(t, submitAsync(context.Background(), p, "echo:late"), "Submit after Close did not return: it must "+
		"return ErrClosed at once, not wait for a worker that is gone")
	assert.ErrorIs(t, late.err, ErrClosed, "Submit after Close must return ErrClosed")
	assert.True(t, coursetest.Within(t, func() { p.Close() }, "a second Close did not return"), "second Close")
}

func TestSubmitHonoursContext(t *testing.T) {
	coursetest.CheckLeaks(t)
	h := newHarness(t)
	p := h.start(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := submitAsync(ctx, p, "hold:A")
	hd := h.next("Submit(\"hold:A\") never reached the worker")
	cancel()
	got := await(t, a, "Submit did not return after its context was cancelled: wait for the answer and ctx.Done() in one select")
	assert.ErrorIs(t, got.err, context.Canceled, "Submit must return ctx.Err() when ctx ends first")

	// The worker answers the abandoned task late; that answer must not go to anyone else.
	hd.release()
	assert.Equal(t, "after", echo(t, p, "after"), "the late answer to a cancelled task went to the next task: "+
		"forget a task's id when its Submit gives up, and drop answers nobody waits for")
}

func TestNewRejectsBadArguments(t *testing.T) {
	coursetest.CheckLeaks(t)
	_, err := New(0, "true")
	assert.Error(t, err, "New(0, ...) must return an error: a pool needs at least one worker")
	p, err := New(2, filepath.Join(t.TempDir(), "no-such-worker"))
	assert.Error(t, err, "New with a program that does not exist must return an error")
	assert.Nil(t, p, "New must not return a pool when it fails")
}

// echo submits "echo:text" and returns the answer.
func echo(t *testing.T, p *Pool, text string) string {
	t.Helper()
	a := await(t, submitAsync(context.Background(), p, "echo:"+text), "Submit(\"echo:%s\") did not return", text)
	require.NoError(t, a.err, "Submit(\"echo:%s\")", text)
	return a.out
}

// TestCancelsRaceAnswers runs tasks from several goroutines on one worker, half of them with a
// context that is already cancelled, so that Submits give up while the reader delivers other answers
// to the same worker's tasks: every task gets its own answer or ctx.Err(), the race detector sees
// Submit and the reader touch the tasks in flight at once, and the pool must still answer afterwards
// (a reader blocked on a Submit that gave up answers nothing more).
func TestCancelsRaceAnswers(t *testing.T) {
	coursetest.CheckLeaks(t)
	coursetest.Procs(t, 4)
	h := newHarness(t)
	p := h.start(1)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	const goroutines, rounds = 8, 40
	problems := make(chan string, goroutines*rounds*2)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range rounds {
				want := fmt.Sprintf("%d-%d", g, i)
				out, err := p.Submit(cancelled, "echo:late-"+want)
				if err != nil && !errors.Is(err, context.Canceled) || err == nil && out != "late-"+want {
					problems <- fmt.Sprintf("Submit(cancelled ctx, \"echo:late-%s\") returned (%q, %v): want ctx.Err() "+
						"or its own answer", want, out, err)
				}
				out, err = p.Submit(context.Background(), "echo:"+want)
				if err != nil || out != want {
					problems <- fmt.Sprintf("Submit(\"echo:%s\") returned (%q, %v) while other Submits gave up: "+
						"a late answer must be dropped, never given to another task", want, out, err)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	timeout, stop := coursetest.Guard()
	defer stop()
	select {
	case <-done:
	case <-timeout:
		t.Fatalf("%d goroutines submitting %d tasks each (half of them with a cancelled ctx) on one worker did not "+
			"finish: is the reader stuck sending an answer to a Submit that gave up? Give each task's channel a "+
			"buffer of 1 so that the reader never waits", goroutines, 2*rounds)
	}
	close(problems)
	n := 0
	for msg := range problems {
		if n++; n <= 3 {
			t.Error(msg)
		}
	}
	if n > 3 {
		t.Errorf("... and %d more wrong answers", n-3)
	}
	assert.Equal(t, "after", echo(t, p, "after"), "the pool must still answer after Submits gave up")
}

// TestCloseRacesSubmit closes the pool while several goroutines keep submitting: each task gets its
// own answer or ErrClosed, Close returns, and every Submit after it returns ErrClosed.
func TestCloseRacesSubmit(t *testing.T) {
	coursetest.CheckLeaks(t)
	coursetest.Procs(t, 4)
	h := newHarness(t)
	p := h.start(2)
	const goroutines, limit = 6, 5000
	problems := make(chan string, goroutines)
	started := make(chan struct{}, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range limit {
				want := fmt.Sprintf("%d-%d", g, i)
				out, err := p.Submit(context.Background(), "echo:"+want)
				if i == 3 {
					started <- struct{}{}
				}
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil || out != want {
					problems <- fmt.Sprintf("Submit(\"echo:%s\") returned (%q, %v) while Close ran: want its own "+
						"answer or ErrClosed", want, out, err)
					return
				}
			}
			problems <- fmt.Sprintf("%d Submits in a row succeeded after Close was called: Submit must return "+
				"ErrClosed once Close has been called", limit)
		})
	}
	for range goroutines {
		select {
		case <-started:
		case <-coursetest.After():
			t.Fatalf("Submit did not return on a new pool")
		}
	}
	// One more goroutine calls Submit over and over (with an ended context, so each call is short)
	// while Close runs: the Submits above mostly wait for answers when Close comes, and a Close that
	// sets its flag without the lock must still meet a Submit reading it, for the race detector.
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	spin, stopSpin := context.WithCancel(context.Background())
	defer stopSpin()
	wg.Go(func() {
		for spin.Err() == nil {
			_, _ = p.Submit(ended, "echo:spin")
		}
	})
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	timeout, stop := coursetest.Guard()
	defer stop()
	select {
	case err := <-closed:
		assert.NoError(t, err, "Close")
	case <-timeout:
		t.Fatalf("Close did not return while other goroutines were submitting tasks")
	}
	stopSpin()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-timeout:
		t.Fatalf("Submits racing Close did not all return after Close returned: tasks in flight must fail with ErrClosed")
	}
	close(problems)
	for msg := range problems {
		t.Error(msg)
	}
	late := await(t, submitAsync(context.Background(), p, "echo:late"), "Submit after Close did not return: it must "+
		"return ErrClosed at once, not wait for a worker that is gone")
	assert.ErrorIs(t, late.err, ErrClosed, "Submit after Close must return ErrClosed")
}

// TestCancelWhileAnswersArrive submits a burst of tasks sharing one context and cancels it as soon
// as the first answer is back, while the reader is still delivering the others: a Submit may then
// give up just as the reader has picked up its answer, and the reader must not wait for it.
func TestCancelWhileAnswersArrive(t *testing.T) {
	coursetest.CheckLeaks(t)
	coursetest.Procs(t, 4)
	h := newHarness(t)
	p := h.start(1)
	const rounds, burst = 100, 20
	for r := range rounds {
		ctx, cancel := context.WithCancel(context.Background())
		type tagged struct {
			i int
			answer
		}
		results := make(chan tagged, burst)
		for i := range burst {
			go func() {
				out, err := p.Submit(ctx, fmt.Sprintf("echo:%d-%d", r, i))
				results <- tagged{i, answer{out, err}}
			}()
		}
		timeout, stop := coursetest.Guard()
		for n := range burst {
			var got tagged
			select {
			case got = <-results:
			case <-timeout:
				cancel()
				stop()
				t.Fatalf("round %d of %d: %d of %d Submits returned: the pool stopped answering after Submits gave up "+
					"while their answers arrived. Is the reader stuck sending an answer nobody waits for? Give each "+
					"task's channel a buffer of 1", r+1, rounds, n, burst)
			}
			if n == 0 {
				cancel() // while the reader delivers the rest of the burst
			}
			want := fmt.Sprintf("%d-%d", r, got.i)
			if got.err == nil && got.out != want || got.err != nil && !errors.Is(got.err, context.Canceled) {
				t.Fatalf("round %d: Submit(\"echo:%s\") returned (%q, %v): want its own answer or ctx.Err()",
					r+1, want, got.out, got.err)
			}
		}
		stop()
		cancel()
	}
	assert.Equal(t, "after", echo(t, p, "after"), "the pool must still answer after Submits gave up")
}
