package grader

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Static rules for exercise code. Tests, the manifest and the grader are restored from the base
// commit when grading a pull request (see Protect), but the student's own files run inside the test
// binary, where they could print fake test events and end the process before the real tests report.
// These rules forbid the ways to do that which a static check can see; a flagged exercise is not run
// and scores 0. They are written for exercise code only: the course's tests and tools may do anything.
var (
	// forbiddenCalls are package members exercise code may not refer to, by import path; a name
	// ending in "*" stands for every member with that prefix.
	forbiddenCalls = map[string]map[string]string{
		"os":                    {"Exit": "os.Exit ends the test binary before the tests report"},
		"syscall":               sysForbidden("syscall"),
		"golang.org/x/sys/unix": sysForbidden("unix"),
		"runtime":               {"Race*": "it switches the race detector off or fools it"},
		"flag": {
			"Parse": "the flag package's global state belongs to the testing package", "Set": "the flag package's global state belongs to the testing package",
			"CommandLine": "the flag package's global state belongs to the testing package", "Usage": "the flag package's global state belongs to the testing package",
			"ExitOnError":  "a flag set that exits on an error ends the test binary (use flag.ContinueOnError)",
			"PanicOnError": "use flag.ContinueOnError",
		},
	}
	// forbiddenImports are packages exercise code may not import.
	forbiddenImports = map[string]string{
		"unsafe":  "unsafe lets code rewrite the testing package's state",
		"C":       "cgo runs C code the race detector and the grader cannot see",
		"testing": "exercise code must not drive the tests; only _test.go files import testing",
	}
	// allowedInitCalls are the functions a package-level variable may be initialised with, besides
	// make and new: by import path, the member and whether its arguments must be literals.
	allowedInitCalls = map[string]map[string]bool{"errors": {"New": true}}
	// basicTypes are the predeclared types a package-level initialiser may convert to.
	basicTypes = map[string]bool{"bool": true, "byte": true, "rune": true, "string": true, "error": true, "any": true,
		"int": true, "int8": true, "int16": true, "int32": true, "int64": true, "uint": true, "uint8": true, "uint16": true,
		"uint32": true, "uint64": true, "uintptr": true, "float32": true, "float64": true, "complex64": true, "complex128": true}
	// buildFileExts are non-Go files the go command would compile or link into the package.
	buildFileExts = []string{".s", ".S", ".sx", ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx", ".m", ".f", ".F", ".for", ".f90", ".syso", ".swig", ".swigcxx"}
)

func sysForbidden(pkg string) map[string]string {
	return map[string]string{
		"Exit": pkg + ".Exit ends the test binary", "Exec": pkg + ".Exec replaces the test binary with another program",
		"RawSyscall": "raw system calls", "RawSyscall6": "raw system calls", "Syscall": "raw system calls", "Syscall6": "raw system calls",
		"Dup2": "it redirects the test binary's output", "Dup3": "it redirects the test binary's output",
		"Ptrace*": "it reaches into another process", "Prctl": "it changes how the test binary may be inspected",
	}
}

// CheckExercise applies the static rules to the source files of one exercise. dir is the exercise's
// directory; overlay, if it maps a file of dir, names the file that really gets compiled. modPath is
// the course's module path: exercise code may not import the course's other packages, whose code no
// rule checks. Flags are reported with paths relative to root.
func CheckExercise(root, dir, modPath string, overlay Overlay) []Flag {
	return checkExercise(root, dir, modPath, overlay, nil)
}

// CheckExerciseImports is CheckExercise with an allowlist of imports (see Exercise.AllowedImports);
// nil allows every import the other rules allow.
func CheckExerciseImports(root, dir, modPath string, overlay Overlay, allowed []string) []Flag {
	return checkExercise(root, dir, modPath, overlay, allowed)
}

func checkExercise(root, dir, modPath string, overlay Overlay, allowed []string) []Flag {
	var flags []Flag
	var srcs [][2]string // each Go file to check: the file compiled, and its name in the report
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil // a missing directory is a build error, reported elsewhere
	}
	rel := func(p string) string {
		if r, err := filepath.Rel(root, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	for _, e := range entries {
		name := e.Name()
		disk := filepath.Join(dir, name)
		for _, ext := range buildFileExts {
			if strings.HasSuffix(name, ext) {
				flags = append(flags, Flag{File: rel(disk), Rule: "non-go-source", Message: "only .go files are allowed in an exercise; the go command would build " + name + " into the package"})
			}
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if e.Type()&os.ModeSymlink != 0 {
			flags = append(flags, Flag{File: rel(disk), Rule: "symlink", Message: "exercise files must be regular files, not symbolic links"})
			continue
		}
		src := disk
		if abs, err := filepath.Abs(disk); err == nil && overlay[abs] != "" {
			src = overlay[abs]
		}
		srcs = append(srcs, [2]string{src, rel(disk)})
	}
	// Conversions to the package's own types may initialise package variables: collect their names
	// from every file first.
	types := map[string]bool{}
	for _, sd := range srcs {
		if f, err := parser.ParseFile(token.NewFileSet(), sd[0], nil, parser.SkipObjectResolution); err == nil {
			maps.Copy(types, typeNames(f))
		}
	}
	for _, sd := range srcs {
		flags = append(flags, checkFile(sd[0], sd[1], modPath, allowed, types)...)
	}
	return flags
}

// checkFile applies the rules to one Go file, reporting positions under the name display.
func checkFile(src, display, modPath string, allowed []string, types map[string]bool) []Flag {
	data, err := os.ReadFile(src)
	if err != nil {
		return nil
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, display, data, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil // the compiler will say what is wrong
	}
	var flags []Flag
	add := func(pos token.Pos, rule, format string, args ...any) {
		flags = append(flags, Flag{File: display, Line: fset.Position(pos).Line, Rule: rule, Message: fmt.Sprintf(format, args...)})
	}

	local := map[string]string{} // local import name -> import path
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		switch {
		case forbiddenImports[path] != "":
			add(imp.Pos(), "import", "import %q is not allowed: %s", path, forbiddenImports[path])
		case name == ".":
			add(imp.Pos(), "dot-import", "dot import of %q is not allowed: name what you use", path)
		case modPath != "" && (path == modPath || strings.HasPrefix(path, modPath+"/")):
			add(imp.Pos(), "course-import", "import %q is not allowed: an exercise may use the standard library and the course's dependencies, not the course's own packages", path)
		case allowed != nil && !importAllowed(path, allowed):
			add(imp.Pos(), "import", "import %q is not allowed in this exercise: it does not need it (the allowed imports are listed in course.toml)", path)
		}
		local[name] = path
	}

	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:linkname") || strings.HasPrefix(c.Text, "//go:cgo_") {
				add(c.Pos(), "directive", "%s is not allowed: it reaches into other packages' internals", strings.Fields(c.Text)[0])
			}
		}
	}

	// Package-level variables are initialised before any test runs, where nothing checks what they
	// do: only values that run no code may initialise them.
	if types == nil {
		types = typeNames(f)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, sp := range g.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, v := range vs.Values {
				if bad := badInit(v, local, types); bad != nil {
					name := "_"
					if i < len(vs.Names) {
						name = vs.Names[i].Name
					}
					add(bad.Pos(), "package-init", "package variable %s is initialised with code that runs before the tests (%s): only constants, literals, make, new and errors.New(\"...\") may initialise a package variable; set it inside a function instead", name, clip(nodeText(fset, data, bad), 60))
				}
			}
		}
	}

	// Assignments to another package's variables (os.Args, os.Stdout, flag.CommandLine, ...) and
	// any use of os.Args but reading one element or its length.
	lhs := map[ast.Expr]bool{}
	osArgsOK := map[ast.Node]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				lhs[l] = true
				if root := rootSelector(l); root != nil && local[root.X.(*ast.Ident).Name] != "" {
					add(l.Pos(), "package-state", "assignment to %s.%s is not allowed: exercise code may not change another package's variables (the testing package reads os.Args, os.Stdout and the flags)", root.X.(*ast.Ident).Name, root.Sel.Name)
				}
			}
		case *ast.IncDecStmt:
			lhs[n.X] = true
		case *ast.RangeStmt:
			osArgsOK[n.X] = true
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				lhs[n.X] = true
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "len" && len(n.Args) == 1 {
				osArgsOK[n.Args[0]] = true
			}
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && hasImport(local, "flag") {
				if (isSelector(sel, local, "flag", "NewFlagSet") || sel.Sel.Name == "Init") && len(n.Args) == 2 && !isSelector(n.Args[1], local, "flag", "ContinueOnError") {
					add(n.Pos(), "flag-exit", "a flag set must be made with flag.ContinueOnError: any other error handling can end the test binary")
				}
			}
		}
		return true
	})
	ast.Inspect(f, func(n ast.Node) bool {
		if ix, ok := n.(*ast.IndexExpr); ok && !lhs[ix] {
			osArgsOK[ix.X] = true
		}
		return true
	})

	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Recv == nil && n.Name.Name == "init" {
				add(n.Pos(), "init", "func init is not allowed in exercise code: it runs before the tests, where nothing checks it")
			}
			if n.Recv == nil && n.Name.Name == "TestMain" {
				add(n.Pos(), "testmain", "TestMain is not allowed in exercise code")
			}
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				if path, ok := local[id.Name]; ok {
					if why := forbiddenMember(path, n.Sel.Name); why != "" {
						add(n.Pos(), "exit", "%s.%s is not allowed: %s", id.Name, n.Sel.Name, why)
					}
					if path == "os" && n.Sel.Name == "Args" && !osArgsOK[n] {
						add(n.Pos(), "os-args", "os.Args may only be read, one element at a time (os.Args[i], len(os.Args)): the testing package reads it to choose which tests run")
					}
				}
			}
		case *ast.BasicLit:
			if n.Kind == token.STRING || n.Kind == token.CHAR {
				if c, ok := controlByte(n); ok {
					add(n.Pos(), "control-byte", "literal contains control byte 0x%02x: exercise code may not print test-output framing", c)
				}
			}
		}
		return true
	})
	sort.SliceStable(flags, func(i, j int) bool { return flags[i].Line < flags[j].Line })
	return flags
}

