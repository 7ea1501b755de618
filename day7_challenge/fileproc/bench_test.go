package fileproc

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkHashVsSha256sum hashes a generated tree (FILEPROC_BENCH_FILES files, 20000 by default,
// FILEPROC_BENCH_MIB MiB in all, 1024 by default, warm in the page cache) with Run in hash mode and
// with `find DIR -type f -print0 | xargs -0 -P2 -n64 sha256sum`, in the same run, checks that both
// print the same lines, and reports the seconds of each and their ratio (fileproc / sha256sum; the
// goal is ≤ 1.0 on 2 cores). Without find, xargs or sha256sum it measures fileproc alone and says so.
//
//	go test -run '^$' -bench HashVsSha256sum -benchtime 3x \
//	    -overlay="$(go run ./cmd/course overlay day7_challenge/fileproc)" ./day7_challenge/fileproc/
func BenchmarkHashVsSha256sum(b *testing.B) {
	files, mib := envInt(b, "FILEPROC_BENCH_FILES", 20000), envInt(b, "FILEPROC_BENCH_MIB", 1024)
	root := b.TempDir()
	generate(b, root, files, int64(mib)<<20)
	baseline := true
	for _, tool := range []string{"sh", "find", "xargs", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Logf("%s not found: measuring fileproc alone, without the find | xargs sha256sum baseline", tool)
			baseline = false
		}
	}
	hashRun := func() string {
		var out bytes.Buffer
		o := Options{Hash: true}
		sum, err := Run(context.Background(), root, o, func(r Result) { WriteResult(&out, r, o) })
		if err != nil || sum.Failed > 0 || sum.Files != files {
			b.Fatalf("fileproc: %v, %+v (want %d files)", err, sum, files)
		}
		return out.String()
	}
	shaRun := func() string {
		cmd := exec.Command("sh", "-c", `find "$1" -type f -print0 | xargs -0 -P2 -n64 sha256sum`, "sh", root)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("find | xargs sha256sum: %v", err)
		}
		return string(out)
	}
	// Warm up (the page cache, both programs) and compare the outputs once.
	ours := hashRun()
	if baseline {
		if theirs := sortedLines(shaRun()); !slices.Equal(sortedLines(ours), theirs) {
			b.Fatalf("fileproc and sha256sum disagree: %d and %d lines", strings.Count(ours, "\n"), len(theirs))
		}
	}
	var fp, sha time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		hashRun()
		fp += time.Since(t0)
		if baseline {
			t1 := time.Now()
			shaRun()
			sha += time.Since(t1)
		}
		n++
	}
	b.ReportMetric(fp.Seconds()/float64(n), "fileproc-s/op")
	b.ReportMetric(float64(int64(mib)<<20)/fp.Seconds()*float64(n)/(1<<20), "fileproc-MiB/s")
	if baseline {
		b.ReportMetric(sha.Seconds()/float64(n), "sha256sum-s/op")
		b.ReportMetric(fp.Seconds()/sha.Seconds(), "ratio")
	}
}

// envInt reads a positive integer from the environment, or returns def.
func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// generate writes files files of random bytes, total bytes in all (sizes vary from 0 to twice the
// mean), in 100 directories of two levels.
func generate(b *testing.B, root string, files int, total int64) {
	b.Helper()
	r := rand.New(rand.NewPCG(11, 13))
	src := rand.NewChaCha8([32]byte{1, 2, 3})
	mean := total / int64(files)
	buf := make([]byte, 2*mean+1)
	left := total
	for i := range files {
		size := min(left, r.Int64N(2*mean+1))
		if i == files-1 {
			size = left
			if int64(len(buf)) < size {
				buf = make([]byte, size)
			}
		}
		left -= size
		src.Read(buf[:size])
		dir := filepath.Join(root, fmt.Sprintf("d%02d", i%10), fmt.Sprintf("s%02d", i/10%10))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d.bin", i)), buf[:size], 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(lines)
	return lines
}
