package grader

import (
	"context"
	"os/exec"
)

// testCommand returns the command that runs the test binary bin in dir with args, and a function
// to call once it has ended.
func testCommand(ctx context.Context, opts *Options, bin, dir string, args []string) (*exec.Cmd, func(), error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = opts.env()
	ownProcessGroup(cmd)
	return cmd, func() {}, nil
}
