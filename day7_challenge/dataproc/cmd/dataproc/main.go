// Command dataproc prints the min/mean/max temperature of every station of a measurements file
// ("station;temperature" lines, as cmd/gen writes them), in the one billion row challenge's format:
//
//	go run ./day7_challenge/dataproc/cmd/gen -rows 10000000 -o measurements.txt
//	go run ./day7_challenge/dataproc/cmd/dataproc measurements.txt            # goroutines
//	go run ./day7_challenge/dataproc/cmd/dataproc -procs 4 measurements.txt   # worker processes
//
// The result goes to standard output; progress (for files of 32 MiB or more, or with -progress)
// and a summary go to standard error. With -procs, the worker processes are this program again,
// started with dataproc.WorkerEnv=1 in their environment.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocourse/week11/day7_challenge/dataproc"
)

func main() {
	if os.Getenv(dataproc.WorkerEnv) == "1" {
		if err := dataproc.ServeWorker(os.Args[1:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command without its worker role; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dataproc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	workers := fs.Int("workers", 0, "goroutines scanning chunks (0: GOMAXPROCS)")
	procs := fs.Int("procs", 0, "worker processes, each scanning one byte range (0: no processes, goroutines only)")
	chunk := fs.Int64("chunk", dataproc.DefaultChunkSize, "chunk size in bytes for the goroutines")
	showProgress := fs.Bool("progress", false, "show progress on stderr even for a small file")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: dataproc [flags] FILE\n\n"+
			"Prints {station=min/mean/max, ...} for a file of station;temperature lines, sorted by station.\n"+
			"Make a file with: go run ./day7_challenge/dataproc/cmd/gen -rows 10000000 -o FILE\n\nFlags:\n")
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
	path := fs.Arg(0)
	fi, err := os.Stat(path)
	if err != nil {
		fmt.Fprintln(stderr, "dataproc:", err)
		return 1
	}
	opts := dataproc.Options{Workers: *workers, Procs: *procs, ChunkSize: *chunk}
	p := newProgress(stderr, fi.Size(), isTerminal(stderr))
	if *showProgress || fi.Size() >= 32<<20 {
		opts.Progress = p.add
		p.start()
	}
	t, err := dataproc.ProcessFile(path, opts)
	p.stop()
	if err != nil {
		fmt.Fprintln(stderr, "dataproc:", err)
		return 1
	}
	if err := dataproc.WriteResult(stdout, t); err != nil {
		fmt.Fprintln(stderr, "dataproc:", err)
		return 1
	}
	mode := fmt.Sprintf("%d goroutines", opts.Workers)
	if opts.Workers < 1 {
		mode = fmt.Sprintf("%d goroutines", runtime.GOMAXPROCS(0))
	}
	if *procs > 0 {
		mode = fmt.Sprintf("%d worker processes", *procs)
	}
	fmt.Fprintf(stderr, "dataproc: %d stations, %s in %.2fs with %s (%s/s)\n", t.Len(), bytesText(fi.Size()),
		p.elapsed().Seconds(), mode, bytesText(int64(float64(fi.Size())/max(p.elapsed().Seconds(), 1e-9))))
	return 0
}

// progress shows how much of the file is done: a line rewritten in place on a terminal (\r), a
// plain line a second otherwise.
type progress struct {
	w     io.Writer
	total int64
	tty   bool
	done  atomic.Int64
	begin time.Time
	quit  chan struct{}
	wg    sync.WaitGroup
}

func newProgress(w io.Writer, total int64, tty bool) *progress {
	return &progress{w: w, total: total, tty: tty, begin: time.Now(), quit: make(chan struct{})}
}

func (p *progress) add(n int64) { p.done.Add(n) }

func (p *progress) elapsed() time.Duration { return time.Since(p.begin) }

func (p *progress) start() {
	every := time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	p.wg.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-p.quit:
				if p.tty {
					fmt.Fprint(p.w, "\r\033[K") // clear the progress line
				}
				return
			case <-tick.C:
				fmt.Fprint(p.w, p.line())
			}
		}
	})
}

// stop ends the progress display; it may be called whether or not start was.
func (p *progress) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	p.wg.Wait()
}

// line is one progress report.
func (p *progress) line() string {
	done := p.done.Load()
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(done) / float64(p.total)
	}
	text := fmt.Sprintf("dataproc: %5.1f%%  %s of %s  %.1fs", pct, bytesText(done), bytesText(p.total), p.elapsed().Seconds())
	if p.tty {
		return "\r" + text + "\033[K"
	}
	return text + "\n"
}

// bytesText is n in B, KiB, MiB or GiB with one decimal.
func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
