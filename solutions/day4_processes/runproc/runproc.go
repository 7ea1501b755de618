//go:build unix

// Package runproc is Day 4's first exercise: run another program the way a careful Go program does,
// with os/exec and a context. Its output and its error output are kept apart, its exit status comes
// back as data, and when the context ends the program is killed together with every process it
// started, so a timeout never leaves a grandchild running.
package runproc

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Result is what a program that ran left behind.
type Result struct {
	Stdout   string // everything the program wrote to its standard output
	Stderr   string // everything it wrote to its standard error, kept apart from Stdout
	ExitCode int    // its exit status: 0 for success; -1 if it was killed by a signal
}

// Run runs the program name with args, with no standard input, and waits for it to finish.
//
//   - A program that ran and exited returns its Result and a nil error, whatever its exit status: a
//     non-zero ExitCode is data for the caller to look at, not an error of Run.
//   - A program that cannot be started returns an error that says so and wraps the cause: errors.Is(err,
//     exec.ErrNotFound) when name is not found in $PATH, errors.Is(err, fs.ErrNotExist) when name is a
//     path to nothing.
//   - If ctx ends before the program does, Run kills the program and every process it started (its
//     whole process group, grandchildren included), waits for it, and returns the output captured so
//     far and an error wrapping ctx.Err(). When Run returns, none of those processes is running.
func Run(ctx context.Context, name string, args ...string) (Result, error) {
	var stdout, stderr strings.Builder
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A process group of its own, whose id is the program's pid: its children join it, and one
	// kill(-pgid) reaches them all.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Should a process escape the group and keep the output pipes open, stop waiting for them.
	cmd.WaitDelay = time.Second

	if err := cmd.Start(); err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("run %s: %w", name, err)
	}
	err := cmd.Wait()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: cmd.ProcessState.ExitCode()}
	var exit *exec.ExitError
	switch {
	case err != nil && ctx.Err() != nil:
		return res, fmt.Errorf("run %s: %w", name, ctx.Err())
	case err == nil || errors.As(err, &exit):
		return res, nil // a non-zero exit status is the program's answer, not Run's failure
	default:
		return res, fmt.Errorf("run %s: %w", name, err)
	}
}
