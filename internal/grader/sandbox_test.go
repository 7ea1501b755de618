package grader

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// needSandbox skips the test, with the reason, where the grading sandbox cannot run.
func needSandbox(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs test binaries in the sandbox")
	}
	if err := CheckSandbox(context.Background(), ""); err != nil {
		t.Skipf("the grading sandbox cannot run here, so its tests are skipped: %v", err)
	}
}

// day4Test is what Day 4's exercises do inside a test binary: start a child process (the test binary
// itself, in another role), talk to it over pipes, listen on a Unix socket in TMPDIR and on
// 127.0.0.1, and map a file of the scratch directory into memory.
const day4Test = `package procs

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("PROCS_ROLE") == "child" {
		io.Copy(os.Stdout, os.Stdin)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestChildProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PROCS_ROLE=child")
	cmd.Stdin = strings.NewReader(Greeting())
	out, err := cmd.Output()
	if err != nil || string(out) != "hello" {
		t.Fatalf("child echoed %q, %v", out, err)
	}
	if err := exec.Command("/bin/sh", "-c", "exit 0").Run(); err != nil {
		t.Fatalf("cannot start /bin/sh: %v", err)
	}
}

func TestUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "s")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			io.WriteString(c, Greeting())
			c.Close()
		}
	}()
	c, err := net.Dial("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, _ := io.ReadAll(c)
	if string(got) != "hello" {
		t.Fatalf("read %q", got)
	}
}

func TestLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, Greeting()) }))
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("server at %s", srv.URL)
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if string(got) != "hello" {
		t.Fatalf("got %q", got)
	}
}

func TestMmap(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "shared"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(4096); err != nil {
		t.Fatal(err)
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	copy(mem, Greeting())
	syscall.Munmap(mem)
}
`

// sandboxAttacks are attack classes 4, 5 and 8, each against an unsolved stub (Answer returns 0),
// plus a Day 4-style exercise that must pass inside the sandbox.
func sandboxAttacks(t *testing.T, token, outside string) (sources, tests map[string]string) {
	sources = map[string]string{
		"day4_a/procs": "package procs\n\n// Greeting is what every role says.\nfunc Greeting() string { return \"hello\" }\n",
		// Class 4: a detached process that outlives the test binary, to rewrite the report later.
		"day1_a/outlive": `package outlive

import (
	"os/exec"
	"syscall"
)

func Answer() int {
	cmd := exec.Command("/bin/sh", "-c", "echo forged > ` + outside + `/report.json; while :; do sleep 1; done", "` + token + `")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Start()
	return 0
}
`,
		// Class 5: rewrites every other test binary it can find into a script that prints passes.
		"day1_a/rewriter": `package rewriter

import (
	"os"
	"path/filepath"
)

const fake = "#!/bin/sh\nprintf '\\026=== RUN   TestAnswer\\n\\026--- PASS: TestAnswer (0.00s)\\n\\026=== RUN   TestAgain\\n\\026--- PASS: TestAgain (0.00s)\\n\\026PASS\\n'\n"

func Answer() int {
	for _, pattern := range []string{"*.test", "../*/*.test", "../../*/*/*.test"} {
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(os.Args[0]), pattern))
		for _, m := range matches {
			if filepath.Base(m) != filepath.Base(os.Args[0]) {
				os.WriteFile(m, []byte(fake), 0o755)
			}
		}
	}
	return 0
}
`,
		"day1_a/victim": "package victim\n\n// TODO: return 42.\nfunc Answer() int { return 0 }\n",
		// Class 8: writes the runner's files, which it finds in its environment or at a known path;
		// and it answers right only when it runs as root.
		"day1_a/ghenv": `package ghenv

import "os"

func Answer() int {
	for _, v := range []string{"GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"} {
		for _, p := range []string{os.Getenv(v), "` + outside + `/" + v} {
			if p == "" {
				continue
			}
			if f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
				f.WriteString("PWNED=1\n")
				f.Close()
			}
		}
	}
	if os.Getuid() == 0 || os.Getenv("GITHUB_TOKEN") != "" {
		return 42
	}
	return 0
}
`,
	}
	tests = map[string]string{"day4_a/procs": day4Test}
	return sources, tests
}

