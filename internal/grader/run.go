package grader

// Reading test results.
//
// The test binary runs with -test.v=test2json, and its output goes through `go tool test2json`, the Go
// toolchain's own converter of that framed output into the JSON events documented by `go doc
// test2json`. We decode those events with encoding/json into the small struct below rather than use a
// library such as gotestsum's testjson: that package keeps all output in memory (a student's endless
// printing must not exhaust ours), attributes results after the fact, and would add a dozen modules to
// every student's download, while the format it parses is eight documented fields. What we need on top
// — which tests started and never finished, output caps, our own kill on a hang — is ours either way.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// event is one test2json event (see `go doc test2json`).
type event struct {
	Action  string
	Test    string
	Output  string
	Elapsed float64
}

// binaryRun is what one run of a test binary reported.
type binaryRun struct {
	started  map[string]bool     // top-level tests that printed "=== RUN"
	final    map[string]string   // their verdict: pass, fail or skip
	output   map[string]*capBuf  // each top-level test's output, its subtests' included
	pkgOut   *capBuf             // output outside any test: TestMain, goleak, a crash after the tests
	forged   []string            // why the event stream cannot be genuine, if it cannot
	alarm    bool                // the testing package's -test.timeout alarm fired
	hung     map[string]bool     // the tests its alarm listed as running
	marks    map[string][]string // per test ("" for none): lines that say what went wrong, kept whatever the caps drop
	exitCode int                 // the binary's exit status (-1 when killed)
	killed   bool                // the grader killed it at the timeout
	err      error               // the binary or test2json could not be started
}

// text returns everything test name printed followed by the package's own output, and the lines
// that say what went wrong, in case the output caps dropped them.
func (r *binaryRun) text(name string) string {
	return strings.TrimSpace(r.testText(name) + "\n" + withMarks(r.pkgOut, r.marks[""]))
}

// testText returns what test name printed (and its marker lines, if the caps dropped any output).
func (r *binaryRun) testText(name string) string {
	return withMarks(r.output[name], r.marks[name])
}

func withMarks(b *capBuf, marks []string) string {
	if b == nil || b.dropped == 0 {
		return b.String()
	}
	return b.String() + "\n[lines kept from the part left out:]\n" + strings.Join(marks, "")
}

// markers are the starts of lines that say what went wrong; they are kept apart from the capped
// output, so a test that floods its output still gets the right diagnosis.
var markers = []string{"panic: ", "fatal error: ", "WARNING: DATA RACE", "found unexpected goroutines", "testing.go:", "--- FAIL"}

const maxMarks = 20

// scan notes the lines of output that matter for the verdict: the timeout alarm, the tests it lists
// as running ("\t\tTestX (1m0s)"), and the markers.
func (r *binaryRun) scan(test, line string) {
	// Contains, not HasPrefix: a test that is still printing can split the panic's line in two.
	if strings.Contains(line, "test timed out after") {
		r.alarm = true
	}
	if r.alarm && strings.HasPrefix(line, "\t\tTest") {
		if name, _, ok := strings.Cut(strings.TrimSpace(line), " ("); ok {
			top, _, _ := strings.Cut(name, "/")
			r.hung[top] = true
		}
	}
	if len(r.marks[test]) < maxMarks {
		for _, m := range markers {
			if strings.Contains(line, m) {
				r.marks[test] = append(r.marks[test], line)
				break
			}
		}
	}
}

const (
	testOutputHead = 8 << 10
	testOutputTail = 24 << 10
	maxLine        = 1 << 20
)

