// Mutant: a failed worker does not stop the others: the run waits for every worker to finish first

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
	var g errgroup.Group
	for i, c := range ranges {
		g.Go(func() error {
			cmd, err := WorkerCommand(context.Background(), path, c, opts)
			if err != nil {
				return err
			}
			out, err := cmd.Output()
			if err != nil {
				return fmt.Errorf("dataproc: worker process for bytes %d-%d failed: %w%s", c.Off, c.End, err, stderrOf(err))
			}
			parts[i], err = ReadPartial(out)
			if _, ok := errors.AsType[*LineError](err); ok {
				lineErrs[i] = err // not a failure of the worker: the first in the file wins, below
			} else if err != nil {
				return fmt.Errorf("dataproc: worker process for bytes %d-%d: %w", c.Off, c.End, err)
			}
			opts.progress(c.End - c.Off)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
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
