package fileproc

import (
	"context"
	"io/fs"
	"path/filepath"
	"sync"
)

// Run walks the tree at root, processes every file it finds on opts.Workers goroutines with at most
// opts.MaxOpen files open at once, and calls emit once per result, in walk order (see the package
// doc), as soon as every result before it has been emitted. Calls of emit never overlap, and all of
// them happen before Run returns.
//
// A file that fails (it cannot be opened or read, it was deleted during the walk, it is a broken
// link) is a result with Err: it is emitted in its place and the run goes on. Run returns the
// Summary of the results it emitted and an error only when root itself cannot be walked or opts is
// invalid (then nothing is emitted), or when ctx ends the run.
//
// When ctx is done, Run stops promptly: no file is opened and no result emitted any more (check
// ctx.Err() right before each open and each emit: a select whose ctx case was ready may still have
// picked the other one), the walker stops, files being read are given up (process returns at its
// next chunk), and Run returns ctx.Err() with the Summary of what was emitted before, once every
// goroutine it started has returned.
func Run(ctx context.Context, root string, opts Options, emit func(Result)) (Summary, error) {
	p, err := newProcessor(opts)
	if err != nil {
		return Summary{}, err
	}
	jobs := make(chan job)
	results := make(chan result)
	slots := make(chan struct{}, p.opts.MaxOpen) // a token per open file

	walked := make(chan error) // the walker's error, sent once it has closed jobs
	go func() {
		err := walk(ctx, root, jobs)
		close(jobs)
		walked <- err
	}()
	var workers sync.WaitGroup
	for range p.opts.Workers {
		workers.Go(func() { work(ctx, p, slots, jobs, results) })
	}
	go func() {
		workers.Wait()
		close(results) // the last thing this goroutine does: the emitter's range ends after it
	}()
	sum := emitInOrder(ctx, results, emit)
	walkErr := <-walked // the walker is done too
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	return sum, walkErr
}

// walk sends a job for every entry of the tree at root, numbered in walk order, and closes nothing:
// Run closes jobs when walk returns. It stops early when ctx is done.
func walk(ctx context.Context, root string, jobs chan<- job) error {
	seq := 0
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		j, ok, fatal := newJob(root, path, d, err)
		if fatal != nil || !ok {
			return fatal
		}
		j.seq = seq
		seq++
		select {
		case jobs <- j:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// work processes jobs until there are none left or ctx is done. It holds a slot while its file is
// open, so at most cap(slots) files are open at once, and opens nothing once ctx is done.
func work(ctx context.Context, p *processor, slots chan struct{}, jobs <-chan job, results chan<- result) {
	for j := range jobs {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		if ctx.Err() != nil { // both cases may have been ready: never open a file after a cancel
			<-slots
			return
		}
		r := p.process(ctx, j)
		<-slots
		results <- result{j.seq, r}
	}
}

// emitInOrder receives results in completion order and emits them in walk order: it keeps the
// results that came early until every result before them has been emitted, and no longer. It
// receives until results is closed, so that no worker is ever stuck sending, but emits nothing once
// ctx is done.
func emitInOrder(ctx context.Context, results <-chan result, emit func(Result)) Summary {
	var sum Summary
	early := map[int]Result{}
	next := 0
	for r := range results {
		early[r.seq] = r.Result
		for {
			r, ok := early[next]
			if !ok {
				break
			}
			delete(early, next)
			next++
			if ctx.Err() == nil {
				sum.Add(r)
				emit(r)
			}
		}
	}
	return sum
}
