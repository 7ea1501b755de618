package grader

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// StudentEdition is the manifest's edition in a course exported for students.
const StudentEdition = "student"

// instructorOnly says which files of the course repository stay out of the student edition: the
// solutions (and with them the mutants), the instructors' guide, and the CI that verifies solutions.
func instructorOnly(p string) bool {
	return p == "solutions" || strings.HasPrefix(p, "solutions/") ||
		p == "INSTRUCTORS.md" ||
		strings.HasPrefix(p, ".ci/") ||
		p == ".github/workflows/verify.yml" ||
		strings.Contains(p, "/testdata/mutants/")
}

// Export writes the student edition of the course at root into dir, which must not exist yet or be
// empty: every file git tracks, but the instructor-only ones, with the manifest marked as the
// student edition. It returns the files it wrote.
func Export(root, dir string) ([]string, error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty", dir)
	}
	cmd := exec.Command("git", "ls-files", "-z", "--cached")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("export needs the course's git repository: %w", err)
	}
	var written []string
	for _, p := range strings.Split(string(out), "\x00") {
		if p == "" || instructorOnly(p) {
			continue
		}
		src := filepath.Join(root, filepath.FromSlash(p))
		fi, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		switch {
		case p == ManifestFile:
			err = writeStudentManifest(src, dst)
		case strings.HasSuffix(p, ".md"):
			err = writeStudentMarkdown(src, dst, p)
		default:
			err = copyFile(src, dst, fi.Mode().Perm())
		}
		if err != nil {
			return nil, err
		}
		written = append(written, p)
	}
	return written, nil
}

// Markdown between these two lines (each on a line of its own) is for instructors: the student
// edition leaves it out, so its README says nothing about solutions/ and links to no file it lacks.
const (
	instructorsBegin = "<!-- instructors -->"
	instructorsEnd   = "<!-- /instructors -->"
)

// writeStudentMarkdown copies a Markdown file without its instructors' blocks.
func writeStudentMarkdown(src, dst, name string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	out, err := studentMarkdown(data)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return os.WriteFile(dst, out, 0o644)
}

// studentMarkdown drops every instructors' block, marker lines included.
func studentMarkdown(data []byte) ([]byte, error) {
	var out bytes.Buffer
	in := false
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		switch strings.TrimSpace(string(line)) {
		case instructorsBegin:
			if in {
				return nil, fmt.Errorf("line %d: %s inside another instructors' block", i+1, instructorsBegin)
			}
			in = true
			continue
		case instructorsEnd:
			if !in {
				return nil, fmt.Errorf("line %d: %s without %s", i+1, instructorsEnd, instructorsBegin)
			}
			in = false
			continue
		}
		if !in {
			out.Write(line)
		}
	}
	if in {
		return nil, fmt.Errorf("an instructors' block has no %s", instructorsEnd)
	}
	return out.Bytes(), nil
}

// writeStudentManifest copies the manifest, adding `edition = "student"` before its first table
// (a top-level key written after a table header would belong to that table).
func writeStudentManifest(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	line := []byte("edition = \"" + StudentEdition + "\" # exported by `course export --student`: no solutions here\n\n")
	if i := bytes.Index(data, []byte("\n[")); i >= 0 {
		data = append(data[:i+1:i+1], append(line, data[i+1:]...)...)
	} else {
		data = append(data, line...)
	}
	return os.WriteFile(dst, data, 0o644)
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ExportSolved writes into dir, which must not exist yet or be empty, the course at root as it reads
// with every exercise in exs solved: Export's files with each exercise's reference solution in place
// of its stub, and without the staticcheck.conf files in and above the exercises, which relax checks
// for stubs only. It is for tools that read source files themselves and take no -overlay, such as
// staticcheck: a capstone's solution is only part of a package and is checked nowhere else. (As in
// Export's copy, the manifest says edition = "student"; staticcheck does not read it.)
func ExportSolved(root, dir string, exs []Exercise) error {
	o, err := SolutionOverlay(root, exs)
	if err != nil {
		return err
	}
	if _, err := Export(root, dir); err != nil {
		return err
	}
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	for stub, solution := range o {
		rel, err := filepath.Rel(absRoot, stub)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, rel)
		if err := os.Remove(dst); err != nil && !os.IsNotExist(err) {
			return err
		}
		if err := copyFile(solution, dst, 0o644); err != nil {
			return err
		}
	}
	for _, e := range exs {
		for d := filepath.FromSlash(e.ID); d != "."; d = filepath.Dir(d) {
			if err := os.Remove(filepath.Join(dir, d, "staticcheck.conf")); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	return nil
}
