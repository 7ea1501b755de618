// Command testsite serves a generated web site on a local address, for trying the scraper on:
//
//	go run ./day7_challenge/scraper/cmd/testsite -pages=500 -latency=20ms -addr=127.0.0.1:8080
//	go run ./day7_challenge/scraper/cmd/scrape -delay=0 http://127.0.0.1:8080/
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/gocourse/week11/day7_challenge/scraper/testsite"
)

func main() {
	fs := flag.NewFlagSet("testsite", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	opts := testsite.Options{Real: true}
	fs.IntVar(&opts.Pages, "pages", 500, "number of pages")
	fs.DurationVar(&opts.Latency, "latency", 0, "how long each page takes to answer")
	fs.IntVar(&opts.Fanout, "fanout", 4, "child links per page")
	fs.BoolVar(&opts.Real, "real", true, "add a robots.txt rule, broken links and pages that fail once")
	_ = fs.Parse(os.Args[1:])
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsite:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "testsite: %d pages on http://%s/ (Ctrl-C to stop)\n", opts.Pages, ln.Addr())
	if err := http.Serve(ln, testsite.New(opts)); err != nil {
		fmt.Fprintln(os.Stderr, "testsite:", err)
		os.Exit(1)
	}
}
