// Package fileproc is a Day 7 capstone: a parallel file processor. It walks a directory tree and
// processes every file it finds with a pool of goroutines: a SHA-256 of the contents, line, word and
// byte counts, and a search for a substring or a regular expression, as Options select.
//
// The per-file work (process.go), the output format (format.go) and these types are given, complete
// and working. The concurrent pipeline that drives them is yours to write, in pipeline.go:
//
//	walker ──jobs──▶ Workers goroutines (at most MaxOpen files open) ──results──▶ in-order emitter ──▶ emit
//
// # Order
//
// Run reports files in the order filepath.WalkDir visits them: within a directory, entries in lexical
// order of their names; a directory's contents right after the directory itself. That is the order
// of paths compared component by component: "a/z" comes before "a.txt", because the first components
// compare "a" < "a.txt" (a plain string sort would put "a.txt" first, since '.' < '/'). The walker
// numbers the files in that order, and the emitter passes a result on as soon as every file before it
// has been passed on, so output streams while slow files are still being read, whatever order the
// workers finish in.
//
// # Symbolic links
//
// The walk never follows a symbolic link to a directory (so a link loop cannot trap it); such links
// are reported as skipped. A link to a regular file is processed as that file; a broken link (or a
// link to itself) is a per-file error.
package fileproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
)

// Options select what Run computes for every file and how much runs at once.
type Options struct {
	Hash   bool   // compute the SHA-256 of every file's contents
	Count  bool   // count lines, words and bytes (as wc does)
	Grep   string // report every line that contains Grep; "" searches nothing
	Regexp bool   // Grep is a regular expression (package regexp's syntax), not a plain substring

	// Workers is the number of goroutines that process files; < 1 means runtime.GOMAXPROCS(0).
	Workers int
	// MaxOpen is the most files open at the same time; < 1 means Workers.
	MaxOpen int
	// Open opens a file for reading; nil means os.Open. Tests replace it to count open files and
	// to inject errors and slow reads.
	Open func(name string) (io.ReadCloser, error)
}

// WithDefaults returns o with Workers and MaxOpen set to what they mean when they are < 1.
func (o Options) WithDefaults() Options {
	if o.Workers < 1 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxOpen < 1 {
		o.MaxOpen = o.Workers
	}
	return o
}

// Check reports whether o can be used: an error if Grep is not a valid regular expression.
func (o Options) Check() error {
	if o.Regexp {
		if _, err := regexp.Compile(o.Grep); err != nil {
			return fmt.Errorf("-grep: %w", err)
		}
	}
	return nil
}

// Result is what processing one file produced. Exactly one of these holds: Err is set (the file
// could not be processed), Skipped is set (it was deliberately not processed), or the fields that
// Options asked for are filled in.
type Result struct {
	Path    string  // as walked: the root joined with the path inside it
	Size    int64   // bytes read (the byte count of Options.Count)
	SHA256  string  // hexadecimal, if Options.Hash
	Lines   int64   // newline characters, if Options.Count
	Words   int64   // runs of bytes other than ASCII white space, if Options.Count
	Matches []Match // the lines that matched Options.Grep, in order
	Skipped string  // why the entry was not processed, or ""
	Err     error   // why processing failed, or nil
}

// Match is one line that matched the search.
type Match struct {
	Line int    // 1-based line number
	Text string // the line, without its newline
}

// Summary counts the results Run emitted.
type Summary struct {
	Files   int   // results emitted, of every kind
	Failed  int   // results with an Err
	Skipped int   // results with a Skipped reason
	Matched int   // results with at least one match
	Bytes   int64 // bytes read, over every result
}

// Add counts r in s.
func (s *Summary) Add(r Result) {
	s.Files++
	s.Bytes += r.Size
	switch {
	case r.Err != nil:
		s.Failed++
	case r.Skipped != "":
		s.Skipped++
	case len(r.Matches) > 0:
		s.Matched++
	}
}

// Interrupted reports whether err, returned by Run, means that ctx ended the run early.
func Interrupted(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
