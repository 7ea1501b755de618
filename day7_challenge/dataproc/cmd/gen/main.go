// Command gen writes a measurements file for cmd/dataproc: rows lines of "station;temperature",
// the same bytes for the same flags.
//
//	go run ./day7_challenge/dataproc/cmd/gen -rows 10000000 -stations 413 -seed 1 -o measurements.txt
//
// Each row is about 14 bytes: 10 million rows make about 140 MB, a billion about 14 GB.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gocourse/week11/day7_challenge/dataproc"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rows := fs.Int("rows", 1_000_000, "lines to write")
	stations := fs.Int("stations", 413, "distinct stations (at most about 100,000 distinct names)")
	seed := fs.Uint64("seed", 1, "random seed: the same flags give the same file")
	out := fs.String("o", "", "output file (default: standard output)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gen [flags]\n\nWrites station;temperature lines for dataproc.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 || *rows < 0 || *stations < 1 {
		fs.Usage()
		return 2
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(stderr, "gen:", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	start := time.Now()
	cw := &countingWriter{w: w}
	if err := dataproc.Generate(cw, *rows, *stations, *seed); err != nil {
		fmt.Fprintln(stderr, "gen:", err)
		return 1
	}
	if f, ok := w.(*os.File); ok && *out != "" {
		if err := f.Close(); err != nil {
			fmt.Fprintln(stderr, "gen:", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "gen: %d rows, %d bytes in %.1fs\n", *rows, cw.n, time.Since(start).Seconds())
	return 0
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
