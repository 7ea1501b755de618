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
		if p == ManifestFile {
			err = writeStudentManifest(src, dst)
		} else {
			err = copyFile(src, dst, fi.Mode().Perm())
		}
		if err != nil {
			return nil, err
		}
		written = append(written, p)
	}
	return written, nil
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
