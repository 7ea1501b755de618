package grader

// The grading sandbox. In CI mode every test binary runs inside bubblewrap (bwrap), the sandbox
// Flatpak uses: its own PID namespace (when the binary ends, everything it started is killed, detached
// or not), its own network namespace (a loopback interface and nothing else), a read-only view of the
// machine in which the runner's and the grader's files are not even visible, a private /tmp as its only
// writable place, an environment built from nothing, an unprivileged uid, and resource limits.
//
// Why bubblewrap and not namespaces set up through syscall.SysProcAttr: Go can unshare namespaces
// for a child, but it cannot run code in the child between clone and exec, which is where the mounts
// of a read-only root, a private /tmp and a fresh /proc have to be made. bubblewrap does exactly that
// setup, is small, audited, packaged by every distribution, and is what Flatpak relies on.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// SandboxUID is the uid (and gid) sandboxed processes run as when the grader runs as root: nobody,
// which owns no file on the machine.
const SandboxUID = 65534

const (
	sandboxScratch = 512 << 20 // bytes of the private /tmp
	sandboxFsize   = 256 << 20 // the largest file a sandboxed process may write
	sandboxData    = 4 << 30   // data segment per process; the race detector's shadow memory counts
	sandboxNproc   = 1024      // processes and threads of SandboxUID, all sandboxes together
	sandboxNofile  = 4096
	binInSandbox   = "/run/course" // where the test binary appears inside the sandbox
)

// hiddenDirs are replaced by empty directories inside the sandbox: the runner's and the users' files,
// the grader's temporary files (the other exercises' binaries), anything on /run.
var hiddenDirs = []string{"/home", "/root", "/var/tmp", "/run", "/mnt", "/media", "/srv", "/opt/actions-runner"}

// raceEnv is the GORACE every test binary gets: a -race binary sleeps a second at exit by default,
// and atexit_sleep_ms=0 removes that without weakening the detector.
const raceEnv = "atexit_sleep_ms=0"

// GraderRaceEnv names the variable that tells the course's tests which GORACE the grader set, so
// that they refuse to run with another one (see internal/coursetest/env.go).
const GraderRaceEnv = "COURSE_GRADER_GORACE"

// CheckSandbox reports whether test binaries can run in the sandbox here, with the course at root
// ("" for none), and if not, why, in one sentence.
func CheckSandbox(ctx context.Context, root string) error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("the grading sandbox needs Linux (bubblewrap), and this is %s", runtime.GOOS)
	}
	if _, err := exec.LookPath("bwrap"); err != nil {
		return errors.New("the grading sandbox needs bubblewrap, which is not installed (apt-get install bubblewrap)")
	}
	for _, tool := range []string{"prlimit", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil && (tool == "prlimit" || os.Geteuid() == 0) {
			return fmt.Errorf("the grading sandbox needs %s (util-linux), which is not installed", tool)
		}
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		return errors.New("the grading sandbox check needs a shell (sh)")
	}
	if root == "" {
		dir, err := os.MkdirTemp("", "course-sandbox-check-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		root = dir
		if err := os.Chmod(dir, 0o755); err != nil {
			return err
		}
	}
	opts := &Options{Root: root, Timeout: 10 * time.Second, Sandbox: true}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	// From inside, as the sandbox's uid: the course must be readable, and /tmp writable.
	cmd, _, err := testCommand(ctx, opts, sh, "/", []string{"-c", `cd -- "$0" && test -r . && : > /tmp/probe || { echo "the course at $0 is not readable by the sandbox's uid"; exit 1; }`, root})
	if err != nil {
		return err
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if strings.Contains(msg, "uid map") || strings.Contains(msg, "Operation not permitted") || strings.Contains(msg, "No permissions to create") {
			return fmt.Errorf("bubblewrap cannot create its namespaces here (%s): on Ubuntu 24.04 AppArmor forbids that to unprivileged users; run the grader as root (it drops to uid %d itself) or allow it with `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`", msg, SandboxUID)
		}
		if strings.HasPrefix(msg, "the course at") {
			return fmt.Errorf("%s (uid %d; make it readable with chmod -R o+rX, or grade as another user)", msg, SandboxUID)
		}
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("bubblewrap does not work here: %s", msg)
	}
	return nil
}

