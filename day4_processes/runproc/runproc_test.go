//go:build unix

package runproc

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests run the test binary itself as the program to run (the standard library's own trick for
// os/exec): started with helperRole as its first argument, it plays a role instead of running tests.
const helperRole = "runproc-helper"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == helperRole {
		os.Exit(helperMain(os.Args[2], os.Args[3:]))
	}
	goleak.VerifyTestMain(m)
}

// lifetime bounds every helper that waits to be killed: if a test fails to kill it, it still goes
// away on its own.
const lifetime = 30 * time.Second

// helperMain plays one role in a child process and returns its exit status.
func helperMain(role string, args []string) int {
	switch role {
	case "talk": // interleave lines on stdout and stderr
		for i := range 50 {
			fmt.Fprintf(os.Stdout, "out %d\n", i)
			fmt.Fprintf(os.Stderr, "err %d\n", i)
		}
		return 0
	case "args": // print each argument on a line
		for _, a := range args {
			fmt.Println(a)
		}
		return 0
	case "exit": // exit with the status given
		code, _ := strconv.Atoi(args[0])
		fmt.Fprintf(os.Stderr, "exiting with %d\n", code)
		return code
	case "tree": // start a grandchild that holds a lock, then wait to be killed
		bin, _ := os.Executable()
		gc := exec.Command(bin, helperRole, "hold", args[0], args[1])
		gc.Stderr = os.Stderr
		if err := gc.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "tree: cannot start the grandchild:", err)
			return 2
		}
		fmt.Println("child ready")
		time.Sleep(lifetime) // a program that runs too long: the test's context will end first
		return 0
	case "hold": // lock a file, tell the test our pid and our parent's, then wait to be killed
		f, err := os.OpenFile(args[0], os.O_RDWR|os.O_CREATE, 0o600)
		if err == nil {
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		}
		var c net.Conn
		if err == nil {
			c, err = net.Dial("unix", args[1])
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "hold:", err)
			return 2
		}
		fmt.Fprintf(c, "%d %d\n", os.Getpid(), os.Getppid())
		time.Sleep(lifetime)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown helper role %q\n", role)
	return 2
}

// self is the path of the test binary, the program the tests run.
func self(t *testing.T) string {
	t.Helper()
	bin, err := os.Executable()
	require.NoError(t, err)
	return bin
}

type outcome struct {
	res Result
	err error
}

// runAsync calls Run on a new goroutine and returns a channel that receives what it returned.
func runAsync(ctx context.Context, name string, args ...string) <-chan outcome {
	done := make(chan outcome, 1)
	go func() {
		res, err := Run(ctx, name, args...)
		done <- outcome{res, err}
	}()
	return done
}

// mustFinish waits for Run to return, failing the test if it does not.
func mustFinish(t *testing.T, done <-chan outcome, format string, args ...any) outcome {
	t.Helper()
	timeout, stop := coursetest.Guard()
	defer stop()
	select {
	case o := <-done:
		return o
	case <-timeout:
		t.Fatalf(format, args...)
		return outcome{}
	}
}

func TestStdoutAndStderrKeptApart(t *testing.T) {
	coursetest.CheckLeaks(t)
	o := mustFinish(t, runAsync(context.Background(), self(t), helperRole, "talk"),
		"Run did not return after the program exited: wait for it with cmd.Run or cmd.Wait")
	require.NoError(t, o.err, "the program exited with status 0: Run should return a nil error")
	var wantOut, wantErr strings.Builder
	for i := range 50 {
		fmt.Fprintf(&wantOut, "out %d\n", i)
		fmt.Fprintf(&wantErr, "err %d\n", i)
	}
	sameText(t, "Stdout", wantOut.String(), o.res.Stdout,
		"Stdout must hold exactly what the program wrote to its standard output (give cmd.Stdout and cmd.Stderr different buffers)")
	sameText(t, "Stderr", wantErr.String(), o.res.Stderr,
		"Stderr must hold exactly what the program wrote to its standard error, apart from Stdout")
	assert.Equal(t, 0, o.res.ExitCode, "the program exited with status 0")
}

func TestArgumentsArePassed(t *testing.T) {
	coursetest.CheckLeaks(t)
	args := []string{"one", "two words", "", "--flag=x"}
	o := mustFinish(t, runAsync(context.Background(), self(t), append([]string{helperRole, "args"}, args...)...),
		"Run did not return after the program exited: wait for it with cmd.Run or cmd.Wait")
	require.NoError(t, o.err)
	sameText(t, "Stdout", strings.Join(args, "\n")+"\n", o.res.Stdout,
		"the program prints its arguments one per line: pass args to exec.CommandContext unchanged")
}

func TestExitCodeIsData(t *testing.T) {
	for _, code := range []int{0, 1, 3, 42} {
		t.Run(fmt.Sprintf("exit=%d", code), func(t *testing.T) {
			coursetest.CheckLeaks(t)
			o := mustFinish(t, runAsync(context.Background(), self(t), helperRole, "exit", strconv.Itoa(code)),
				"Run did not return after the program exited: wait for it with cmd.Run or cmd.Wait")
			require.NoError(t, o.err, "the program ran and exited with status %d: that is its Result.ExitCode, "+
				"not an error of Run (an *exec.ExitError only carries the status)", code)
			assert.Equal(t, code, o.res.ExitCode, "the program exited with status %d: Result.ExitCode must say so "+
				"(cmd.ProcessState.ExitCode()); a failure must never look like success", code)
			assert.Equal(t, fmt.Sprintf("exiting with %d\n", code), o.res.Stderr,
				"keep the error output of a program that failed: it says why")
		})
	}
}