// typeNames returns the names of the types f declares at package level.
func typeNames(f *ast.File) map[string]bool {
	types := map[string]bool{}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
			for _, sp := range g.Specs {
				types[sp.(*ast.TypeSpec).Name.Name] = true
			}
		}
	}
	return types
}

// forbiddenMember returns why exercise code may not use member name of the package at path, or "".
func forbiddenMember(path, name string) string {
	for k, why := range forbiddenCalls[path] {
		if k == name || strings.HasSuffix(k, "*") && strings.HasPrefix(name, strings.TrimSuffix(k, "*")) {
			return why
		}
	}
	return ""
}

// importAllowed reports whether path is in allowed, where "p/..." stands for p and every package below it.
func importAllowed(path string, allowed []string) bool {
	for _, a := range allowed {
		if a == path {
			return true
		}
		if p, ok := strings.CutSuffix(a, "/..."); ok && (path == p || strings.HasPrefix(path, p+"/")) {
			return true
		}
	}
	return false
}

func hasImport(local map[string]string, path string) bool {
	for _, p := range local {
		if p == path {
			return true
		}
	}
	return false
}

// isSelector reports whether e is pkg.name, pkg being the local name of the import path.
func isSelector(e ast.Expr, local map[string]string, path, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && local[id.Name] == path && sel.Sel.Name == name
}

