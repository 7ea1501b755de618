// Mutant: Close closes quit without a sync.Once: a second Close panics on closing a closed channel.
// Package procpool is Day 5's fifth exercise: an executor whose workers are processes, the Go
// counterpart of Python's ProcessPoolExecutor. Go needs no processes for parallelism (goroutines run
// on every core); it uses them for isolation: a task that crashes takes down its worker process, not
// the program. Tasks are registered functions, called by name; arguments and results travel as JSON
// lines over each worker's stdin and stdout.
package procpool

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
)

// ---- given: registered functions, the wire format, the worker's side and a small future ----

// Func is a task a worker process can run: it decodes its argument and returns a value that
// encoding/json can encode, or an error.
type Func func(arg json.RawMessage) (any, error)

var funcs = map[string]Func{}

// Register makes fn available to worker processes under name. Call it in an init function or in
// TestMain before anything else, so that the parent and every worker process register the same
// functions. It is not safe for concurrent use.
func Register(name string, fn Func) { funcs[name] = fn }

type request struct {
	Task string          `json:"task"`
	Arg  json.RawMessage `json:"arg"`
}

type response struct {
	Value json.RawMessage `json:"value,omitempty"`
	Err   string          `json:"err,omitempty"`
	PID   int             `json:"pid"`
}

// ServeWorker is the main loop of a worker process: it reads one JSON request per line from in,
// runs the registered function and writes one JSON response per line to out, until in ends.
func ServeWorker(in io.Reader, out io.Writer) error {
	dec, enc := json.NewDecoder(bufio.NewReader(in)), json.NewEncoder(out)
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		resp := response{PID: os.Getpid()}
		fn, ok := funcs[req.Task]
		if !ok {
			resp.Err = fmt.Sprintf("procpool: no task %q is registered", req.Task)
		} else if v, err := fn(req.Arg); err != nil {
			resp.Err = err.Error()
		} else if resp.Value, err = json.Marshal(v); err != nil {
			resp.Err = err.Error()
		}
		if err := enc.Encode(resp); err != nil {
			return err
		}
	}
}

// Reply is the outcome of a task that a worker process ran.
type Reply struct {
	Value json.RawMessage // the task's result, JSON-encoded
	PID   int             // the process id of the worker that ran it
}

// Future is the result of a submitted task.
type Future struct {
	done  chan struct{}
	reply Reply
	err   error
}

func newFuture() *Future { return &Future{done: make(chan struct{})} }

// complete sets the outcome; call it exactly once.
func (f *Future) complete(r Reply, err error) {
	f.reply, f.err = r, err
	close(f.done)
}

// Done returns a channel that is closed when the future is done.
func (f *Future) Done() <-chan struct{} { return f.done }

// Result waits until the future is done, or until ctx ends.
func (f *Future) Result(ctx context.Context) (Reply, error) {
	select {
	case <-f.done:
		return f.reply, f.err
	default:
	}
	select {
	case <-f.done:
		return f.reply, f.err
	case <-ctx.Done():
		return Reply{}, ctx.Err()
	}
}

// ---- the pool ----

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("procpool: pool is closed")

// ErrWorkerCrashed is the error (under errors.Is) of a task whose worker process died while running it.
var ErrWorkerCrashed = errors.New("procpool: worker process crashed")

// TaskError is the error of a task that ran and returned an error in its worker process.
type TaskError struct{ Msg string }

func (e *TaskError) Error() string { return e.Msg }

// job is a submitted task and its future.
type job struct {
	req request
	fut *Future
}

// Pool runs registered tasks in a fixed number of worker processes. Its methods are safe for
// concurrent use.
type Pool struct {
	command func() *exec.Cmd
	jobs    chan job      // unbuffered: a send is a hand-over to an idle slot
	quit    chan struct{} // closed by Close
	once    sync.Once
	wg      sync.WaitGroup // the slots
}

// New starts workers worker processes, each made by command (typically the program itself,
// re-executed with an environment variable that makes it call ServeWorker), and returns the pool.
// Each process runs one task at a time, and is reused for task after task. If a process dies while
// running a task, that task fails with ErrWorkerCrashed, the process is replaced, and the pool
// carries on. If a process cannot be started, New stops the ones it started and returns the error;
// a job whose slot has no process and cannot start one fails with that error, and the slot tries
// again for its next job. It panics if workers < 1.
func New(workers int, command func() *exec.Cmd) (*Pool, error) {
	if workers < 1 {
		panic("procpool: New needs at least one worker")
	}
	p := &Pool{command: command, jobs: make(chan job), quit: make(chan struct{})}
	procs := make([]*proc, workers)
	for i := range procs {
		w, err := start(command)
		if err != nil {
			for _, w := range procs[:i] {
				w.stop()
			}
			return nil, err
		}
		procs[i] = w
	}
	for _, w := range procs {
		p.wg.Go(func() { p.slot(w) })
	}
	return p, nil
}

// slot feeds jobs to one worker process, replacing it when it dies, until Close.
func (p *Pool) slot(w *proc) {
	defer func() {
		if w != nil {
			w.stop()
		}
	}()
	for {
		select {
		case <-p.quit:
			return
		case j := <-p.jobs:
			if w == nil {
				var err error
				if w, err = start(p.command); err != nil {
					j.fut.complete(Reply{}, err)
					continue
				}
			}
			resp, err := w.call(j.req)
			if err != nil {
				j.fut.complete(Reply{}, fmt.Errorf("%w (pid %d): %v", ErrWorkerCrashed, w.cmd.Process.Pid, w.stop()))
				w = nil // start a new one for the next job
				continue
			}
			var taskErr error
			if resp.Err != "" {
				taskErr = &TaskError{resp.Err}
			}
			j.fut.complete(Reply{Value: resp.Value, PID: resp.PID}, taskErr)
		}
	}
}

// Submit sends the task name with arg (encoded as JSON) to the next idle worker process and returns
// its future. It waits for an idle worker, and returns ctx.Err() if ctx ends first, or ErrClosed
// after Close. If arg cannot be encoded, it returns json.Marshal's error and sends nothing.
func (p *Pool) Submit(ctx context.Context, name string, arg any) (*Future, error) {
	raw, err := json.Marshal(arg)
	if err != nil {
		return nil, err
	}
	select {
	case <-p.quit:
		return nil, ErrClosed
	default:
	}
	f := newFuture()
	select {
	case p.jobs <- job{request{name, raw}, f}:
		return f, nil
	case <-p.quit:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops accepting tasks, lets the running ones finish, then ends every worker process (by
// closing its stdin) and waits for it to exit. Close may be called more than once.
func (p *Pool) Close() {
	close(p.quit)
	p.wg.Wait()
}

// proc is one running worker process.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	enc   *json.Encoder
	dec   *json.Decoder
}

func start(command func() *exec.Cmd) (*proc, error) {
	cmd := command()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &proc{cmd: cmd, stdin: stdin, enc: json.NewEncoder(stdin), dec: json.NewDecoder(bufio.NewReader(stdout))}, nil
}

// call sends one request and reads its response; an error means the process is gone.
func (w *proc) call(req request) (response, error) {
	var resp response
	if err := w.enc.Encode(req); err != nil {
		return resp, err
	}
	err := w.dec.Decode(&resp)
	return resp, err
}

// stop closes the process's stdin, so that ServeWorker returns, and waits for it to exit.
func (w *proc) stop() error {
	w.stdin.Close()
	return w.cmd.Wait()
}
