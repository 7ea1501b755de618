package grader

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// buildResult is what compiling one exercise's test binary produced.
type buildResult struct {
	bin    string // path of the test binary; "" when the build failed
	output string // the compiler's (and vet's) messages
}

// buildFlags are the flags of every build. -ldflags=-w: no DWARF, which nothing here reads (panics
// and race reports take file and line from the binary's own tables), and a fifth less time linking,
// which dominates verify's builds.
var buildFlags = []string{"-ldflags=-w"}

// goCommand returns the go command with args, then -race and -overlay as opts and overlayFile ask,
// then the packages of exs, to run in the course's root.
func goCommand(ctx context.Context, opts *Options, args []string, overlayFile string, exs []Exercise) *exec.Cmd {
	args = slices.Clone(args)
	if opts.Race {
		args = append(args, "-race")
	}
	if overlayFile != "" {
		args = append(args, "-overlay", overlayFile)
	}
	for _, e := range exs {
		args = append(args, "./"+e.ID)
	}
	cmd := exec.CommandContext(ctx, opts.goCmd(), args...)
	cmd.Dir = opts.Root
	cmd.Env = opts.env()
	return cmd
}

// testBinaryName is the name `go test -c -o DIR/` gives the test binary of exercise id.
func testBinaryName(id string) string {
	if runtime.GOOS == "windows" {
		return path.Base(id) + ".test.exe"
	}
	return path.Base(id) + ".test"
}

// buildAll compiles the test binaries of exs with one `go test -c` per batch of packages whose last
// path elements differ (the go command names each binary after it). It returns a result for every
// exercise; an error means the go command itself could not run. flags are added to the go command's.
func buildAll(ctx context.Context, opts *Options, exs []Exercise, binDir string, overlayFile string, flags []string) (map[string]*buildResult, error) {
	results := make(map[string]*buildResult, len(exs))
	var batches [][]Exercise
	for _, e := range exs {
		placed := false
		for i, b := range batches {
			if !hasBase(b, path.Base(e.ID)) {
				batches[i] = append(b, e)
				placed = true
				break
			}
		}
		if !placed {
			batches = append(batches, []Exercise{e})
		}
	}
	for i, batch := range batches {
		dir := filepath.Join(binDir, fmt.Sprint("b", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		args := append([]string{"test", "-c", "-json", "-o", dir + string(filepath.Separator)}, buildFlags...)
		args = append(args, flags...)
		if opts.NoVet {
			args = append(args, "-vet=off")
		}
		cmd := goCommand(ctx, opts, args, overlayFile, batch)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runErr := cmd.Run()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		outputs := parseBuildEvents(&stdout, batch)
		var exit *exec.ExitError
		if errors.As(runErr, &exit) && exit.ExitCode() < 0 {
			// Killed by a signal (the OOM killer, say): a binary it was writing may be incomplete.
			for _, e := range batch {
				results[e.ID] = &buildResult{output: "the go command was killed while building: " + runErr.Error()}
			}
			continue
		}
		for _, e := range batch {
			r := &buildResult{output: outputs[e.ID]}
			bin := filepath.Join(dir, testBinaryName(e.ID))
			if fileExists(bin) {
				r.bin = bin
			} else if r.output == "" {
				// No per-package message: the go command failed before compiling (a broken go.mod,
				// a missing module). Its own words are on stderr.
				r.output = strings.TrimSpace(stderr.String())
				if r.output == "" && runErr != nil {
					r.output = runErr.Error()
				}
				if r.output == "" {
					r.output = "no test binary was produced (does the package have test files?)"
				}
			}
			results[e.ID] = r
		}
		if runErr != nil && len(stdout.Bytes()) == 0 && !anyBuilt(results, batch) {
			if _, ok := runErr.(*exec.ExitError); !ok {
				return nil, fmt.Errorf("cannot run the go command: %w", runErr)
			}
		}
	}
	return results, nil
}

func hasBase(b []Exercise, base string) bool {
	for _, e := range b {
		if path.Base(e.ID) == base {
			return true
		}
	}
	return false
}

func anyBuilt(results map[string]*buildResult, batch []Exercise) bool {
	for _, e := range batch {
		if results[e.ID].bin != "" {
			return true
		}
	}
	return false
}

// parseBuildEvents collects the build-output events of `go test -c -json` per exercise. Their
// ImportPath looks like "mod/day2_sync/barrier [mod/day2_sync/barrier.test]"; messages about a package
// that belongs to no exercise (a broken shared helper) go to every exercise of the batch.
func parseBuildEvents(r *bytes.Buffer, batch []Exercise) map[string]string {
	out := map[string]*strings.Builder{}
	add := func(id, s string) {
		if out[id] == nil {
			out[id] = &strings.Builder{}
		}
		if out[id].Len() < 64<<10 {
			out[id].WriteString(s)
		}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var ev struct{ ImportPath, Action, Output string }
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Action != "build-output" {
			continue
		}
		pkg, _, _ := strings.Cut(ev.ImportPath, " ")
		pkg = strings.TrimSuffix(pkg, "_test")
		owner := ""
		for _, e := range batch {
			if pkg == e.ID || strings.HasSuffix(pkg, "/"+e.ID) {
				owner = e.ID
			}
		}
		if owner != "" {
			add(owner, ev.Output)
			continue
		}
		for _, e := range batch {
			add(e.ID, ev.Output)
		}
	}
	res := map[string]string{}
	for id, b := range out {
		res[id] = strings.TrimSpace(b.String())
	}
	return res
}
