package grader

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
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
	// forbiddenCalls are package functions exercise code may not refer to, by import path.
	forbiddenCalls = map[string]map[string]string{
		"os":                    {"Exit": "os.Exit ends the test binary before the tests report"},
		"syscall":               {"Exit": "syscall.Exit ends the test binary", "RawSyscall": "raw system calls", "RawSyscall6": "raw system calls", "Syscall": "raw system calls", "Syscall6": "raw system calls"},
		"golang.org/x/sys/unix": {"Exit": "unix.Exit ends the test binary", "RawSyscall": "raw system calls", "RawSyscall6": "raw system calls", "Syscall": "raw system calls", "Syscall6": "raw system calls"},
	}
	// forbiddenImports are packages exercise code may not import.
	forbiddenImports = map[string]string{
		"unsafe":  "unsafe lets code rewrite the testing package's state",
		"C":       "cgo runs C code the race detector and the grader cannot see",
		"testing": "exercise code must not drive the tests; only _test.go files import testing",
	}
	// buildFileExts are non-Go files the go command would compile or link into the package.
	buildFileExts = []string{".s", ".S", ".sx", ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx", ".m", ".f", ".F", ".for", ".f90", ".syso", ".swig", ".swigcxx"}
)

// CheckExercise applies the static rules to the source files of one exercise. dir is the exercise's
// directory; overlay, if it maps a file of dir, names the file that really gets compiled. modPath is
// the course's module path: exercise code may not import the course's other packages, whose code no
// rule checks. Flags are reported with paths relative to root.
func CheckExercise(root, dir, modPath string, overlay Overlay) []Flag {
	var flags []Flag
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
		flags = append(flags, checkFile(src, rel(disk), modPath)...)
	}
	return flags
}

// checkFile applies the rules to one Go file, reporting positions under the name display.
func checkFile(src, display, modPath string) []Flag {
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
					if why := forbiddenCalls[path][n.Sel.Name]; why != "" {
						add(n.Pos(), "exit", "%s.%s is not allowed: %s", id.Name, n.Sel.Name, why)
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