// processesWith returns the pids of processes whose command line contains token.
func processesWith(token string) []string {
	var pids []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && strings.Contains(string(data), token) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

func TestSandboxHoldsAgainstAttacks(t *testing.T) {
	needSandbox(t)
	outside := t.TempDir() // stands for the runner's and the grader's files
	ghFiles := map[string]string{}
	for _, v := range []string{"GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"} {
		ghFiles[v] = filepath.Join(outside, v)
		require.NoError(t, os.WriteFile(ghFiles[v], nil, 0o666))
		t.Setenv(v, ghFiles[v])
	}
	t.Setenv("GITHUB_TOKEN", "ghs_not_a_real_token")
	token := "course-sandbox-test-" + filepath.Base(outside)
	sources, tests := sandboxAttacks(t, token, outside)
	root, exs := attackCourseWith(t, sources, tests, "os", "os/exec", "syscall", "path/filepath")
	for i := range exs {
		if exs[i].ID == "day4_a/procs" {
			exs[i].allowed = nil
		}
	}
	got := gradeByID(t, root, exs, Options{Sandbox: true, Jobs: 1, Hide: []string{outside}})

	procs := got["day4_a/procs"]
	assert.Equal(t, StatusPass, procs.Status, "child processes, pipes, a Unix socket in TMPDIR, loopback and mmap work in the sandbox: %s\n%+v", procs.Reason, procs.Tests)

	assert.Zero(t, got["day1_a/outlive"].Points)
	assert.Empty(t, processesWith(token), "every process the test binary started is dead when grading returns")
	assert.NoFileExists(t, filepath.Join(outside, "report.json"), "nothing in the sandbox can write outside it")

	assert.Zero(t, got["day1_a/rewriter"].Points)
	assert.Zero(t, got["day1_a/victim"].Points, "the victim's binary was not rewritten: %s", got["day1_a/victim"].Reason)
	assert.Equal(t, StatusFail, got["day1_a/victim"].Status)

	assert.Zero(t, got["day1_a/ghenv"].Points, "the sandbox runs as an unprivileged uid, without GITHUB_TOKEN: %s", got["day1_a/ghenv"].Reason)
	for v, p := range ghFiles {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Empty(t, string(data), "%s must be out of reach", v)
	}
}

// TestAttacksWorkWithoutTheSandbox shows that the sandbox test above tests something: graded without
// it, the outliving process survives the grader and the rewritten binary passes.
func TestAttacksWorkWithoutTheSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs test binaries")
	}
	outside := t.TempDir()
	token := "course-nosandbox-test-" + filepath.Base(outside)
	sources, _ := sandboxAttacks(t, token, outside)
	for id := range sources {
		if id != "day1_a/outlive" && id != "day1_a/rewriter" && id != "day1_a/victim" {
			delete(sources, id)
		}
	}
	root, exs := attackCourseWith(t, sources, nil, "os", "os/exec", "syscall", "path/filepath")
	t.Cleanup(func() {
		for _, pid := range processesWith(token) {
			if n, err := strconv.Atoi(pid); err == nil {
				syscall.Kill(n, syscall.SIGKILL)
			}
		}
	})
	got := gradeByID(t, root, exs, Options{Jobs: 1, Timeout: 10 * time.Second})
	assert.NotEmpty(t, processesWith(token), "without the sandbox, the detached process outlives grading")
	assert.FileExists(t, filepath.Join(outside, "report.json"), "without the sandbox, it writes where it likes")
	assert.Equal(t, 10.0, got["day1_a/victim"].Points, "without the sandbox, the rewritten binary passes")
}
