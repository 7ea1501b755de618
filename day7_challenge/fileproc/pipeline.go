package fileproc

import "context"

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
	// TODO: build the pipeline; the helpers below are a suggested shape, only Run is tested.
	//  1. p, err := newProcessor(opts): it checks opts (return its error) and applies the defaults
	//     (use p.opts.Workers and p.opts.MaxOpen from then on).
	//  2. Start the walker on its own goroutine, sending jobs on an unbuffered channel; when walk
	//     returns, it closes jobs and then sends walk's error on a channel of its own.
	//  3. Start exactly p.opts.Workers workers. A buffered channel of p.opts.MaxOpen tokens bounds the
	//     files open at once. Close the results channel once every worker has returned.
	//  4. On Run's goroutine, emit in walk order (emitInOrder), then receive the walker's error (so
	//     the walker is done too). Return the Summary, and ctx.Err() if ctx is done, else that error.
	panic("TODO: implement Run (day7_challenge/fileproc)")
}

// walk sends a job for every entry of the tree at root, numbered 0, 1, 2, ... in walk order.
func walk(ctx context.Context, root string, jobs chan<- job) error {
	// TODO: filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error { ... }):
	// newJob(root, path, d, err) says what to do with each entry (return its fatal error; skip it
	// when !ok). Set j.seq from a counter. Send j in a select that also waits for ctx.Done(), and
	// return ctx.Err() from the callback then: a walker blocked on a send nobody receives leaks.
	panic("TODO: implement walk (day7_challenge/fileproc)")
}

// work processes jobs until there are none left or ctx is done.
func work(ctx context.Context, p *processor, slots chan struct{}, jobs <-chan job, results chan<- result) {
	// TODO: for each job: take a slot (select with ctx.Done(): return when ctx is done), check
	// ctx.Err() once more right before processing (both select cases may be ready: never open a file
	// after a cancel), r := p.process(ctx, j), give the slot back, and send result{j.seq, r} on
	// results.
	panic("TODO: implement work (day7_challenge/fileproc)")
}

// emitInOrder receives results in completion order and emits them in walk order.
func emitInOrder(ctx context.Context, results <-chan result, emit func(Result)) Summary {
	// TODO: keep early results in a map by seq; after each receive, emit (and Summary.Add) every
	// result from `next` on that is there, deleting it from the map. Receive until the channel is closed, so that no worker stays stuck sending, but once ctx is
	// done emit nothing more: check ctx.Err() right before each emit.
	panic("TODO: implement emitInOrder (day7_challenge/fileproc)")
}
