package grader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// A BinaryCache keeps the test binaries Grade builds, so that grading the same code again (verify
// runs every solution and mutant at several GOMAXPROCS values) runs the binary it already has instead
// of linking a new one: linking a -race test binary costs most of a short exercise's time. A binary is
// reused only for the same exercise, the same race and vet settings and the same overlay entries
// inside the exercise's directory (an exercise's tests build on no other exercise's files); the
// files on disk must not change while the cache is in use. A nil *BinaryCache caches nothing.
type BinaryCache struct {
	dir string

	mu   sync.Mutex
	n    int
	bins map[string]*buildResult
}

// NewBinaryCache returns an empty cache that keeps its binaries in a new temporary directory;
// Close removes it.
func NewBinaryCache() (*BinaryCache, error) {
	dir, err := os.MkdirTemp("", "course-bin-")
	if err != nil {
		return nil, err
	}
	return &BinaryCache{dir: dir, bins: map[string]*buildResult{}}, nil
}

// Close removes the cached binaries.
func (c *BinaryCache) Close() error {
	if c == nil {
		return nil
	}
	return os.RemoveAll(c.dir)
}

// build returns the build of every exercise in exs, building only those the cache lacks (all of
// them when c is nil, into tmp, which the caller removes).
func (c *BinaryCache) build(ctx context.Context, opts *Options, exs []Exercise, tmp, overlayFile string) (map[string]*buildResult, error) {
	if c == nil {
		return buildAll(ctx, opts, exs, filepath.Join(tmp, "bin"), overlayFile)
	}
	key := func(id string) string {
		dir, _ := filepath.Abs(filepath.Join(opts.Root, filepath.FromSlash(id)))
		dir += string(filepath.Separator)
		mine := Overlay{}
		for disk, backing := range opts.Overlay {
			if abs, err := filepath.Abs(disk); err == nil && strings.HasPrefix(abs, dir) {
				mine[abs] = backing
			}
		}
		overlay, _ := json.Marshal(mine) // map keys are sorted: equal overlays, equal bytes
		sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%v\x00%v\x00%s", id, opts.Race, opts.NoVet, overlay))
		return hex.EncodeToString(sum[:])
	}
	out := make(map[string]*buildResult, len(exs))
	var missing []Exercise
	c.mu.Lock()
	for _, e := range exs {
		if b, ok := c.bins[key(e.ID)]; ok {
			out[e.ID] = b
		} else {
			missing = append(missing, e)
		}
	}
	c.n++
	dir := filepath.Join(c.dir, fmt.Sprint(c.n))
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	built, err := buildAll(ctx, opts, missing, dir, overlayFile)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range missing {
		c.bins[key(e.ID)] = built[e.ID]
		out[e.ID] = built[e.ID]
	}
	return out, nil
}