// rootSelector returns the pkg.Name selector at the root of an assignable expression such as
// os.Args, os.Args[1] or flag.CommandLine.Usage, or nil when it is rooted elsewhere.
func rootSelector(e ast.Expr) *ast.SelectorExpr {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.SelectorExpr:
			if _, ok := x.X.(*ast.Ident); ok {
				return x
			}
			e = x.X
		default:
			return nil
		}
	}
}

// badInit returns the part of a package-level initialiser that would run code, or nil: allowed are
// literals (composite ones of allowed parts), names, operators, function literals (not called),
// make, new, conversions to basic or the file's own types, and errors.New with a literal.
func badInit(e ast.Expr, local map[string]string, types map[string]bool) ast.Node {
	var bad ast.Node
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		if bad != nil || e == nil {
			return
		}
		switch x := e.(type) {
		case *ast.BasicLit, *ast.Ident, *ast.FuncLit,
			*ast.ArrayType, *ast.MapType, *ast.ChanType, *ast.FuncType, *ast.InterfaceType, *ast.StructType:
		case *ast.SelectorExpr:
			walk(x.X)
		case *ast.ParenExpr:
			walk(x.X)
		case *ast.StarExpr:
			walk(x.X)
		case *ast.UnaryExpr:
			if x.Op == token.ARROW {
				bad = x
				return
			}
			walk(x.X)
		case *ast.BinaryExpr:
			walk(x.X)
			walk(x.Y)
		case *ast.CompositeLit:
			for _, el := range x.Elts {
				walk(el)
			}
		case *ast.KeyValueExpr:
			walk(x.Key)
			walk(x.Value)
		case *ast.IndexExpr:
			walk(x.X)
			walk(x.Index)
		case *ast.IndexListExpr:
			walk(x.X)
		case *ast.CallExpr:
			switch fun := ast.Unparen(x.Fun).(type) {
			case *ast.Ident:
				if fun.Name == "make" || fun.Name == "new" || basicTypes[fun.Name] || types[fun.Name] {
					for _, a := range x.Args {
						walk(a)
					}
					return
				}
			case *ast.SelectorExpr:
				if id, ok := fun.X.(*ast.Ident); ok {
					if literal, ok := allowedInitCalls[local[id.Name]][fun.Sel.Name]; ok {
						if !literal || len(x.Args) == 1 && isStringLit(x.Args[0]) {
							return
						}
					}
				}
			case *ast.ArrayType, *ast.MapType, *ast.ChanType, *ast.FuncType, *ast.InterfaceType, *ast.StarExpr:
				for _, a := range x.Args {
					walk(a)
				}
				return
			}
			bad = x
		default:
			bad = x
		}
	}
	walk(e)
	return bad
}

func isStringLit(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	return ok && lit.Kind == token.STRING
}

// nodeText returns the source text of n.
func nodeText(fset *token.FileSet, src []byte, n ast.Node) string {
	from, to := fset.Position(n.Pos()).Offset, fset.Position(n.End()).Offset
	if from < 0 || to > len(src) || from > to {
		return ""
	}
	return strings.Join(strings.Fields(string(src[from:to])), " ")
}

// controlByte reports the first C0 control byte other than tab, newline and carriage return in the
// value of a string or rune literal, however it is spelled (raw, \x16, \026, \u0016).
func controlByte(lit *ast.BasicLit) (byte, bool) {
	val, err := strconv.Unquote(lit.Value) // a rune literal unquotes to the string of its rune
	if err != nil {
		return 0, false
	}
	for i := 0; i < len(val); i++ {
		if c := val[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return c, true
		}
	}
	return 0, false
}

// ModulePath reads the module path from root's go.mod.
func ModulePath(root string) string {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), "\"")
		}
	}
	return ""
}
