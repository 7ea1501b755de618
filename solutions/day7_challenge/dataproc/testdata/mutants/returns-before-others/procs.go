// Mutant: ProcessProcs returns at the first failure without waiting for the other workers (they are killed, but outlive the call)

package dataproc

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"golang.org/x/sync/errgroup"
)

// ProcessProcs aggregates the file at path, of size bytes, with worker processes: it cuts the file
// into opts.Procs byte ranges (SplitN), runs one worker process per range at the same time
// (WorkerCommand), decodes each one's partial result (ReadPartial) and merges them. A worker that
// fails (exits non-zero, is killed, or writes something that is not a partial result) fails the
// whole run with an error naming its range, and the other workers are stopped. If lines are
// malformed it returns the error of the first one in the file.
func ProcessProcs(path string, size int64, opts Options) (*Table, error) {
	ranges := SplitN(size, opts.procs())
	parts := make([]*Table, len(ranges))
	lineErrs := make([]error, len(ranges))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var g errgroup.Group
	failed := make(chan error, len(ranges))
	for i, c := range ranges {
		g.Go(func() error {
			cmd, err := WorkerCommand(ctx, path, c, opts)
			if err != nil {
				return err
			}
			out, err := cmd.Output()
			if err != nil {
				err = fmt.Errorf("dataproc: worker process for bytes %d-%d failed: %w%s", c.Off, c.End, err, stderrOf(err))
				failed <- err
				return err
			}
			parts[i], err = ReadPartial(out)
			if _, ok := errors.AsType[*LineError](err); ok {
				lineErrs[i] = err // not a failure of the worker: the first in the file wins, below
			} else if err != nil {
				err = fmt.Errorf("dataproc: worker process for bytes %d-%d: %w", c.Off, c.End, err)
				failed <- err
				return err
			}
			opts.progress(c.End - c.Off)
			return nil
		})
	}
	waited := make(chan error, 1)
	go func() { waited <- g.Wait() }()
	select {
	case err := <-failed:
		return nil, err
	case err := <-waited:
		if err != nil {
			return nil, err
		}
	}
	for _, err := range lineErrs {
		if err != nil {
			return nil, err
		}
	}
	t := NewTable()
	for _, p := range parts {
		Merge(t, p)
	}
	return t, nil
}

// stderrOf returns what a failed worker wrote on its standard error, as ": TEXT", or "".
func stderrOf(err error) string {
	if ee, ok := errors.AsType[*exec.ExitError](err); ok && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}
