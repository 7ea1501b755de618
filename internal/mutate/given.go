package mutate

import (
	"os"
	"path/filepath"
	"strings"
)

// givenFiles reads the non-test .go files of exercise directory dir that have no counterpart in
// solFiles: a capstone's given files, which the solution's package needs to type-check.
func givenFiles(dir string, solFiles map[string][]byte) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	given := map[string][]byte{}
	for _, ent := range entries {
		n := ent.Name()
		if _, ok := solFiles[n]; ok || ent.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		given[n] = data
	}
	return given, nil
}