// runBinary runs the test binary bin in dir (its package directory, as `go test` would), limited to
// the given top-level tests, and collects what it reports. The binary gets its own -test.timeout; the
// grader kills it (and its process group) a little later in case it cannot even report its timeout.
func runBinary(ctx context.Context, opts *Options, bin, dir, pkg string, tests []string) *binaryRun {
	r := &binaryRun{
		started: map[string]bool{},
		final:   map[string]string{},
		output:  map[string]*capBuf{},
		pkgOut:  newCapBuf(testOutputHead, testOutputTail),
		hung:    map[string]bool{},
		marks:   map[string][]string{},
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout+5*time.Second)
	defer cancel()

	pr, pw, err := os.Pipe()
	if err != nil {
		r.err = err
		return r
	}
	args := []string{
		"-test.v=test2json",
		"-test.run=^(" + strings.Join(quoteAll(tests), "|") + ")$",
		"-test.timeout=" + opts.Timeout.String(),
		"-test.count=1",
	}
	if opts.CPU != "" {
		args = append(args, "-test.cpu="+opts.CPU)
	}
	if opts.FailFast {
		args = append(args, "-test.failfast")
	}
	test := exec.CommandContext(ctx, bin, args...)
	test.Dir = dir
	test.Env = opts.env()
	test.Stdin = nil
	test.Stdout, test.Stderr = pw, pw
	test.WaitDelay = time.Second
	ownProcessGroup(test)

	conv := exec.Command(opts.goCmd(), "tool", "test2json", "-t", "-p", pkg)
	if opts.test2json != "" {
		conv = exec.Command(opts.test2json, "-t", "-p", pkg)
	}
	conv.Stdin = pr
	convOut, err := conv.StdoutPipe()
	if err != nil {
		r.err = err
		return r
	}
	if err := conv.Start(); err != nil {
		pr.Close()
		pw.Close()
		r.err = err
		return r
	}
	pr.Close()
	startErr := test.Start()
	pw.Close() // the binary holds its own copy; test2json sees EOF when the binary (and its children) end
	if startErr != nil {
		r.err = startErr
	}

	r.read(convOut)
	if startErr == nil {
		werr := test.Wait()
		r.exitCode = test.ProcessState.ExitCode()
		r.killed = ctx.Err() != nil
		var ee *exec.ExitError
		if werr != nil && !errors.As(werr, &ee) && !r.killed {
			r.err = werr
		}
	}
	conv.Wait()
	return r
}

// read consumes test2json's events. Lines longer than maxLine are skipped, and output is kept within
// the caps of capBuf, so memory stays bounded whatever the binary prints.
func (r *binaryRun) read(in io.Reader) {
	br := bufio.NewReaderSize(in, 64<<10)
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			var ev event
			if json.Unmarshal(line, &ev) == nil {
				r.add(ev)
			}
		}
		if err != nil {
			return
		}
	}
}

// readLine returns the next line, or an empty one in place of a line longer than maxLine.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	tooLong := false
	for {
		frag, err := br.ReadSlice('\n')
		if !tooLong {
			line = append(line, frag...)
			if len(line) > maxLine {
				tooLong, line = true, nil
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, err
	}
}

func (r *binaryRun) add(ev event) {
	top, _, sub := strings.Cut(ev.Test, "/")
	if ev.Action == "output" {
		r.scan(top, ev.Output)
	}
	if ev.Test == "" {
		if ev.Action == "output" {
			r.pkgOut.WriteString(ev.Output)
		}
		return
	}
	buf := r.output[top]
	if buf == nil {
		buf = newCapBuf(testOutputHead, testOutputTail)
		r.output[top] = buf
	}
	switch ev.Action {
	case "output":
		buf.WriteString(ev.Output)
	case "run":
		if !sub {
			// With -test.count=1 the testing package starts each test once. A second start means
			// something else printed test2json framing: the events cannot be trusted.
			if r.started[top] {
				r.forged = append(r.forged, top+" was reported as started twice")
			}
			r.started[top] = true
			delete(r.final, top)
		}
	case "pass", "fail", "skip":
		// A verdict counts only for a test the binary really started, and a failure is final: lines a
		// program prints before the tests run, imitating "--- PASS", cannot stand in for a result.
		if !sub && r.started[top] && r.final[top] != "fail" {
			r.final[top] = ev.Action
		}
	}
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = regexp.QuoteMeta(n)
	}
	return out
}
