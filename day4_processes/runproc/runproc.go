//go:build unix

// Package runproc is Day 4's first exercise: run another program the way a careful Go program does,
// with os/exec and a context. Its output and its error output are kept apart, its exit status comes
// back as data, and when the context ends the program is killed together with every process it
// started, so a timeout never leaves a grandchild running.
package runproc

import "context"

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
	// TODO: build the command with exec.CommandContext, and give stdout and stderr a buffer each.
	// TODO: start the program in a process group of its own (cmd.SysProcAttr, syscall.SysProcAttr's
	// Setpgid), and make cmd.Cancel kill the whole group: syscall.Kill with the negated pid.
	// TODO: tell the three outcomes apart after cmd.Run: the program could not start; ctx ended; it
	// exited (an *exec.ExitError carries a non-zero status, which is not an error of Run).
	panic("TODO: implement Run (day4_processes/runproc)")
}
