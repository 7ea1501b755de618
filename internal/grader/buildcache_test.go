package grader

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinaryCacheReusesOnlyTheSameBuild grades one exercise three times through one cache: the
// second grading (same overlay) must run the first one's binary, and the third (another overlay)
// must build its own and grade the code it swaps in.
func TestBinaryCacheReusesOnlyTheSameBuild(t *testing.T) {
	root, exs, cache, ctx := orderFixture(t)
	one := filepath.Join(t.TempDir(), "one.go")
	require.NoError(t, os.WriteFile(one, []byte("package order\n\nfunc Value() int { return 1 }\n"), 0o644))

	grade := func(o Overlay) ExerciseResult {
		t.Helper()
		rep, err := Grade(ctx, exs, Options{Root: root, Timeout: 20 * time.Second, Overlay: o, Binaries: cache})
		require.NoError(t, err)
		return rep.Exercises[0]
	}
	binaries := func() []string {
		t.Helper()
		bins, err := filepath.Glob(filepath.Join(cache.dir, "*", "*", "*.test"))
		require.NoError(t, err)
		return bins
	}

	first := grade(nil)
	assert.Equal(t, 0, first.Passed, "Value() = 0 on disk: both tests fail")
	require.Len(t, binaries(), 1, "the first grading builds one binary")
	grade(nil)
	assert.Len(t, binaries(), 1, "grading the same code again must reuse the binary, not build another")

	swapped := grade(Overlay{filepath.Join(root, "order", "order.go"): one})
	assert.Equal(t, 1, swapped.Passed, "another overlay must be built and graded on its own code (Value() = 1 passes one test)")
	assert.Len(t, binaries(), 2, "another overlay needs its own binary")
}

// TestPersistentBinaryCache grades the same exercise in two clones at different paths through a
// cache kept on disk: the second clone runs the binary the first one stored, and a change on disk or
// in the overlay gets a binary of its own.
func TestPersistentBinaryCache(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	grade := func(root string, exs []Exercise, o Overlay) ExerciseResult {
		t.Helper()
		cache, err := OpenBinaryCache(dir, 1<<40)
		require.NoError(t, err)
		rep, err := Grade(ctx, exs, Options{Root: root, Timeout: 20 * time.Second, Overlay: o, Binaries: cache})
		require.NoError(t, err)
		require.NoError(t, cache.Close())
		return rep.Exercises[0]
	}
	binaries := func() []string { return storedBinaries(t, dir) }

	first, _, _, _ := orderFixture(t)
	second, exs, _, _ := orderFixture(t)
	assert.Equal(t, 0, grade(first, exs, nil).Passed, "Value() = 0 on disk: both tests fail")
	bins := binaries()
	require.Len(t, bins, 1, "the first grading stores its binary")
	stored, err := os.Stat(bins[0])
	require.NoError(t, err)

	// The other clone is a git repository (the first is none): a test binary holds no commit.
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "second"}} {
		git := exec.Command("git", args...)
		git.Dir = second
		out, err := git.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	assert.Equal(t, 0, grade(second, exs, nil).Passed)
	require.Len(t, binaries(), 1, "the same code in another clone, at another commit, must reuse the stored binary")
	again, err := os.Stat(bins[0])
	require.NoError(t, err)
	assert.True(t, os.SameFile(stored, again), "the stored binary must be run, not replaced by a new build")

	one := filepath.Join(t.TempDir(), "one.go")
	require.NoError(t, os.WriteFile(one, []byte("package order\n\nfunc Value() int { return 1 }\n"), 0o644))
	assert.Equal(t, 1, grade(second, exs, Overlay{filepath.Join(second, "order", "order.go"): one}).Passed,
		"another overlay must be built and graded on its own code (Value() = 1 passes one test)")
	assert.Len(t, binaries(), 2, "another overlay needs its own binary")

	require.NoError(t, os.WriteFile(filepath.Join(second, "order", "order.go"), []byte("package order\n\nfunc Value() int { return 2 }\n"), 0o644))
	assert.Equal(t, 1, grade(second, exs, nil).Passed, "code changed on disk must be built and graded (Value() = 2 passes the other test)")
	assert.Len(t, binaries(), 3, "code changed on disk needs its own binary")

	t.Setenv("CGO_LDFLAGS", "-g") // read by an external link only, so no build ID sees it
	assert.Equal(t, 1, grade(second, exs, nil).Passed)
	assert.Len(t, binaries(), 4, "another linker environment needs its own binary")

	left, err := filepath.Glob(filepath.Join(dir, "tmp", "*"))
	require.NoError(t, err)
	assert.Empty(t, left, "Close removes the run's own build directory")
}

