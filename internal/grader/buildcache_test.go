package grader

import (
	"context"
	"os"
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
	binaries := func() []string {
		t.Helper()
		bins, err := filepath.Glob(filepath.Join(dir, "bin", "*", "order.test"))
		require.NoError(t, err)
		return bins
	}

	first, _, _, _ := orderFixture(t)
	second, exs, _, _ := orderFixture(t)
	assert.Equal(t, 0, grade(first, exs, nil).Passed, "Value() = 0 on disk: both tests fail")
	bins := binaries()
	require.Len(t, bins, 1, "the first grading stores its binary")
	stored, err := os.Stat(bins[0])
	require.NoError(t, err)

	assert.Equal(t, 0, grade(second, exs, nil).Passed)
	require.Len(t, binaries(), 1, "the same code in another clone must reuse the stored binary")
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
