package grader

// Reading test results.
//
// The test binary runs with -test.v=test2json, the mode in which the testing package frames every
// line it prints about a test's life (=== RUN, --- PASS, ...) with a control byte, 0x16. We read that
// stream ourselves instead of through `go tool test2json`: test2json also accepts unframed lines as
// events until it has seen a framed one, so a program that prints "--- PASS: TestX" before the tests
// start could forge results. Here only framed lines are events; everything else is output. And since
// code inside the test binary can print the framing byte too, the events must also make sense: each
// top-level test the grader asked for starts once and ends once, after it started, and a pass counts
// only when the binary exits 0 (see gradeExercise). Anything else marks the run as forged.

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// event is one thing the test binary reported, in the shape of a test2json event.
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
	asked    map[string]bool     // the top-level tests the grader asked this run for
	current  string              // the test the next output line belongs to
	ended    bool                // the testing package printed its final PASS or FAIL
	exitCode int                 // the binary's exit status (-1 when killed)
	killed   bool                // the grader killed it at the timeout
	err      error               // the binary could not be started
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
// grader kills it (and its process group, or its whole sandbox) a little later in case it cannot even
// report its timeout. runBinary returns only when the binary and everything it started are gone.
func runBinary(ctx context.Context, opts *Options, bin, dir, pkg string, tests []string) *binaryRun {
	r := &binaryRun{
		started: map[string]bool{},
		final:   map[string]string{},
		output:  map[string]*capBuf{},
		pkgOut:  newCapBuf(testOutputHead, testOutputTail),
		hung:    map[string]bool{},
		marks:   map[string][]string{},
		asked:   map[string]bool{},
	}
	for _, name := range tests {
		r.asked[name] = true
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
	test, cleanup, err := testCommand(ctx, opts, bin, dir, args)
	if err != nil {
		pr.Close()
		pw.Close()
		r.err = err
		return r
	}
	defer cleanup()
	test.Stdin = nil
	test.Stdout, test.Stderr = pw, pw
	test.WaitDelay = time.Second
	startErr := test.Start()
	pw.Close() // the binary holds its own copy; we see EOF when the binary (and its children) end
	if startErr != nil {
		pr.Close()
		r.err = startErr
		return r
	}
	// Read until EOF, or until the binary has exited and a moment has passed: a child that escaped
	// the process group (no sandbox) may hold the pipe open, and must not hold the grader too.
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.read(pr)
	}()
	werr := test.Wait()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		pr.Close()
		<-done
	}
	pr.Close()
	r.exitCode = test.ProcessState.ExitCode()
	r.killed = ctx.Err() != nil
	var ee *exec.ExitError
	if werr != nil && !errors.As(werr, &ee) && !r.killed && !errors.Is(werr, exec.ErrWaitDelay) {
		r.err = werr
	}
	return r
}

// read consumes the binary's framed output. Lines longer than maxLine are cut, and output is kept
// within the caps of capBuf, so memory stays bounded whatever the binary prints.
func (r *binaryRun) read(in io.Reader) {
	br := bufio.NewReaderSize(in, 64<<10)
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			r.line(string(line))
		}
		if err != nil {
			return
		}
	}
}

// readLine returns the next line, cut at maxLine bytes when it is longer.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(line) < maxLine {
			line = append(line, frag[:min(len(frag), maxLine-len(line))]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, err
	}
}

const frameByte = 0x16

// line handles one line of the binary's output: output text, possibly followed by a framed line
// (the testing package frames at the start of its own lines, but a test that printed no final
// newline leaves its text in front of the frame).
func (r *binaryRun) line(s string) {
	for s != "" {
		i := strings.IndexByte(s, frameByte)
		if i != 0 {
			text := s
			if i > 0 {
				text, s = s[:i], s[i:]
			} else {
				s = ""
			}
			r.add(event{Action: "output", Test: r.current, Output: text})
			continue
		}
		s = s[1:]
		frame := s
		if j := strings.IndexByte(s, frameByte); j >= 0 {
			frame, s = s[:j], s[j:]
		} else {
			s = ""
		}
		r.frame(frame)
	}
}

// frame interprets one framed line (without its framing byte). Unknown frames are output.
func (r *binaryRun) frame(f string) {
	text := strings.TrimRight(f, "\r\n")
	switch {
	case strings.HasPrefix(text, "=== RUN   "):
		r.current = strings.TrimPrefix(text, "=== RUN   ")
		r.add(event{Action: "run", Test: r.current})
	case strings.HasPrefix(text, "=== PAUSE "), strings.HasPrefix(text, "=== CONT  "), strings.HasPrefix(text, "=== NAME  "):
		r.current = text[len("=== NAME  "):]
	case strings.HasPrefix(text, "--- PASS: "), strings.HasPrefix(text, "--- FAIL: "), strings.HasPrefix(text, "--- SKIP: "):
		name := text[len("--- PASS: "):]
		if k := strings.LastIndex(name, " ("); k >= 0 {
			name = name[:k]
		}
		r.add(event{Action: "output", Test: name, Output: f})
		r.add(event{Action: strings.ToLower(text[4:8]), Test: name})
		// A test that panicked prints its trace after its --- FAIL line; after a pass, what follows
		// belongs to the parent test, or to the package after a top-level test.
		r.current = name
		if !strings.HasPrefix(text, "--- FAIL") {
			r.current = ""
			if k := strings.LastIndexByte(name, '/'); k >= 0 {
				r.current = name[:k]
			}
		}
	case text == "PASS" || text == "FAIL":
		r.ended = true
		r.current = ""
		r.add(event{Action: "output", Output: f})
	default:
		r.add(event{Action: "output", Test: r.current, Output: f})
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
	if ev.Action == "output" {
		buf.WriteString(ev.Output)
		return
	}
	if sub {
		return // subtests do not score
	}
	// The testing package starts each test the grader asked for once (-test.count=1), and ends it
	// once, after it started, before its final PASS or FAIL line. Anything else was printed by
	// something other than the testing package: the run's events cannot be trusted.
	before := len(r.forged)
	defer func() {
		if len(r.forged) > before && r.asked[top] {
			r.started[top], r.final[top] = true, TestFail // a test with forged events does not pass
		}
	}()
	switch {
	case r.ended:
		r.forged = append(r.forged, top+" was reported after the test binary's final result")
	case !r.asked[top]:
		r.forged = append(r.forged, top+" was reported, but the grader did not ask for it")
	case ev.Action == "run" && r.started[top]:
		r.forged = append(r.forged, top+" was reported as started twice")
	case ev.Action == "run":
		r.started[top] = true
	case !r.started[top]:
		r.forged = append(r.forged, top+" was reported as ending before it started")
	case r.final[top] != "":
		r.forged = append(r.forged, top+" was reported as ending twice")
	default:
		r.final[top] = ev.Action
	}
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = regexp.QuoteMeta(n)
	}
	return out
}
