package grader

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// A BinaryCache keeps the test binaries Grade builds, so that grading the same code again (verify
// runs every solution and mutant at several GOMAXPROCS values) runs the binary it already has instead
// of linking a new one: linking a -race test binary costs most of a short exercise's time. A binary is
// reused only for the same exercise, the same race and vet settings and the same overlay entries
// inside the exercise's directory (an exercise's tests build on no other exercise's files); the
// files on disk must not change while the cache is in use. A nil *BinaryCache caches nothing.
//
// A cache from OpenBinaryCache also keeps its binaries from one run to the next.
type BinaryCache struct {
	dir   string // the binaries; for a persistent cache, dir/bin/KEY/NAME.test
	tmp   string // a persistent cache's builds of this run, on dir's file system; "" for a temporary one
	limit int64

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

// OpenBinaryCache returns a cache that keeps its binaries in dir (created if need be) after Close,
// for later runs in this clone or another. A binary is found again by a hash of the build IDs that
// `go list -export` reports for the test's main package and every package it links, with the build
// flags: an equal hash means the go command would link the same binary from the same compiled
// code. To share binaries between clones at different paths, builds through this cache use
// -trimpath, so a stack names "module/dir/file.go" instead of an absolute path. Close removes the
// binaries unused for a week and, beyond limit bytes in all, the least recently used.
func OpenBinaryCache(dir string, limit int64) (*BinaryCache, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Join(dir, "tmp"), "run-")
	if err != nil {
		return nil, err
	}
	return &BinaryCache{dir: dir, tmp: tmp, limit: limit, bins: map[string]*buildResult{}}, nil
}

// persistent reports whether c keeps its binaries after Close (it came from OpenBinaryCache).
func (c *BinaryCache) persistent() bool { return c.tmp != "" }

// persistentFlags are the flags of builds through a persistent cache, and of the go list that keys
// them: -trimpath, so that clones at different paths compile, and link, the same packages.
var persistentFlags = []string{"-trimpath"}

// Close removes the cached binaries of a cache from NewBinaryCache; a persistent cache removes this
// run's leftovers and trims itself.
func (c *BinaryCache) Close() error {
	if c == nil {
		return nil
	}
	if !c.persistent() {
		return os.RemoveAll(c.dir)
	}
	if err := os.RemoveAll(c.tmp); err != nil {
		return err
	}
	return c.trim(time.Now())
}

