package grader

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
)

// hungBeforeTests is the verdict on a test binary the grader had to kill before any test started: a
// busy loop or a block at start-up, in a package-level initialiser or in TestMain.
const hungBeforeTests = "hung before any test ran (a busy loop or a block at start-up: a package-level variable's initialiser, or TestMain; killed at the timeout)"

// inFileOrder returns tests ordered as the test files of dir declare them (files by name, then top
// to bottom), which is the order `go test` runs them in and the order a student reads them in. Tests
// it cannot place keep their relative order, after the others.
func inFileOrder(tests []TestResult, dir string) []TestResult {
	pos := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go")) // sorted by name
	fset := token.NewFileSet()
	for _, f := range files {
		if ok, err := build.Default.MatchFile(dir, filepath.Base(f)); err == nil && !ok {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && isTestFunc(fd) {
				if _, dup := pos[fd.Name.Name]; !dup {
					pos[fd.Name.Name] = len(pos)
				}
			}
		}
	}
	out := slices.Clone(tests)
	slices.SortStableFunc(out, func(a, b TestResult) int {
		pa, oka := pos[a.Name]
		pb, okb := pos[b.Name]
		switch {
		case oka && okb:
			return pa - pb
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
	return out
}
