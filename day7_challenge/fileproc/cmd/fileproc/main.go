// Command fileproc walks a directory tree and processes its files in parallel: SHA-256 hashes, line,
// word and byte counts, and substring or regular-expression search. Results go to standard output
// in path order (the order of filepath.WalkDir), as soon as they are ready; errors, a progress line
// and the summary go to standard error. The exit status is 1 when any file failed, 130 when the run
// was interrupted (Ctrl-C prints a partial summary), 2 for a usage error.
//
//	go run ./day7_challenge/fileproc/cmd/fileproc -hash DIR
//	go run ./day7_challenge/fileproc/cmd/fileproc -count -grep TODO DIR
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gocourse/week11/day7_challenge/fileproc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, isTerminal(os.Stderr))
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK          = 0
	exitFailedFiles = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// config is what the command line asks for.
type config struct {
	opts     fileproc.Options
	root     string
	progress time.Duration // how often the progress line is updated
}

// parseArgs reads the flags and the directory argument. It returns flag.ErrHelp for -h.
func parseArgs(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("fileproc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.BoolVar(&c.opts.Hash, "hash", false, "print the SHA-256 of every file (the default when no mode is given)")
	fs.BoolVar(&c.opts.Count, "count", false, "print the lines, words and bytes of every file")
	fs.StringVar(&c.opts.Grep, "grep", "", "print every line that contains `PATTERN`, as path:line:text")
	fs.BoolVar(&c.opts.Regexp, "regexp", false, "the -grep PATTERN is a regular expression (Go syntax), not a plain substring")
	fs.IntVar(&c.opts.Workers, "workers", 0, "goroutines processing files (0: GOMAXPROCS)")
	fs.IntVar(&c.opts.MaxOpen, "max-open", 0, "most files open at once (0: as many as -workers)")
	fs.DurationVar(&c.progress, "progress", 200*time.Millisecond, "how often to update the progress line on standard error (0: never)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: fileproc [flags] DIR\n\n"+
			"Walks DIR and processes every file in parallel. Results go to standard output in path order,\n"+
			"as soon as they are ready; errors, progress and the summary go to standard error. Exit status:\n"+
			"0 when every file was processed, 1 when any failed, 130 when interrupted, 2 for a usage error.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return c, fmt.Errorf("fileproc takes one directory, not %d arguments", fs.NArg())
	}
	c.root = fs.Arg(0)
	if c.opts.Regexp && c.opts.Grep == "" {
		return c, errors.New("-regexp needs -grep PATTERN")
	}
	if !c.opts.Hash && !c.opts.Count && c.opts.Grep == "" {
		c.opts.Hash = true
	}
	return c, c.opts.Check()
}

// run is the whole command, with its inputs and outputs as parameters; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	c, err := parseArgs(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		fmt.Fprintln(stderr, "fileproc:", err)
		return exitUsage
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	p := &progress{w: stderr, tty: tty, every: c.progress, last: time.Now()}
	start := time.Now()
	var writeErr error
	sum, err := fileproc.Run(ctx, c.root, c.opts, func(r fileproc.Result) {
		p.add(r)
		if msg := fileproc.Problem(r); msg != "" {
			p.println("fileproc: " + msg)
		}
		if writeErr == nil {
			writeErr = fileproc.WriteResult(out, r, c.opts)
		}
		if p.due() {
			if writeErr == nil {
				writeErr = out.Flush() // what is printed keeps up with the progress line
			}
			p.show()
		}
	})
	if writeErr == nil {
		writeErr = out.Flush()
	}
	p.clear()
	elapsed := time.Since(start).Round(time.Millisecond)
	switch {
	case fileproc.Interrupted(err):
		fmt.Fprintf(stderr, "fileproc: interrupted after %v: partial summary: %v\n", elapsed, sum)
		return exitInterrupted
	case err != nil:
		fmt.Fprintln(stderr, "fileproc:", err)
		return exitUsage
	case writeErr != nil:
		fmt.Fprintln(stderr, "fileproc: writing the results:", writeErr)
		return exitFailedFiles
	}
	fmt.Fprintf(stderr, "fileproc: %v in %v\n", sum, elapsed)
	if sum.Failed > 0 {
		return exitFailedFiles
	}
	return exitOK
}

// progress keeps the running totals and shows them on standard error: a line rewritten in place
// (\r) on a terminal, a plain line every few seconds otherwise. It is used from one goroutine.
type progress struct {
	w     io.Writer
	tty   bool
	every time.Duration
	last  time.Time
	sum   fileproc.Summary
	shown bool // a \r line is on the screen
}

func (p *progress) add(r fileproc.Result) { p.sum.Add(r) }

// due reports whether the progress line should be shown again.
func (p *progress) due() bool {
	every := p.every
	if !p.tty {
		every *= 10 // plain lines, less often
	}
	return p.every > 0 && time.Since(p.last) >= every
}

func (p *progress) show() {
	p.last = time.Now()
	line := "fileproc: " + p.sum.String() + " ..."
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		p.shown = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// println prints a line of its own, clearing the progress line first.
func (p *progress) println(s string) {
	p.clear()
	fmt.Fprintln(p.w, s)
}

// clear removes the progress line from a terminal.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
