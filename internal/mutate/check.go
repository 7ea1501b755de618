package mutate

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// Checker type-checks a package's files in-process, so that a mutant that does not compile is
// discarded before it takes a place in a test batch. It imports dependencies from the compiler's
// export data, which `go list -export` produces (and caches) once for all the packages at hand.
type Checker struct {
	Fset    *token.FileSet
	imp     types.Importer
	exports map[string]string
}

// NewChecker runs `go list -deps -export` over pkgs (import paths or ./dir patterns) in dir, with
// overlayFile (may be "") so the reference solutions' imports are the ones listed.
func NewChecker(ctx context.Context, goCmd, dir, overlayFile string, env []string, pkgs []string) (*Checker, error) {
	args := []string{"list", "-deps", "-export", "-f", "{{if .Export}}{{.ImportPath}}={{.Export}}{{end}}"}
	if overlayFile != "" {
		args = append(args, "-overlay", overlayFile)
	}
	cmd := exec.CommandContext(ctx, goCmd, append(args, pkgs...)...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -export: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	c := &Checker{Fset: token.NewFileSet(), exports: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if path, file, ok := strings.Cut(sc.Text(), "="); ok {
			c.exports[path] = file
		}
	}
	c.imp = importer.ForCompiler(c.Fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := c.exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %q", path)
		}
		return os.Open(f)
	})
	return c, nil
}

// NewStdChecker imports only standard-library packages (for tests and small snippets).
func NewStdChecker() *Checker {
	fset := token.NewFileSet()
	return &Checker{Fset: fset, imp: importer.ForCompiler(fset, "gc", nil)}
}

// Check parses and type-checks the files of one package (base name → source). It returns the
// parsed files (in name order) and their type information, or the first error.
func (c *Checker) Check(pkgPath string, files map[string][]byte) ([]*ast.File, *types.Info, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var parsed []*ast.File
	for _, n := range names {
		f, err := parser.ParseFile(c.Fset, n, files[n], parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, nil, err
		}
		parsed = append(parsed, f)
	}
	info := &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
	}
	var first error
	conf := types.Config{
		Importer: c.imp,
		Error: func(err error) {
			if first == nil {
				first = err
			}
		},
	}
	conf.Check(pkgPath, c.Fset, parsed, info)
	if first != nil {
		return parsed, info, first
	}
	return parsed, info, nil
}
