package grader

import (
	"os"
	"path/filepath"
	"strings"
)

// GivenFile reports whether file (a non-test .go file of exercise directory dir) is a given file of
// a multi-file exercise, such as a Day 7 capstone: complete code with no TODO for the student, which
// needs no reference solution (solutions/ mirrors only the stub files). A file that cannot be read
// counts as a stub file.
func GivenFile(dir, file string) bool {
	data, err := os.ReadFile(filepath.Join(dir, file))
	return err == nil && !strings.Contains(string(data), "TODO")
}
