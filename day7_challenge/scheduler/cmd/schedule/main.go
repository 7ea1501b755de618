// Command schedule runs a job file on the Day 7 scheduler and prints a timeline of what ran when.
//
//	go run ./day7_challenge/scheduler/cmd/schedule day7_challenge/scheduler/cmd/schedule/testdata/example.toml
//
// A job file (JSON or TOML, by its extension) lists simulated jobs: when they are due, how they
// repeat, what they depend on, how long each run takes and how many runs fail; see
// testdata/example.toml. The command adds every job, waits until the one-off jobs have finished
// (and the periodic ones have run for the file's "for", or -for), shuts the scheduler down with a
// grace period, then prints the timeline and each job's outcome on stdout. Progress goes to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gocourse/week11/day7_challenge/scheduler"
	"golang.org/x/term"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, term.IsTerminal(int(os.Stderr.Fd()))))
}

// run is the command with its arguments and outputs; it returns the exit status.
func run(args []string, stdout, stderr io.Writer, tty bool) int {
	fs := flag.NewFlagSet("schedule", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxConc := fs.Int("max", 0, "the most jobs running at once (default: the file's max_concurrent, or 1)")
	runFor := fs.Duration("for", 0, "how long periodic jobs keep running (default: the file's \"for\", or 5s)")
	grace := fs.Duration("grace", 2*time.Second, "how long Shutdown lets running jobs finish before it cancels them")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: schedule [flags] JOBFILE.toml|JOBFILE.json\n\n"+
			"Runs the simulated jobs of a job file on the Day 7 scheduler and prints a timeline of what ran\n"+
			"when (seconds since the start), then each job's outcome. Progress goes to stderr.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	jf, err := load(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "schedule:", err)
		return 1
	}
	if *maxConc > 0 {
		jf.MaxConcurrent = *maxConc
	}
	if *runFor > 0 {
		jf.For = scheduler.Duration(*runFor)
	}
	if err := execute(jf, *grace, stdout, newProgress(stderr, tty)); err != nil {
		fmt.Fprintln(stderr, "schedule:", err)
		return 1
	}
	return 0
}

// load reads and parses a job file, choosing the format by the file's extension.
func load(path string) (*scheduler.JobFile, error) {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format != "json" && format != "toml" {
		return nil, fmt.Errorf("%s: the job file must end in .json or .toml", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return scheduler.ParseJobFile(data, format)
}

// execute runs the jobs of jf and prints the timeline and the outcomes on stdout.
func execute(jf *scheduler.JobFile, grace time.Duration, stdout io.Writer, p *progress) error {
	start := time.Now()
	tl := scheduler.NewTimeline(start)
	var tasks []scheduler.Task
	periodic := false
	for _, j := range jf.Jobs {
		t, err := j.Task(start, tl)
		if err != nil {
			return err
		}
		tasks = append(tasks, t)
		periodic = periodic || t.Every > 0
	}
	s := scheduler.New(scheduler.Options{MaxConcurrent: jf.MaxConcurrent})
	for _, t := range tasks {
		if err := s.Add(t); err != nil {
			_ = s.Shutdown(context.Background())
			return err
		}
	}

	// Wait for every one-off job, each on a goroutine of its own, and show progress meanwhile.
	type outcome struct {
		id  string
		err error
	}
	outcomes := make(map[string]error, len(tasks))
	results := make(chan outcome)
	oneOff := 0
	for _, t := range tasks {
		if t.Every == 0 {
			oneOff++
			go func() { results <- outcome{t.ID, s.Wait(context.Background(), t.ID)} }()
		}
	}
	until := time.Duration(jf.For)
	if periodic && until == 0 {
		until = 5 * time.Second
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for done := 0; done < oneOff || time.Since(start) < until; {
		line := fmt.Sprintf("%d of %d one-off jobs done, %d timeline entries", done, oneOff, tl.Len())
		if left := until - time.Since(start); periodic && left > 0 {
			line += fmt.Sprintf("; periodic jobs run for %.0fs more", left.Seconds())
		}
		p.show(fmt.Sprintf("%d of %d one-off jobs done", done, oneOff), line)
		select {
		case o := <-results:
			outcomes[o.id] = o.err
			done++
		case <-tick.C:
		}
	}
	p.show("shutting down", "shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	shutdownErr := s.Shutdown(ctx)
	p.done()

	fmt.Fprintln(stdout, "Timeline (seconds since the start):")
	if err := tl.Print(stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nOutcomes:")
	for _, t := range tasks {
		what := "ok"
		switch err := outcomes[t.ID]; {
		case t.Every > 0:
			what = "periodic, stopped by Shutdown"
		case err != nil:
			what = "failed: " + err.Error()
		}
		fmt.Fprintf(stdout, "  %-12s %s\n", t.ID, what)
	}
	if shutdownErr != nil {
		fmt.Fprintf(stdout, "\nShutdown: %v (running jobs were cancelled after the %v grace period)\n", shutdownErr, grace)
	}
	return nil
}

// progress writes one progress line to stderr: on a terminal the full line, rewritten in place; otherwise
// a plain line each time its short form changes.
type progress struct {
	w         io.Writer
	tty       bool
	last      string
	lastShort string
}

func newProgress(w io.Writer, tty bool) *progress { return &progress{w: w, tty: tty} }

// show reports progress: short is the line for a log, line the fuller one for a terminal.
func (p *progress) show(short, line string) {
	if p.tty {
		if line != p.last {
			p.last = line
			fmt.Fprintf(p.w, "\r\033[K%s", line)
		}
		return
	}
	if short != p.lastShort {
		p.lastShort = short
		fmt.Fprintln(p.w, short)
	}
}

// done ends the terminal's progress line.
func (p *progress) done() {
	if p.tty && p.last != "" {
		fmt.Fprintln(p.w)
	}
}
