package grader

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// KnownTests lists the top-level test functions declared in the _test.go files of dir, sorted.
// The grader scores an exercise against this list, not against whatever the test binary reports,
// so a test that never reports (the binary crashed, hung or exited early) still counts as failed.
func KnownTests(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var names []string
	for _, f := range files {
		// A test file excluded by its build constraints (//go:build unix, _windows_test.go) is not
		// compiled on this machine, so its tests are not expected to report.
		if ok, err := build.Default.MatchFile(dir, filepath.Base(f)); err == nil && !ok {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("cannot parse test file: %w", err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && isTestFunc(fd) {
				names = append(names, fd.Name.Name)
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// isTestFunc reports whether fd is a function `go test` runs as a test: TestXxx(t *testing.T).
func isTestFunc(fd *ast.FuncDecl) bool {
	name := fd.Name.Name
	if fd.Recv != nil || !strings.HasPrefix(name, "Test") || name == "TestMain" {
		return false
	}
	if rest := name[len("Test"):]; rest != "" {
		if r, _ := utf8.DecodeRuneInString(rest); unicode.IsLower(r) {
			return false
		}
	}
	params := fd.Type.Params.List
	if len(params) != 1 || len(params[0].Names) > 1 {
		return false
	}
	star, ok := params[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "T"
}

// sourceFiles lists the non-test .go files directly in dir, by base name, sorted.
func sourceFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			out = append(out, n)
		}
	}
	return out, nil
}

// SolutionDir is where the reference solution of exercise id lives.
func SolutionDir(root, id string) string {
	return filepath.Join(root, "solutions", filepath.FromSlash(id))
}

// Mutants lists the mutant directories of exercise id, sorted by name.
func Mutants(root, id string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(SolutionDir(root, id), "testdata", "mutants"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, filepath.Join(SolutionDir(root, id), "testdata", "mutants", e.Name()))
		}
	}
	return out, nil
}

// Overlay maps files of the exercise packages (absolute paths) to the files that replace them.
type Overlay map[string]string

// AddDir swaps every non-test .go file of srcDir into exercise id's package. The replacement keeps
// its base name, so solutions/<id>/x.go replaces <id>/x.go.
func (o Overlay) AddDir(root, id, srcDir string) error {
	files, err := sourceFiles(srcDir)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s has no .go files", srcDir)
	}
	for _, f := range files {
		dst, err := filepath.Abs(filepath.Join(root, filepath.FromSlash(id), f))
		if err != nil {
			return err
		}
		src, err := filepath.Abs(filepath.Join(srcDir, f))
		if err != nil {
			return err
		}
		o[dst] = src
	}
	return nil
}
