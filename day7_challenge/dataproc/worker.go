package dataproc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
)

// WorkerEnv is the environment variable that makes a program a worker process: a program that
// finds WorkerEnv=1 in its environment calls ServeWorker with its arguments and exits (the command
// in cmd/dataproc does; the tests' TestMain does the same).
const WorkerEnv = "DATAPROC_WORKER"

// WorkerCommand returns the command that runs one worker process over the byte range c of the file
// at path: opts.Exe (this program if empty) with the arguments path, c.Off and c.End, and an
// environment of this process's, opts.Env and WorkerEnv=1. Its Stdout and Stderr are not set: use
// cmd.Output, which collects both (the standard error into the *exec.ExitError it returns when the
// worker fails). ctx kills the worker when it ends.
func WorkerCommand(ctx context.Context, path string, c Chunk, opts Options) (*exec.Cmd, error) {
	exe := opts.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	cmd := exec.CommandContext(ctx, exe, path, strconv.FormatInt(c.Off, 10), strconv.FormatInt(c.End, 10))
	cmd.Env = append(append(os.Environ(), opts.Env...), WorkerEnv+"=1")
	return cmd, nil
}

// ServeWorker is the whole of a worker process: args are the path of the file and the Off and End
// of its chunk; it scans that chunk with ScanChunk into a new Table and writes the partial result
// to stdout with WritePartial. A malformed line is part of the result, not a failure; any other
// error is returned (the program then prints it and exits non-zero).
func ServeWorker(args []string, stdout io.Writer) error {
	if len(args) != 3 {
		return fmt.Errorf("dataproc worker: want the arguments PATH OFF END, got %q", args)
	}
	var c Chunk
	var err error
	if c.Off, err = strconv.ParseInt(args[1], 10, 64); err != nil {
		return fmt.Errorf("dataproc worker: bad OFF: %w", err)
	}
	if c.End, err = strconv.ParseInt(args[2], 10, 64); err != nil {
		return fmt.Errorf("dataproc worker: bad END: %w", err)
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	t := NewTable()
	err = ScanChunk(f, c, t)
	le, isLine := errors.AsType[*LineError](err)
	if err != nil && !isLine {
		return err
	}
	return WritePartial(stdout, t, le)
}

// partial is what a worker process writes on its standard output: one JSON document.
type partial struct {
	Stations []partialStation `json:"stations"`
	Error    *LineError       `json:"error,omitempty"`
}

type partialStation struct {
	Name string `json:"name"`
	Stats
}

// WritePartial writes a worker's partial result, t and the malformed line it stopped at (nil if
// none), to w as one JSON document.
func WritePartial(w io.Writer, t *Table, lineErr *LineError) error {
	p := partial{Stations: make([]partialStation, 0, t.Len()), Error: lineErr}
	for name, s := range t.All() {
		p.Stations = append(p.Stations, partialStation{name, s})
	}
	return json.NewEncoder(w).Encode(p)
}

// ReadPartial decodes what a worker process wrote with WritePartial. It returns the worker's
// partial table and, if the worker stopped at a malformed line, that *LineError as the error. Output
// that is not exactly one such document (empty, cut short, followed by anything) is an error too.
func ReadPartial(out []byte) (*Table, error) {
	var p partial
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("dataproc: worker output is not a partial result (%d bytes): %w", len(out), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("dataproc: worker output goes on after its partial result")
	}
	if p.Stations == nil {
		return nil, fmt.Errorf("dataproc: worker output has no stations field")
	}
	t := NewTable()
	for _, s := range p.Stations {
		if s.Name == "" || s.Count < 1 {
			return nil, fmt.Errorf("dataproc: worker output has a bad station %q (count %d)", s.Name, s.Count)
		}
		*t.Get([]byte(s.Name)) = s.Stats
	}
	if p.Error != nil {
		return t, p.Error
	}
	return t, nil
}
