package main

// The tests of the command's own parts (flags, output format, exit statuses). The ones that run a
// whole walk need the pipeline: on the stub they fail with its TODO; run them on the reference
// solution with go test -overlay="$(go run ./cmd/course overlay day7_challenge/fileproc)".

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gocourse/week11/day7_challenge/fileproc"
	"github.com/gocourse/week11/internal/coursetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func runCmd(t *testing.T, ctx context.Context, tty bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	coursetest.Within(t, func() { code = run(ctx, args, &out, &errb, tty) }, "the command never returned: "+
		"fileproc.Run got stuck (its own tests say where: go test ./day7_challenge/fileproc/)")
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"help", []string{"-h"}, exitOK, "Usage: fileproc"},
		{"no directory", nil, exitUsage, "one directory"},
		{"two directories", []string{dir, dir}, exitUsage, "one directory"},
		{"bad regexp", []string{"-grep", "(", "-regexp", dir}, exitUsage, "-grep"},
		{"regexp without pattern", []string{"-regexp", dir}, exitUsage, "-regexp needs -grep"},
		{"unknown flag", []string{"-sha1", dir}, exitUsage, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, t.Context(), false, tc.args...)
			assert.Equal(t, tc.code, code, "exit status")
			assert.Contains(t, stderr, tc.says)
			assert.Empty(t, stdout, "nothing on standard output for a usage error")
		})
	}
}

func TestDefaultModeIsHash(t *testing.T) {
	c, err := parseArgs([]string{"-workers", "3", "-max-open", "2", "dir"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.True(t, c.opts.Hash && !c.opts.Count && c.opts.Grep == "", "no mode given means -hash")
	assert.Equal(t, 3, c.opts.Workers)
	assert.Equal(t, 2, c.opts.MaxOpen)
	assert.Equal(t, "dir", c.root)
}

func TestWriteResultFormats(t *testing.T) {
	r := fileproc.Result{Path: "d/f.txt", Size: 12, SHA256: "ab12", Lines: 2, Words: 3,
		Matches: []fileproc.Match{{Line: 2, Text: "a needle"}}}
	for _, tc := range []struct {
		name string
		opts fileproc.Options
		want string
	}{
		{"hash, as sha256sum", fileproc.Options{Hash: true}, "ab12  d/f.txt\n"},
		{"count, as wc", fileproc.Options{Count: true}, "      2       3      12 d/f.txt\n"},
		{"hash and count", fileproc.Options{Hash: true, Count: true}, "ab12       2       3      12 d/f.txt\n"},
		{"grep, as grep -n", fileproc.Options{Grep: "needle"}, "d/f.txt:2:a needle\n"},
		{"count and grep", fileproc.Options{Count: true, Grep: "needle"}, "      2       3      12 d/f.txt\nd/f.txt:2:a needle\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, fileproc.WriteResult(&b, r, tc.opts))
			assert.Equal(t, tc.want, b.String())
		})
	}
	var b bytes.Buffer
	require.NoError(t, fileproc.WriteResult(&b, fileproc.Result{Path: "x", Err: errors.New("boom")}, fileproc.Options{Hash: true}))
	require.NoError(t, fileproc.WriteResult(&b, fileproc.Result{Path: "y", Skipped: "why"}, fileproc.Options{Hash: true}))
	assert.Empty(t, b.String(), "failed and skipped results print nothing on standard output")
}

func TestProblemAndBytes(t *testing.T) {
	_, err := os.Open("/no/such/file")
	assert.Equal(t, "/no/such/file: open: no such file or directory", fileproc.Problem(fileproc.Result{Path: "/no/such/file", Err: err}))
	assert.Equal(t, "x: boom", fileproc.Problem(fileproc.Result{Path: "x", Err: errors.New("boom")}))
	assert.Equal(t, "l: skipped: a link", fileproc.Problem(fileproc.Result{Path: "l", Skipped: "a link"}))
	assert.Empty(t, fileproc.Problem(fileproc.Result{Path: "ok"}))
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		assert.Equal(t, want, fileproc.Bytes(n))
	}
	assert.Equal(t, "3 files, 10 B, 1 failed, 0 skipped, 2 matched",
		fileproc.Summary{Files: 3, Bytes: 10, Failed: 1, Matched: 2}.String())
}

// tree makes a few files and returns the root and the sha256sum lines the command must print.
func tree(t *testing.T) (string, string) {
	root := t.TempDir()
	var want strings.Builder
	for _, name := range []string{"a/x.txt", "a/y.txt", "a.txt", "b.txt"} { // walk order
		data := []byte("contents of " + name + "\n")
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
		sum := sha256.Sum256(data)
		fmt.Fprintf(&want, "%s  %s\n", hex.EncodeToString(sum[:]), p)
	}
	return root, want.String()
}

func TestHashRunPrintsSha256sumLinesInPathOrder(t *testing.T) {
	root, want := tree(t)
	code, stdout, stderr := runCmd(t, t.Context(), false, "-hash", "-workers", "3", root)
	assert.Equal(t, exitOK, code, "exit status; stderr:\n%s", stderr)
	assert.Equal(t, want, stdout)
	assert.Contains(t, stderr, "4 files", "the summary on standard error")
}

func TestFailedFileMeansExitStatus1(t *testing.T) {
	root, want := tree(t)
	require.NoError(t, os.Symlink("nowhere", filepath.Join(root, "broken")))
	code, stdout, stderr := runCmd(t, t.Context(), false, root)
	assert.Equal(t, exitFailedFiles, code)
	assert.Equal(t, want, stdout, "the other files are still reported")
	assert.Contains(t, stderr, filepath.Join(root, "broken")+": broken symbolic link")
	assert.Contains(t, stderr, "1 failed")
}

func TestInterruptedRunPrintsPartialSummary(t *testing.T) {
	root, _ := tree(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	code, _, stderr := runCmd(t, ctx, false, root)
	assert.Equal(t, exitInterrupted, code)
	assert.Contains(t, stderr, "interrupted after")
	assert.Contains(t, stderr, "partial summary: 0 files")
}

func TestProgressLineOnATerminal(t *testing.T) {
	root, want := tree(t)
	code, stdout, stderr := runCmd(t, t.Context(), true, "-progress", "1ns", root)
	assert.Equal(t, exitOK, code)
	assert.Equal(t, want, stdout)
	assert.Contains(t, stderr, "\r\x1b[Kfileproc: 1 files", "a progress line rewritten in place")
	assert.Contains(t, stderr, "...\r\x1b[Kfileproc: 4 files, 76 B, 0 failed, 0 skipped in ",
		"the progress line is cleared before the summary")
}
