package fileproc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"regexp"
	"sync"
)

// ChunkSize is how much process reads at a time. It checks ctx before every read, so a cancelled
// run abandons even a huge file within one chunk.
const ChunkSize = 64 << 10

// job is one entry the walker found: a file to process, or an error to report in its place.
type job struct {
	seq  int         // the entry's position in walk order (0, 1, 2, ...): the walker sets it
	path string      // as walked
	d    fs.DirEntry // the entry, as filepath.WalkDir reports it
	err  error       // the walk's own error for this entry (an unreadable directory), or nil
}

// result is a processed file with its job's position in walk order, from a worker to the emitter.
type result struct {
	seq int
	Result
}

// newJob turns one call of filepath.WalkDir's callback for root into a job. It returns ok == false
// for entries that are not reported (directories that could be read, devices, sockets, named
// pipes), and a non-nil fatal error when root itself cannot be walked: the walk must stop there, and
// Run return that error. The job's seq is left for the walker to set.
func newJob(root, path string, d fs.DirEntry, err error) (j job, ok bool, fatal error) {
	switch {
	case err != nil && path == root:
		return job{}, false, err
	case err != nil:
		return job{path: path, d: d, err: err}, true, nil
	case d.IsDir():
		return job{}, false, nil
	case d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0:
		return job{path: path, d: d}, true, nil
	default:
		return job{}, false, nil // a device, socket or named pipe: opening a pipe could block for ever
	}
}

// processor does the work on one file. It is safe for concurrent use: call process from as many
// goroutines as you like.
type processor struct {
	opts Options // with defaults applied
	open func(name string) (io.ReadCloser, error)
	re   *regexp.Regexp // nil unless opts.Regexp
	bufs sync.Pool      // of *[]byte of ChunkSize
}

// newProcessor checks opts and applies its defaults.
func newProcessor(opts Options) (*processor, error) {
	if err := opts.Check(); err != nil {
		return nil, err
	}
	p := &processor{opts: opts.WithDefaults(), open: opts.Open}
	if p.open == nil {
		p.open = func(name string) (io.ReadCloser, error) { return os.Open(name) }
	}
	if opts.Regexp {
		p.re = regexp.MustCompile(opts.Grep) // Check compiled it already
	}
	p.bufs.New = func() any { b := make([]byte, ChunkSize); return &b }
	return p, nil
}

// process opens j's file with the processor's opener, reads it once in chunks of ChunkSize, and
// closes it. It opens at most one file, and only after the checks that need none (a walk error, a
// symbolic link to a directory). If ctx is done before a chunk is read, process gives the file up and
// returns ctx's error in the Result; it does not check ctx before opening: that is the caller's job.
func (p *processor) process(ctx context.Context, j job) Result {
	r := Result{Path: j.path}
	if j.err != nil {
		r.Err = j.err
		return r
	}
	if j.d.Type()&fs.ModeSymlink != 0 {
		fi, err := os.Stat(j.path)
		switch {
		case err != nil:
			r.Err = fmt.Errorf("broken symbolic link: %w", err)
			return r
		case fi.IsDir():
			r.Skipped = "symbolic link to a directory (not followed)"
			return r
		case !fi.Mode().IsRegular():
			r.Skipped = "symbolic link to a special file"
			return r
		}
	}
	f, err := p.open(j.path)
	if err != nil {
		r.Err = err
		return r
	}
	defer f.Close()

	var h hash.Hash
	if p.opts.Hash {
		h = sha256.New()
	}
	var c counter
	var m *matcher
	if p.opts.Grep != "" {
		m = &matcher{sub: []byte(p.opts.Grep), re: p.re}
	}
	bp := p.bufs.Get().(*[]byte)
	defer p.bufs.Put(bp)
	for {
		if err := ctx.Err(); err != nil {
			return Result{Path: j.path, Err: err}
		}
		n, err := f.Read(*bp)
		chunk := (*bp)[:n]
		r.Size += int64(n)
		if h != nil {
			h.Write(chunk)
		}
		if p.opts.Count {
			c.write(chunk)
		}
		if m != nil {
			m.write(chunk)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return Result{Path: j.path, Err: err}
		}
	}
	if h != nil {
		r.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	if p.opts.Count {
		r.Lines, r.Words = c.lines, c.words
	}
	if m != nil {
		r.Matches = m.finish()
	}
	return r
}

// counter counts lines and words as wc does, across chunk boundaries.
type counter struct {
	lines, words int64
	inWord       bool
}

func (c *counter) write(p []byte) {
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	words, in := c.words, c.inWord // locals: this loop runs once per byte
	for _, b := range p {
		space := isSpace(b)
		if !space && !in {
			words++
		}
		in = !space
	}
	c.words, c.inWord = words, in
}

// isSpace reports whether b is ASCII white space.
func isSpace(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\r', 0x0b, 0x0c: // 0x0b and 0x0c: \v and \f
		return true
	}
	return false
}

// matcher finds the lines that contain sub (or match re), across chunk boundaries.
type matcher struct {
	sub     []byte
	re      *regexp.Regexp
	line    int    // lines completed so far
	partial []byte // the current line, so far
	matches []Match
}

func (m *matcher) write(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			m.partial = append(m.partial, p...)
			return
		}
		if len(m.partial) > 0 {
			m.partial = append(m.partial, p[:i]...)
			m.check(m.partial)
			m.partial = m.partial[:0]
		} else {
			m.check(p[:i])
		}
		p = p[i+1:]
	}
}

// check tests one complete line.
func (m *matcher) check(line []byte) {
	m.line++
	if m.re != nil && m.re.Match(line) || m.re == nil && bytes.Contains(line, m.sub) {
		m.matches = append(m.matches, Match{Line: m.line, Text: string(line)})
	}
}

// finish tests the last line if it has no newline, and returns the matches.
func (m *matcher) finish() []Match {
	if len(m.partial) > 0 {
		m.check(m.partial)
	}
	return m.matches
}
