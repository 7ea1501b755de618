package grader

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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

// raceFrame is a source line of a stack in a race report: "      /path/x.go:20 +0x44".
var raceFrame = regexp.MustCompile(`^\s+(\S+\.go):(\d+)`)

// notStudentCode reports whether a stack's file is in the standard library or a module, as a path on
// disk ("/usr/local/go/src/sync/mutex.go", ".../pkg/mod/...") or as -trimpath writes it
// ("sync/mutex.go", "github.com/stretchr/testify@v1.11.1/assert/assertions.go").
func notStudentCode(file string) bool {
	if filepath.IsAbs(file) {
		return (build.Default.GOROOT != "" && strings.HasPrefix(file, build.Default.GOROOT)) || strings.Contains(file, "/pkg/mod/")
	}
	first, _, _ := strings.Cut(file, "/")
	return !strings.Contains(first, ".") || strings.Contains(file, "@v")
}

// raceWhere says where the first race of a race report happened, in the student's code: "a write at
// spawnjoin.go:20 and a previous write at spawnjoin.go:20". It returns "" when the report is not in
// out (the output caps can drop it) or names no frame outside the tests and the standard library.
func raceWhere(out string) string {
	i := strings.Index(out, "WARNING: DATA RACE\n")
	if i < 0 {
		return ""
	}
	var accesses []string
	kind := ""
	for _, l := range strings.Split(out[i:], "\n")[1:] {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "==========") || len(accesses) == 2 {
			break
		}
		if access, _, ok := strings.Cut(t, " at 0x"); ok && strings.Contains(t, " by ") {
			kind = strings.ToLower(access)
			continue
		}
		m := raceFrame.FindStringSubmatch(l)
		if kind == "" || m == nil || strings.HasSuffix(m[1], "_test.go") || notStudentCode(m[1]) {
			continue
		}
		accesses = append(accesses, "a "+kind+" at "+filepath.Base(m[1])+":"+m[2])
		kind = ""
	}
	if len(accesses) < 2 {
		return ""
	}
	return accesses[0] + " and " + accesses[1] + ", without synchronisation between them"
}
