// Package dataproc is a Day 7 capstone: the "one billion row challenge". A text file holds one
// measurement per line, "station;temperature" with one decimal ("Abha;-23.4"); the program prints
// the lowest, mean and highest temperature of every station, sorted by name, in the challenge's
// exact format (see Format).
//
// The file is split into chunks of bytes (Split); workers scan chunks in parallel, each into its
// own Table, and the tables are merged at the end. Two models do the same job:
//
//   - Process: a pool of goroutines in this process, reading the file with ReadAt;
//   - ProcessProcs: worker processes (this program started again), each reading its own byte range
//     of the file and sending back its partial result on its standard output (the multiprocessing
//     model).
//
// Given (complete) files: parse.go, table.go, format.go, gen.go, worker.go, mmap_unix.go and
// mmap_other.go, and this one. Yours to write: scan.go (ScanChunk), pool.go (Process and Merge) and
// procs.go (ProcessProcs).
package dataproc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
)

// DefaultChunkSize is the chunk size Process uses when Options.ChunkSize is not set.
const DefaultChunkSize = 8 << 20

// Options configure Process and ProcessProcs. The zero value is ready to use.
type Options struct {
	// Workers is how many goroutines Process runs; < 1 means runtime.GOMAXPROCS(0).
	Workers int
	// ChunkSize is the size of Process's chunks in bytes; < 1 means DefaultChunkSize.
	ChunkSize int64
	// Procs is how many worker processes ProcessProcs starts; < 1 means runtime.GOMAXPROCS(0).
	// ProcessFile uses ProcessProcs when Procs > 0, and Process otherwise.
	Procs int
	// Exe is the program a worker process runs; "" means this program (os.Executable). It must
	// call ServeWorker when WorkerEnv is set in its environment (see worker.go).
	Exe string
	// Env is added to the environment of every worker process.
	Env []string
	// Progress, if not nil, is called with the size in bytes of each chunk (Process) or byte range
	// (ProcessProcs) once it has been processed. It may be called from several goroutines at once.
	Progress func(bytes int64)
}

func (o Options) workers() int {
	if o.Workers < 1 {
		return runtime.GOMAXPROCS(0)
	}
	return o.Workers
}

func (o Options) chunkSize() int64 {
	if o.ChunkSize < 1 {
		return DefaultChunkSize
	}
	return o.ChunkSize
}

func (o Options) procs() int {
	if o.Procs < 1 {
		return runtime.GOMAXPROCS(0)
	}
	return o.Procs
}

func (o Options) progress(n int64) {
	if o.Progress != nil {
		o.Progress(n)
	}
}

// Chunk is the byte range [Off, End) of a file. A chunk owns the lines that START in it: a line
// starts at offset 0 and after every '\n'. So a chunk whose Off falls inside a line skips the rest
// of that line (the chunk before owns it), and a chunk whose last line goes past End reads on,
// past End, to the end of that line. Every line is then counted exactly once, however the file
// is cut.
type Chunk struct {
	Off, End int64
}

// Split cuts a file of size bytes into chunks of chunkSize bytes (the last one shorter), in file
// order. It cuts anywhere, inside lines too: see Chunk for who owns a line. An empty file has no
// chunks.
func Split(size, chunkSize int64) []Chunk {
	chunkSize = max(1, chunkSize)
	var cs []Chunk
	for off := int64(0); off < size; off += chunkSize {
		cs = append(cs, Chunk{off, min(off+chunkSize, size)})
	}
	return cs
}

// SplitN cuts a file of size bytes into at most n chunks of nearly equal size (see Split).
func SplitN(size int64, n int) []Chunk {
	n = max(1, n)
	return Split(size, (size+int64(n)-1)/int64(n))
}

// LineError reports a malformed line.
type LineError struct {
	// Offset is the byte offset in the file of the line's first byte.
	Offset int64 `json:"offset"`
	// Text is the line, without its newline (at most MaxLineLen+1 bytes of it).
	Text string `json:"text"`
	// Path and Line (1-based: the first line of the file is line 1, counted over the whole file,
	// whatever chunk the line is in) are filled in by ProcessFile from Offset. A worker only knows
	// the offset; counting the lines before it is ProcessFile's job.
	Path string `json:"-"`
	Line int64  `json:"-"`
}

func (e *LineError) Error() string {
	where := fmt.Sprintf("byte %d", e.Offset)
	if e.Line > 0 {
		where = fmt.Sprintf("line %d", e.Line)
	}
	if e.Path != "" {
		where = e.Path + ": " + where
	}
	return fmt.Sprintf("%s: malformed line %q: want station;temperature with one decimal, as in Abha;-23.4", where, e.Text)
}

// NewLineError returns the error for the malformed line whose first byte is at offset off of the
// file (off counts from the start of the file, not of a chunk); line is its text without the
// newline (it is copied).
func NewLineError(off int64, line []byte) error {
	return &LineError{Offset: off, Text: string(line[:min(len(line), MaxLineLen+1)])}
}

// ProcessFile aggregates the file at path: with ProcessProcs if opts.Procs > 0, with Process
// otherwise. A malformed line fails it with a *LineError carrying the path and the line number.
func ProcessFile(path string, opts Options) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var t *Table
	if opts.Procs > 0 {
		t, err = ProcessProcs(path, fi.Size(), opts)
	} else {
		t, err = Process(f, fi.Size(), opts)
	}
	if le, ok := errors.AsType[*LineError](err); ok {
		le.Path = path
		if le.Line, err = lineNumber(f, le.Offset); err != nil {
			return nil, err
		}
		return nil, le
	}
	return t, err
}

// lineNumber returns the 1-based number of the line that starts at byte off of r: one more than the
// number of newlines before off.
func lineNumber(r io.ReaderAt, off int64) (int64, error) {
	buf := make([]byte, 1<<20)
	line := int64(1)
	for pos := int64(0); pos < off; {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), off-pos)], pos)
		line += int64(bytes.Count(buf[:n], []byte{'\n'}))
		pos += int64(n)
		if err != nil && pos < off {
			return 0, err
		}
	}
	return line, nil
}
