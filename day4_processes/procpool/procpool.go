// Package procpool is Day 4's second exercise: a pool of worker processes, Go's answer to Python's
// multiprocessing.Pool. Each worker is a separate program that reads one JSON request per line on its
// standard input and writes one JSON response per line on its standard output. A worker may work on
// several requests at once and answer them in any order, so every response carries the id of its
// request. A worker that crashes fails the tasks it had (Python's BrokenProcessPool) and is replaced.
package procpool

import (
	"context"
	"errors"
)

// Request is one line a worker reads on its standard input.
type Request struct {
	ID    int64  `json:"id"`
	Input string `json:"input"`
}

// Response is one line a worker writes on its standard output: the answer to the request with the
// same ID. A non-empty Error means the task failed and the worker carries on.
type Response struct {
	ID     int64  `json:"id"`
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
}

var (
	// ErrWorkerCrashed is returned by Submit when the worker running the task exited (crashed, was
	// killed) before it answered.
	ErrWorkerCrashed = errors.New("procpool: the worker process crashed before it answered")
	// ErrClosed is returned by Submit once Close has been called.
	ErrClosed = errors.New("procpool: the pool is closed")
)

// Pool runs tasks on a fixed number of worker processes. It is safe for concurrent use.
type Pool struct {
	// TODO: the command that starts a worker; the workers (each with its *exec.Cmd, the pipe to its
	// stdin, and its tasks in flight: a map from request id to the channel its Submit waits on); the
	// next request id; whether the pool is closed; a sync.WaitGroup over the goroutines that read the
	// workers' answers. Guard the shared state with a sync.Mutex.
}

// New starts n worker processes, each running the program name with args, with its standard input
// and output connected to the pool and its standard error to this program's. It returns an error
// (and leaves no process running) if n < 1 or a worker cannot be started.
func New(n int, name string, args ...string) (*Pool, error) {
	// TODO: start n workers. For each: exec.Command, cmd.StdinPipe and cmd.StdoutPipe, cmd.Start,
	// then one goroutine that reads its answers (see read below).
	panic("TODO: implement New (day4_processes/procpool)")
}

// Submit runs input as a task on the worker with the fewest tasks in flight, waits for the answer
// and returns its Output (or an error carrying its Error). If the worker exits before answering,
// Submit returns ErrWorkerCrashed, and the pool replaces the worker with a new one. If ctx ends
// first, Submit returns ctx.Err(), and the late answer, if one comes, is dropped.
func (p *Pool) Submit(ctx context.Context, input string) (string, error) {
	// TODO: under the lock, pick the worker, take a fresh id and register a channel for it (buffered,
	// so the reader never blocks on a Submit that gave up); then write the request as one JSON line
	// (json.Encoder does that; one writer at a time per worker) and wait for the channel or ctx.
	// The reader goroutine of each worker decodes answers and delivers each to the channel of ITS id;
	// at EOF it waits for the process (cmd.Wait), fails every task still in flight with
	// ErrWorkerCrashed (ErrClosed if the pool is closing), and, unless the pool is closed, starts a
	// replacement.
	panic("TODO: implement Pool.Submit (day4_processes/procpool)")
}

// Close stops the pool: it closes every worker's standard input (a worker exits when its input
// ends), waits for every worker process to exit and for the pool's goroutines to finish. Tasks still
// in flight fail with ErrClosed, and so does every later Submit. When Close returns, no worker is
// running and none is left as a zombie. Calling Close again does nothing.
func (p *Pool) Close() error {
	// TODO: mark the pool closed under the lock, close every worker's stdin, then wait.
	panic("TODO: implement Pool.Close (day4_processes/procpool)")
}
