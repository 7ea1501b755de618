package grader

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// ProtectedChange is a file outside the student's exercise files that differed from the protected
// reference, and what grading did about it.
type ProtectedChange struct {
	Path   string `json:"path"`
	Action string `json:"action"` // "restored" (put back as it is at the reference) or "removed" (absent there)
}

// Protect makes everything in root but the students' exercise files what it is at the git commit ref,
// and reports every path it had to change. Exercise files are the non-test .go files directly inside
// an exercise directory listed in ref's manifest that exist at ref and are not a capstone's given
// files (a new file is removed); everything else — tests, testdata, the manifest,
// cmd/, internal/, go.mod, go.sum, the Makefile, .github/, and any file a pull request adds, such as a
// go.work or an assembly file — comes from ref. It rewrites the working tree: run it in a throwaway
// checkout (as the grading workflow does), never in a clone you care about.
func Protect(ctx context.Context, root, ref string) ([]ProtectedChange, error) {
	git := func(stdin []byte, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GIT_LITERAL_PATHSPECS=1", "GIT_CONFIG_NOSYSTEM=1")
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return out, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	out, err := git(nil, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("cannot protect from %q: not a commit of this repository", ref)
	}
	sha := strings.TrimSpace(string(out))

	manifest, err := git(nil, "show", sha+":"+ManifestFile)
	if err != nil {
		return nil, fmt.Errorf("the protected commit has no %s: %w", ManifestFile, err)
	}
	var m Manifest
	if _, err := toml.Decode(string(manifest), &m); err != nil {
		return nil, fmt.Errorf("the protected commit's %s: %w", ManifestFile, err)
	}
	exerciseDirs := map[string]bool{}
	given := map[string]bool{} // a capstone's given files come from ref like the tests
	for _, e := range m.Exercises {
		exerciseDirs[e.ID] = true
		for _, f := range e.Given {
			given[e.ID+"/"+f] = true
		}
	}
	// Only the exercise files the protected commit has may come from the pull request: a new file in
	// an exercise directory is removed like any other, so that code nobody wrote a stub for never runs.
	tree, err := git(nil, "ls-tree", "-r", "-z", "--name-only", sha)
	if err != nil {
		return nil, err
	}
	baseFiles := map[string]bool{}
	for _, p := range strings.Split(string(tree), "\x00") {
		baseFiles[p] = true
	}
	allowed := func(p string) bool {
		dir, file := path.Split(p)
		return exerciseDirs[strings.TrimSuffix(dir, "/")] && strings.HasSuffix(file, ".go") && !strings.HasSuffix(file, "_test.go") && baseFiles[p] && !given[p]
	}

	var changes []ProtectedChange
	record := func(p, action string) { changes = append(changes, ProtectedChange{Path: p, Action: action}) }

	// A directory on the way to an exercise replaced by a symbolic link would let files be
	// written, or read, elsewhere: remove such links first, so git restores real directories.
	for id := range exerciseDirs {
		parts := strings.Split(id, "/")
		for i := range parts {
			p := strings.Join(parts[:i+1], "/")
			if fi, err := os.Lstat(filepath.Join(root, p)); err == nil && !fi.IsDir() {
				if err := os.Remove(filepath.Join(root, p)); err != nil {
					return nil, err
				}
				record(p, "removed")
				break
			}
		}
	}

	// Every path that differs from the protected commit: tracked changes (committed or not), then
	// untracked files (ignore rules are the protected commit's, once .gitignore is restored).
	diff, err := git(nil, "diff", "--name-only", "-z", "--no-renames", sha, "--")
	if err != nil {
		return nil, err
	}
	var restore, remove []string
	classify := func(list []byte) {
		for _, p := range strings.Split(string(list), "\x00") {
			if p == "" {
				continue
			}
			fi, statErr := os.Lstat(filepath.Join(root, filepath.FromSlash(p)))
			regular := statErr == nil && fi.Mode().IsRegular()
			if allowed(p) && (regular || os.IsNotExist(statErr)) {
				continue
			}
			if _, err := git(nil, "cat-file", "-e", sha+":"+p); err == nil {
				restore = append(restore, p)
			} else if statErr == nil {
				remove = append(remove, p)
			}
		}
	}
	removeAll := func() error {
		for _, p := range remove {
			if err := os.RemoveAll(filepath.Join(root, filepath.FromSlash(p))); err != nil {
				return err
			}
			record(p, "removed")
		}
		return nil
	}
	classify(diff)
	if err := removeAll(); err != nil {
		return nil, err
	}
	if len(restore) > 0 {
		list := []byte(strings.Join(restore, "\x00"))
		if _, err := git(list, "checkout", "--no-overlay", sha, "--pathspec-from-file=-", "--pathspec-file-nul"); err != nil {
			return nil, err
		}
		for _, p := range restore {
			record(p, "restored")
		}
	}
	untracked, err := git(nil, "ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return nil, err
	}
	restore, remove = nil, nil
	classify(untracked) // untracked files are never in the protected commit: they can only be removed
	if err := removeAll(); err != nil {
		return nil, err
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	return changes, nil
}
