//go:build unix

package grader

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the test binary in a process group of its own, so that killing it also kills
// any children it started (worker processes in the later days' exercises).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