// build returns the build of every exercise in exs, building only those the cache lacks (all of
// them when c is nil, into tmp, which the caller removes).
func (c *BinaryCache) build(ctx context.Context, opts *Options, exs []Exercise, tmp, overlayFile string) (map[string]*buildResult, error) {
	if c == nil {
		return buildAll(ctx, opts, exs, filepath.Join(tmp, "bin"), overlayFile, nil)
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
	dir := filepath.Join(cmp.Or(c.tmp, c.dir), fmt.Sprint(c.n))
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	var flags []string
	var stored map[string]string // exercise → its key in the persistent cache
	if c.persistent() {
		flags = persistentFlags
		stored = c.keys(ctx, opts, missing, overlayFile)
		missing = slices.DeleteFunc(missing, func(e Exercise) bool {
			bin, ok := c.lookup(stored[e.ID], e.ID)
			if ok {
				out[e.ID] = &buildResult{bin: bin}
			}
			return ok
		})
	}
	built, err := buildAll(ctx, opts, missing, dir, overlayFile, flags)
	if err != nil {
		return nil, err
	}
	var after map[string]string // the keys again: a file edited during the build makes them differ
	if len(stored) > 0 && len(missing) > 0 {
		after = c.keys(ctx, opts, missing, overlayFile)
	}
	for _, e := range missing {
		if r := built[e.ID]; stored[e.ID] != "" && stored[e.ID] == after[e.ID] && r.bin != "" && r.output == "" {
			c.store(stored[e.ID], r.bin)
		}
		out[e.ID] = built[e.ID]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range exs {
		c.bins[key(e.ID)] = out[e.ID]
	}
	return out, nil
}

// keys returns the persistent cache's key of each exercise of exs whose test binary the go command
// can build: a hash of the build flags, of the linker's environment (linkEnv) and of the build ID
// of the test's main package and of every package it depends on, as `go list -export` compiles
// them with these flags and this overlay.
// Those IDs hash each package's sources, its dependencies' export data and the toolchain; the
// linker's inputs are exactly these packages. Keys it cannot compute (an error, a package that
// does not compile) are left out, and those exercises are built without the cache.
func (c *BinaryCache) keys(ctx context.Context, opts *Options, exs []Exercise, overlayFile string) map[string]string {
	// -buildvcs=false: go list counts the commit in a test main's build ID, which `go test -c`
	// does not stamp into the binary; without it every commit would build every binary again.
	args := append([]string{"list", "-e", "-deps", "-test", "-export", "-buildvcs=false", "-json=ImportPath,BuildID,Deps,Error,DepsErrors"}, persistentFlags...)
	stdout, err := goCommand(ctx, opts, args, overlayFile, exs).Output()
	if _, failed := err.(*exec.ExitError); err != nil && !(failed && len(stdout) > 0) {
		return nil // a package that does not compile makes go list fail; the others still have keys
	}
	type pkg struct {
		ImportPath, BuildID string
		Deps                []string
		Error               any
		DepsErrors          []any
	}
	ids := map[string]string{}
	mains := map[string]pkg{}
	for dec := json.NewDecoder(bytes.NewReader(stdout)); dec.More(); {
		var p pkg
		if dec.Decode(&p) != nil {
			return nil
		}
		ids[p.ImportPath] = p.BuildID
		if strings.HasSuffix(p.ImportPath, ".test") && p.Error == nil && len(p.DepsErrors) == 0 && p.BuildID != "" {
			mains[p.ImportPath] = p
		}
	}
	keys := map[string]string{}
	for _, e := range exs {
		p, ok := mains[opts.modPath+"/"+e.ID+".test"]
		if !ok {
			continue
		}
		h := sha256.New()
		fmt.Fprintf(h, "course test binary\nrace=%v vet=%v flags=%q\n%s %s\n", opts.Race, !opts.NoVet, buildFlags, p.ImportPath, p.BuildID)
		for _, v := range linkEnv { // what the linker may read that no package's build ID covers
			fmt.Fprintf(h, "%s=%q\n", v, os.Getenv(v))
		}
		for _, d := range p.Deps {
			fmt.Fprintf(h, "%s %s\n", d, ids[d])
		}
		keys[e.ID] = hex.EncodeToString(h.Sum(nil))
	}
	return keys
}

// linkEnv names the environment variables that can change a linked binary without changing any
// package's build ID: link flags given through GOFLAGS, and the external linker's own settings.
var linkEnv = []string{"GOFLAGS", "CC", "CGO_LDFLAGS", "GO_EXTLINK_ENABLED"}

// lookup returns the stored binary of exercise id under key, marking it used. The path it returns
// is a hard link in this run's own directory, so that another run's trim cannot remove the binary
// while this run still needs it.
func (c *BinaryCache) lookup(key, id string) (string, bool) {
	if key == "" {
		return "", false
	}
	bin := filepath.Join(c.dir, "bin", key, testBinaryName(id))
	if fi, err := os.Stat(bin); err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	now := time.Now()
	os.Chtimes(bin, now, now) // the trim's "last used"
	c.mu.Lock()
	c.n++
	mine := filepath.Join(c.tmp, fmt.Sprint("found", c.n), filepath.Base(bin))
	c.mu.Unlock()
	if os.MkdirAll(filepath.Dir(mine), 0o755) == nil && os.Link(bin, mine) == nil {
		return mine, true
	}
	if _, err := os.Stat(bin); err != nil {
		return "", false // trimmed meanwhile: build it again
	}
	return bin, true // no hard links here: run it in place
}

// store keeps a copy of bin, just built and complete, under key for later runs; this run goes on
// running bin itself. The copy is a hard link, made under a name of this run's and then renamed,
// so that no run ever finds a half-written binary under key.
func (c *BinaryCache) store(key, bin string) {
	dst := filepath.Join(c.dir, "bin", key, filepath.Base(bin))
	part := dst + ".part-" + filepath.Base(c.tmp)
	if os.MkdirAll(filepath.Dir(dst), 0o755) != nil || os.Link(bin, part) != nil {
		return
	}
	if os.Rename(part, dst) != nil {
		os.Remove(part)
	}
}

// trim removes the binaries unused for a week, then the least recently used until the rest take at
// most c.limit bytes, and what runs that crashed left in tmp a day ago.
func (c *BinaryCache) trim(now time.Time) error {
	type entry struct {
		dir  string
		used time.Time
		size int64
	}
	var entries []entry
	var total int64
	keyDirs, err := filepath.Glob(filepath.Join(c.dir, "bin", "*"))
	if err != nil {
		return err
	}
	for _, d := range keyDirs {
		e := entry{dir: d}
		filepath.WalkDir(d, func(_ string, de fs.DirEntry, err error) error {
			if err == nil && de.Type().IsRegular() {
				if fi, err := de.Info(); err == nil {
					e.size += fi.Size()
					if fi.ModTime().After(e.used) {
						e.used = fi.ModTime()
					}
				}
			}
			return nil
		})
		entries = append(entries, e)
		total += e.size
	}
	slices.SortFunc(entries, func(a, b entry) int { return a.used.Compare(b.used) })
	for _, e := range entries {
		if now.Sub(e.used) < 7*24*time.Hour && total <= c.limit {
			break
		}
		if err := os.RemoveAll(e.dir); err != nil {
			return err
		}
		total -= e.size
	}
	runs, _ := filepath.Glob(filepath.Join(c.dir, "tmp", "run-*"))
	for _, r := range runs {
		if fi, err := os.Stat(r); err == nil && now.Sub(fi.ModTime()) > 24*time.Hour {
			os.RemoveAll(r)
		}
	}
	return nil
}