// The trim removes binaries unused for a week, then the least recently used beyond the limit.
func TestBinaryCacheTrim(t *testing.T) {
	dir := t.TempDir()
	cache, err := OpenBinaryCache(dir, 250)
	require.NoError(t, err)
	now := time.Now()
	put := func(key string, size int, used time.Time) {
		t.Helper()
		bin := filepath.Join(dir, "bin", key, "x.test")
		require.NoError(t, os.MkdirAll(filepath.Dir(bin), 0o755))
		require.NoError(t, os.WriteFile(bin, make([]byte, size), 0o755))
		require.NoError(t, os.Chtimes(bin, used, used))
	}
	put("stale", 10, now.Add(-8*24*time.Hour))
	put("oldest", 100, now.Add(-3*time.Hour))
	put("older", 100, now.Add(-2*time.Hour))
	put("newest", 100, now.Add(-time.Hour))
	require.NoError(t, cache.trim(now))
	left, err := filepath.Glob(filepath.Join(dir, "bin", "*"))
	require.NoError(t, err)
	for i := range left {
		left[i] = filepath.Base(left[i])
	}
	assert.ElementsMatch(t, []string{"older", "newest"}, left, "a week unused goes; then the least recently used until 250 bytes are left")
}

// A build without vet (NoVet, for mutants) is a build of its own: code that go vet rejects, which
// `go test` refuses to run, runs, and the cache does not hand the one build's result to the other.
func TestNoVetBuildsWhatVetRejects(t *testing.T) {
	root, exs, cache, ctx := orderFixture(t)
	vetFails := filepath.Join(t.TempDir(), "order.go")
	require.NoError(t, os.WriteFile(vetFails, []byte("package order\n\nimport \"fmt\"\n\nfunc Value() int { fmt.Printf(\"%d\\n\", \"one\"); return 1 }\n"), 0o644))
	grade := func(noVet bool) ExerciseResult {
		t.Helper()
		rep, err := Grade(ctx, exs, Options{Root: root, Timeout: 20 * time.Second, Binaries: cache, NoVet: noVet,
			Overlay: Overlay{filepath.Join(root, "order", "order.go"): vetFails}})
		require.NoError(t, err)
		return rep.Exercises[0]
	}
	vetted := grade(false)
	assert.Equal(t, StatusBuildError, vetted.Status, "go vet's printf check fails the build, as in go test: %s", vetted.Reason)
	assert.Contains(t, vetted.Reason, "wrong type")
	unvetted := grade(true)
	assert.Equal(t, 1, unvetted.Passed, "without vet the code builds and runs (Value() = 1 passes one test): %s %s", unvetted.Status, unvetted.Reason)
}

