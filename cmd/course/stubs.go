package main

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path"
	"strings"

	"github.com/gocourse/week11/internal/grader"
)

// Where the original stub of an exercise comes from.
//
// The course keeps no copy of its stubs besides git: in the instructors' repository the stubs are
// what is committed (solutions live under solutions/, never in place), so the stub is the file at
// HEAD. A student's repository starts from the template commit of the student edition and then holds
// the student's own commits, so HEAD may be the student's work. There the stub is the file as it was
// in the last commit that changed the exercise's tests: students never change the tests (grading
// restores them), so that is the commit that shipped them, the template commit or a later update of
// the course, and it holds the stub that goes with them.

// stubFiles returns the original stub files of exercise e (base name → contents) and the commit they
// come from.
func stubFiles(root string, m *grader.Manifest, e grader.Exercise) (map[string][]byte, string, error) {
	if _, err := git(root, "rev-parse", "--git-dir"); err != nil {
		return nil, "", errors.New("this copy of the course is not a git repository, so the original stub cannot be found: get " + e.ID + " from the course's template repository")
	}
	commit := "HEAD"
	if m.Edition == grader.StudentEdition {
		out, err := git(root, "log", "-1", "--format=%H", "--", e.ID+"/*_test.go")
		if err != nil || strings.TrimSpace(out) == "" {
			return nil, "", fmt.Errorf("git has no commit with the tests of %s: was the course committed?", e.ID)
		}
		commit = strings.TrimSpace(out)
	}
	list, err := git(root, "ls-tree", "--name-only", commit, "--", e.ID+"/")
	if err != nil {
		return nil, "", fmt.Errorf("git cannot list %s at %s: %w", e.ID, short(commit), err)
	}
	files := map[string][]byte{}
	for _, p := range strings.Split(strings.TrimSpace(list), "\n") {
		base := path.Base(p)
		if !strings.HasSuffix(base, ".go") || strings.HasSuffix(base, "_test.go") {
			continue
		}
		data, err := git(root, "show", commit+":"+p)
		if err != nil {
			return nil, "", fmt.Errorf("git cannot read %s at %s: %w", p, short(commit), err)
		}
		files[base] = []byte(data)
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("git has no stub of %s at %s", e.ID, short(commit))
	}
	if commit == "HEAD" {
		if out, err := git(root, "rev-parse", "HEAD"); err == nil {
			commit = strings.TrimSpace(out)
		}
	}
	return files, commit, nil
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", errors.New(msg)
		}
		return "", err
	}
	return stdout.String(), nil
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