// testCommand returns the command that runs the test binary bin in dir with args (inside the
// sandbox when opts.Sandbox is set), and a function to call once it has ended.
func testCommand(ctx context.Context, opts *Options, bin, dir string, args []string) (*exec.Cmd, func(), error) {
	env := []string{"GORACE=" + raceEnv, GraderRaceEnv + "=" + raceEnv}
	if !opts.Sandbox {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = dir
		cmd.Env = append(opts.env(), GraderRaceEnv+"="+raceEnv)
		ownProcessGroup(cmd)
		return cmd, func() {}, nil
	}
	if runtime.GOOS != "linux" {
		return nil, nil, errors.New("the grading sandbox needs Linux")
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	inside := binInSandbox + "/" + filepath.Base(bin)
	asRoot := os.Geteuid() == 0

	a := []string{"--die-with-parent", "--new-session"}
	if asRoot {
		// No user namespace: it would map the sandbox's uid to root outside. setpriv drops to
		// nobody instead, so that outside the sandbox its processes are nobody's too.
		a = append(a, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
			"--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP")
	} else {
		a = append(a, "--unshare-all")
	}
	a = append(a, "--hostname", "sandbox", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc")
	hidden := []string{"/tmp"}
	for _, h := range append(append([]string{}, hiddenDirs...), opts.Hide...) {
		if fi, err := os.Stat(h); err == nil && fi.IsDir() {
			a = append(a, "--tmpfs", h)
			hidden = append(hidden, filepath.Clean(h))
		}
	}
	a = append(a, "--perms", "1777", "--size", fmt.Sprint(sandboxScratch), "--tmpfs", "/tmp")
	// bwrap creates missing parents of a mount point for root only (0700): make the ones inside a
	// hidden directory traversable, so that the sandbox's uid reaches the course and the binary.
	for _, p := range append(ancestors(root), ancestors(inside)...) {
		for _, h := range hidden {
			if strings.HasPrefix(p, h+"/") {
				a = append(a, "--perms", "0755", "--dir", p)
				break
			}
		}
	}
	a = append(a,
		"--ro-bind", root, root, // the course, read-only: the tests read their testdata
		"--ro-bind", bin, inside,
		"--chdir", dir,
		"--clearenv",
		"--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
		"--setenv", "HOME", "/tmp",
		"--setenv", "TMPDIR", "/tmp",
		"--setenv", "GOFLAGS", "-mod=readonly",
		"--setenv", "LANG", "C.UTF-8",
	)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		a = append(a, "--setenv", k, v)
	}
	a = append(a, "--")
	if asRoot {
		a = append(a, "setpriv", "--reuid", fmt.Sprint(SandboxUID), "--regid", fmt.Sprint(SandboxUID), "--clear-groups",
			"--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--")
	}
	cpu := int((4*opts.Timeout + 30*time.Second) / time.Second)
	a = append(a, "prlimit", fmt.Sprintf("--cpu=%d", cpu), fmt.Sprintf("--fsize=%d", sandboxFsize),
		fmt.Sprintf("--data=%d", sandboxData), fmt.Sprintf("--nofile=%d", sandboxNofile), "--core=0")
	if asRoot {
		a = append(a, fmt.Sprintf("--nproc=%d", sandboxNproc))
	}
	a = append(a, "--", inside)
	a = append(a, args...)

	cmd := exec.CommandContext(ctx, "bwrap", a...)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	// Killing bwrap kills the sandbox: --die-with-parent gives its first process SIGKILL when bwrap
	// dies, and with it every process of its PID namespace.
	ownProcessGroup(cmd)
	return cmd, func() {}, nil
}

// ancestors returns the directories above the absolute path p, outermost first, / excluded.
func ancestors(p string) []string {
	var out []string
	for d := filepath.Dir(p); d != "/" && d != "."; d = filepath.Dir(d) {
		out = append([]string{d}, out...)
	}
	return out
}