// orderFixture writes the grader's fixture course and returns its root, its "order" exercise alone,
// a binary cache removed when the test ends, and a context that ends after a minute.
func orderFixture(t *testing.T) (string, []Exercise, *BinaryCache, context.Context) {
	t.Helper()
	root, all := writeFixture(t)
	var exs []Exercise
	for _, e := range all {
		if e.ID == "order" {
			exs = append(exs, e)
		}
	}
	require.Len(t, exs, 1)
	cache, err := NewBinaryCache()
	require.NoError(t, err)
	t.Cleanup(func() { cache.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return root, exs, cache, ctx
}

// A persistent cache keeps only binaries it can trust: not one a killed go command left half
// written, not one built from files that changed while it was built; and the binaries a run uses
// are its own, so another run's trim cannot pull them from under it.
func TestPersistentBinaryCacheKeepsOnlyWhatItCanTrust(t *testing.T) {
	realGo, err := exec.LookPath("go")
	require.NoError(t, err)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	root, exs, _, _ := orderFixture(t)
	src := filepath.Join(root, "order", "order.go")
	open := func(limit int64) *BinaryCache {
		t.Helper()
		c, err := OpenBinaryCache(dir, limit)
		require.NoError(t, err)
		return c
	}
	grade := func(cache *BinaryCache, goCmd string) ExerciseResult {
		t.Helper()
		rep, err := Grade(ctx, exs, Options{Root: root, Go: goCmd, Timeout: 20 * time.Second, Binaries: cache})
		require.NoError(t, err)
		return rep.Exercises[0]
	}
	stored := func() []string { return storedBinaries(t, dir) }
	// fakeGo is a go command that runs script before `go test` and passes the rest to the real one.
	fakeGo := func(script string) string {
		t.Helper()
		f := filepath.Join(t.TempDir(), "go")
		body := fmt.Sprintf("#!/bin/sh\nif [ \"$1\" = test ]; then\n%s\nfi\nexec %q \"$@\"\n", script, realGo)
		require.NoError(t, os.WriteFile(f, []byte(body), 0o755))
		return f
	}

	// Killed while writing the binary: half a file where -o points, then SIGKILL.
	killed := fakeGo(`for a; do [ "$prev" = -o ] && out=$a; prev=$a; done; printf '\177ELF half' > "$out/order.test"; kill -9 $$`)
	c := open(1 << 40)
	r := grade(c, killed)
	require.NoError(t, c.Close())
	assert.Equal(t, StatusBuildError, r.Status, "a build whose go command was killed is a failed build, not a binary to run")
	assert.Contains(t, r.Reason+r.BuildOutput, "killed")
	assert.Empty(t, stored(), "a half-written binary must not be kept for later runs")

	// Edited during the build: the binary of the new code must not be kept under the old code's key.
	edit := fakeGo(fmt.Sprintf("printf 'package order\\n\\nfunc Value() int { return 1 }\\n' > %q", src))
	c = open(1 << 40)
	assert.Equal(t, 1, grade(c, edit).Passed, "the build saw the edited file (Value() = 1 passes one test)")
	require.NoError(t, c.Close())
	assert.Empty(t, stored(), "a binary of files that changed during the build must not be kept")
	require.NoError(t, os.WriteFile(src, []byte("package order\n\nfunc Value() int { return 0 }\n"), 0o644))

	// Another run's trim while this one is under way.
	a := open(1 << 40)
	assert.Equal(t, 0, grade(a, "").Passed)
	require.Len(t, stored(), 1)
	b := open(1 << 40)
	assert.Equal(t, 0, grade(b, "").Passed, "a later run finds the stored binary")
	require.NoError(t, open(1).Close()) // a third run, over its limit, trims every stored binary
	require.Empty(t, stored())
	for name, run := range map[string]*BinaryCache{"the run that built it": a, "the run that found it": b} {
		r := grade(run, "")
		assert.Empty(t, r.GraderError, "%s must still run its binary after another run's trim", name)
		assert.Equal(t, 0, r.Passed, name)
	}
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())
}

// storedBinaries lists the binaries of the order fixture that the persistent cache in dir keeps.
func storedBinaries(t *testing.T, dir string) []string {
	t.Helper()
	bins, err := filepath.Glob(filepath.Join(dir, "bin", "*", "order.test"))
	require.NoError(t, err)
	return bins
}
