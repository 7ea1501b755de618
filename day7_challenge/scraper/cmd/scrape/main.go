// Command scrape crawls web sites politely and prints one JSON line per page on stdout, with a
// progress line on stderr:
//
//	go run ./day7_challenge/scraper/cmd/scrape -depth=2 -per-host=2 -delay=100ms https://example.com/
//	go run ./day7_challenge/scraper/cmd/scrape -demo=300 -delay=0 > pages.jsonl
//
// -demo=N serves a generated local site of N pages (package testsite) and crawls it. Ctrl-C stops
// the crawl promptly; what was fetched so far has been printed.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/signal"
	"time"

	"github.com/gocourse/week11/day7_challenge/scraper"
	"github.com/gocourse/week11/day7_challenge/scraper/testsite"
	"golang.org/x/term"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, term.IsTerminal(int(os.Stderr.Fd()))))
}

// run is the command: it returns the exit status (0 done, 1 some pages failed, 2 usage, 130 interrupted).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	var demo int
	var demoLatency time.Duration
	cfg, urls, err := scraper.ParseFlags("scrape", args, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&demo, "demo", 0, "serve a generated local site of `N` pages and crawl it (no URL needed)")
		fs.DurationVar(&demoLatency, "demo-latency", 10*time.Millisecond, "latency of each page of the -demo site")
	})
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "scrape:", err)
		return 2
	}
	if demo > 0 {
		site := testsite.New(testsite.Options{Pages: demo, Latency: demoLatency, Real: true})
		srv := httptest.NewServer(site)
		defer srv.Close()
		urls = append(urls, srv.URL+"/")
		fmt.Fprintf(stderr, "scrape: serving a %d-page demo site at %s\n", demo, srv.URL)
	}
	if len(urls) == 0 {
		fmt.Fprintln(stderr, "scrape: no start URL given (try -h, or -demo=200)")
		return 2
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	out := bufio.NewWriter(stdout)
	lines := scraper.NewJSONLines(out)
	p := newProgress(stderr, tty)
	err = scraper.Crawl(ctx, cfg, urls, func(r scraper.Result) {
		if err := lines.Write(r); err != nil {
			stop() // stdout is gone: no point crawling on
		}
		p.add(r)
	})
	_ = out.Flush()
	p.finish()
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "scrape: interrupted")
		return 130
	case err != nil:
		fmt.Fprintln(stderr, "scrape:", err)
		return 2
	case p.failed > 0:
		return 1
	}
	return 0
}

// progress writes a progress line to stderr: rewritten in place on a terminal, a plain line once a
// second otherwise. Crawl calls emit from one goroutine, so it needs no lock.
type progress struct {
	w                         io.Writer
	tty                       bool
	start, last               time.Time
	pages, failed, disallowed int
	retried, links            int
}

func newProgress(w io.Writer, tty bool) *progress {
	now := time.Now()
	return &progress{w: w, tty: tty, start: now, last: now}
}

func (p *progress) add(r scraper.Result) {
	p.pages++
	p.links += len(r.Links)
	switch r.Error {
	case "":
	case scraper.ErrDisallowed.Error():
		p.disallowed++
	default:
		p.failed++
	}
	if r.Attempts > 1 {
		p.retried++
	}
	every := time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now := time.Now(); now.Sub(p.last) >= every {
		p.last = now
		p.print(false)
	}
}

func (p *progress) line() string {
	el := time.Since(p.start)
	return fmt.Sprintf("%d pages (%d failed, %d retried, %d disallowed by robots.txt), %d links, %.1fs, %.0f pages/s",
		p.pages, p.failed, p.retried, p.disallowed, p.links, el.Seconds(), float64(p.pages)/max(el.Seconds(), 1e-3))
}

func (p *progress) print(final bool) {
	switch {
	case p.tty && final:
		fmt.Fprintf(p.w, "\r\033[K%s\n", p.line())
	case p.tty:
		fmt.Fprintf(p.w, "\r\033[K%s", p.line())
	default:
		fmt.Fprintln(p.w, p.line())
	}
}

func (p *progress) finish() { p.print(true) }
