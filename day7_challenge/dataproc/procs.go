package dataproc

// ProcessProcs aggregates the file at path, of size bytes, with worker processes: it cuts the file
// into opts.Procs byte ranges (SplitN), runs one worker process per range at the same time
// (WorkerCommand), decodes each one's partial result (ReadPartial) and merges them. A worker that
// fails (exits non-zero, is killed, or writes something that is not a partial result) fails the
// whole run with an error naming its range, and the other workers are stopped. If lines are
// malformed it returns the error of the first one in the file.
func ProcessProcs(path string, size int64, opts Options) (*Table, error) {
	// TODO: the multiprocessing model: the same job as Process, but each worker is a process.
	//  - ranges := SplitN(size, opts.procs()). Run every worker at once: an errgroup.WithContext
	//    (golang.org/x/sync/errgroup), one g.Go per range, gives you "the first failure cancels
	//    ctx", and WorkerCommand(ctx, ...) kills the other workers when ctx is cancelled.
	//  - In each: cmd, err := WorkerCommand(ctx, path, c, opts); out, err := cmd.Output(). A non-nil
	//    err means the worker failed: return an error that says which range, wraps err and shows
	//    the worker's standard error (err.(*exec.ExitError).Stderr). Never carry on without its part.
	//  - t, err := ReadPartial(out): an error that is a *LineError is not a failure of the worker
	//    (keep it per range, like Process keeps it per chunk); any other error is. Then
	//    opts.progress(c.End - c.Off).
	//  - After g.Wait(): the first failure, else the first line error in range order, else Merge
	//    the partial tables into one and return it.
	panic("TODO: implement ProcessProcs (day7_challenge/dataproc)")
}