func TestMissingProgramIsAnError(t *testing.T) {
	cases := []struct {
		name, program string
		want          error
		why           string
	}{
		{"not in PATH", "day4-no-such-program", exec.ErrNotFound, "exec.ErrNotFound"},
		{"no such path", filepath.Join(t.TempDir(), "no-such-program"), fs.ErrNotExist, "fs.ErrNotExist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			coursetest.CheckLeaks(t)
			o := mustFinish(t, runAsync(context.Background(), c.program), "Run(%q) did not return", c.program)
			require.Error(t, o.err, "Run(%q): the program does not exist, so Run must return an error "+
				"(got Result %+v): a program that never ran has no exit status", c.program, o.res)
			assert.ErrorIs(t, o.err, c.want, "Run(%q) must wrap the cause so that errors.Is(err, %s) holds", c.program, c.why)
			assert.Contains(t, o.err.Error(), filepath.Base(c.program), "the error should name the program")
		})
	}
}

func TestCancelKillsTheWholeProcessGroup(t *testing.T) {
	coursetest.CheckLeaks(t)
	dir := shortTempDir(t)
	lock, sock := filepath.Join(dir, "lock"), filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	defer ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runAsync(ctx, self(t), helperRole, "tree", lock, sock)

	// The program starts a grandchild, which locks the file and reports its pid and its parent's.
	pid, ppid := waitForGrandchild(t, ln, done)
	t.Cleanup(func() {
		if !lockFree(lock) { // the test failed: leave nothing behind
			killLeftover(pid)
			killLeftover(ppid)
		}
	})
	t.Cleanup(func() { // if Run hung, kill what it left, so that it returns
		select {
		case <-done:
		default:
			killLeftover(ppid)
			killLeftover(pid)
		}
	})

	cancel()
	o := mustFinish(t, done, "Run did not return after its context was cancelled: make cmd.Cancel kill the "+
		"process group (syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)), and start the program with Setpgid")
	require.Error(t, o.err, "the context was cancelled while the program ran: Run must return an error")
	assert.ErrorIs(t, o.err, context.Canceled, "Run's error must wrap ctx.Err() when the context ended first "+
		"(check ctx.Err() after the program has been waited for)")
	assert.Equal(t, "child ready\n", o.res.Stdout,
		"the program printed a line before it was killed: return the output captured so far")
	coursetest.Eventually(t, func() bool { return lockFree(lock) },
		"the program's own child (pid %d) was still running after Run returned: killing the program alone "+
			"leaves its children behind. Start it with SysProcAttr{Setpgid: true} and kill the whole group "+
			"with syscall.Kill(-pid, syscall.SIGKILL)", pid)
}

func TestCancelledBeforeStart(t *testing.T) {
	coursetest.CheckLeaks(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := mustFinish(t, runAsync(ctx, self(t), helperRole, "exit", "0"), "Run with a cancelled context did not return")
	assert.ErrorIs(t, o.err, context.Canceled, "Run with a context that has already ended must not run the "+
		"program, and must return an error wrapping ctx.Err()")
}

// waitForGrandchild accepts the grandchild's connection and reads its pid and its parent's pid.
func waitForGrandchild(t *testing.T, ln net.Listener, done <-chan outcome) (pid, ppid int) {
	t.Helper()
	type hello struct {
		pid, ppid int
		err       error
	}
	got := make(chan hello, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- hello{err: err}
			return
		}
		defer c.Close()
		var h hello
		_, h.err = fmt.Fscan(bufio.NewReader(c), &h.pid, &h.ppid)
		got <- h
	}()
	timeout, stop := coursetest.Guard()
	defer stop()
	select {
	case h := <-got:
		require.NoError(t, h.err, "reading the grandchild's pid")
		return h.pid, h.ppid
	case o := <-done:
		ln.Close()
		<-got
		t.Fatalf("Run returned before the context ended, while the program was still meant to run "+
			"(Result %+v, error %v)", o.res, o.err)
	case <-timeout:
		ln.Close()
		<-got
		t.Fatalf("the program's child never started: did Run start the program with its arguments?")
	}
	return 0, 0
}

// killLeftover kills one process the test started through Run, if it failed to.
func killLeftover(pid int) {
	if pid > 1 { // never 0 or -1, which mean "my process group" and "every process"
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// lockFree reports whether nobody holds the lock on file: the grandchild holds it as long as it lives.
func lockFree(file string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return false
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return true
}

// shortTempDir makes a temporary directory with a short path: Unix socket paths are limited to about
// 104 bytes, and t.TempDir() can be longer than that on macOS.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rp")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// sameText compares two texts and, when they differ, says where, without dumping both.
func sameText(t *testing.T, what, want, got, why string) {
	t.Helper()
	if want == got {
		return
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	line := func(ls []string) string {
		if i < len(ls) {
			return strconv.Quote(ls[i])
		}
		return "(end)"
	}
	t.Errorf("%s: %s\n%s has %d bytes, want %d; first difference at line %d: got %s, want %s",
		what, why, what, len(got), len(want), i+1, line(gl), line(wl))
}
