// Mutant: every task goes to the first worker, so the other workers sit idle while tasks queue on one.
// Package procpool is Day 4's second exercise: a pool of worker processes, Go's answer to Python's
// multiprocessing.Pool. Each worker is a separate program that reads one JSON request per line on its
// standard input and writes one JSON response per line on its standard output. A worker may work on
// several requests at once and answer them in any order, so every response carries the id of its
// request. A worker that crashes fails the tasks it had (Python's BrokenProcessPool) and is replaced.
package procpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
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
	name string
	args []string
	wg   sync.WaitGroup // one per worker: its reader goroutine, which also waits for the process

	mu      sync.Mutex
	workers []*worker
	nextID  int64
	closed  bool
}

// worker is one worker process and the tasks it has in flight.
type worker struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	writeMu sync.Mutex // one request line at a time
	enc     *json.Encoder
	pending map[int64]chan result // guarded by Pool.mu
}

type result struct {
	out string
	err error
}

// New starts n worker processes, each running the program name with args, with its standard input
// and output connected to the pool and its standard error to this program's. It returns an error
// (and leaves no process running) if n < 1 or a worker cannot be started.
func New(n int, name string, args ...string) (*Pool, error) {
	if n < 1 {
		return nil, fmt.Errorf("procpool: New needs at least one worker, got %d", n)
	}
	p := &Pool{name: name, args: args}
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		w, err := p.startLocked()
		if err != nil {
			p.closed = true
			for _, w := range p.workers {
				w.stdin.Close()
			}
			p.mu.Unlock()
			p.wg.Wait()
			p.mu.Lock()
			return nil, err
		}
		p.workers = append(p.workers, w)
	}
	return p, nil
}

// startLocked starts one worker process and its reader goroutine. p.mu must be held.
func (p *Pool) startLocked() (*worker, error) {
	cmd := exec.Command(p.name, p.args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("procpool: starting a worker: %w", err)
	}
	w := &worker{cmd: cmd, stdin: stdin, enc: json.NewEncoder(stdin), pending: map[int64]chan result{}}
	p.wg.Add(1)
	go p.read(w, stdout)
	return w, nil
}

// read delivers w's answers to the tasks that wait for them, by id. When w's output ends, it waits
// for the process, fails the tasks left in flight and, unless the pool is closed, replaces w.
func (p *Pool) read(w *worker, stdout io.Reader) {
	defer p.wg.Done()
	dec := json.NewDecoder(stdout)
	for {
		var r Response
		if err := dec.Decode(&r); err != nil {
			break
		}
		p.mu.Lock()
		ch, ok := w.pending[r.ID]
		delete(w.pending, r.ID)
		p.mu.Unlock()
		if !ok {
			continue // its Submit gave up
		}
		if r.Error != "" {
			ch <- result{err: fmt.Errorf("procpool: task failed: %s", r.Error)}
		} else {
			ch <- result{out: r.Output}
		}
	}
	w.stdin.Close()
	_ = w.cmd.Wait() // reap the process: no zombie

	p.mu.Lock()
	defer p.mu.Unlock()
	err := ErrWorkerCrashed
	if p.closed {
		err = ErrClosed
	}
	for id, ch := range w.pending {
		ch <- result{err: err}
		delete(w.pending, id)
	}
	if p.closed {
		return
	}
	for i, x := range p.workers {
		if x == w {
			if nw, err := p.startLocked(); err == nil {
				p.workers[i] = nw
			} else {
				p.workers = append(p.workers[:i], p.workers[i+1:]...)
			}
			break
		}
	}
}

// Submit runs input as a task on the worker with the fewest tasks in flight, waits for the answer
// and returns its Output (or an error carrying its Error). If the worker exits before answering,
// Submit returns ErrWorkerCrashed, and the pool replaces the worker with a new one. If ctx ends
// first, Submit returns ctx.Err(), and the late answer, if one comes, is dropped.
func (p *Pool) Submit(ctx context.Context, input string) (string, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return "", ErrClosed
	}
	if len(p.workers) == 0 {
		p.mu.Unlock()
		return "", ErrWorkerCrashed
	}
	w := p.workers[0]

	p.nextID++
	id := p.nextID
	ch := make(chan result, 1) // the reader never waits for a Submit that gave up
	w.pending[id] = ch
	p.mu.Unlock()

	w.writeMu.Lock()
	// A failed write means the worker is gone: its reader will fail this task with ErrWorkerCrashed.
	_ = w.enc.Encode(Request{ID: id, Input: input})
	w.writeMu.Unlock()

	select {
	case r := <-ch:
		return r.out, r.err
	case <-ctx.Done():
		p.mu.Lock()
		delete(w.pending, id)
		p.mu.Unlock()
		return "", ctx.Err()
	}
}

// Close stops the pool: it closes every worker's standard input (a worker exits when its input
// ends), waits for every worker process to exit and for the pool's goroutines to finish. Tasks still
// in flight fail with ErrClosed, and so does every later Submit. When Close returns, no worker is
// running and none is left as a zombie. Calling Close again does nothing.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for _, w := range p.workers {
		w.stdin.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}
