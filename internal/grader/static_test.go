package grader

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStaticRules(t *testing.T) {
	tests := []struct {
		name string
		src  string
		rule string // "" means the file is allowed
	}{
		{"plain code", "package x\n\nimport \"sync\"\n\nvar mu sync.Mutex\n\nfunc F() { mu.Lock(); mu.Unlock() }\n", ""},
		{"tab and newline in strings", "package x\n\nconst s = \"a\\tb\\n\" + `c`\n", ""},
		{"method named init", "package x\n\ntype T struct{}\n\nfunc (T) init() {}\n", ""},
		{"init function", "package x\n\nfunc init() {}\n", "init"},
		{"TestMain", "package x\n\nfunc TestMain() {}\n", "testmain"},
		{"os.Exit call", "package x\n\nimport \"os\"\n\nfunc F() { os.Exit(0) }\n", "exit"},
		{"os.Exit as a value", "package x\n\nimport \"os\"\n\nvar quit = os.Exit\n", "exit"},
		{"renamed os import", "package x\n\nimport o \"os\"\n\nfunc F() { o.Exit(0) }\n", "exit"},
		{"syscall.Exit", "package x\n\nimport \"syscall\"\n\nfunc F() { syscall.Exit(0) }\n", "exit"},
		{"raw syscall", "package x\n\nimport \"syscall\"\n\nfunc F() { syscall.RawSyscall(231, 0, 0, 0) }\n", "exit"},
		{"unix.Exit", "package x\n\nimport \"golang.org/x/sys/unix\"\n\nfunc F() { unix.Exit(0) }\n", "exit"},
		{"unsafe", "package x\n\nimport \"unsafe\"\n\nvar n = unsafe.Sizeof(0)\n", "import"},
		{"cgo", "package x\n\n// int one() { return 1; }\nimport \"C\"\n", "import"},
		{"testing", "package x\n\nimport \"testing\"\n\nvar _ = testing.Verbose\n", "import"},
		{"dot import", "package x\n\nimport . \"os\"\n\nfunc F() { Exit(0) }\n", "dot-import"},
		{"another course package", "package x\n\nimport \"course.test/day2_sync/barrier\"\n\nvar _ = barrier.New\n", "course-import"},
		{"linkname", "package x\n\nimport _ \"unsafe\"\n\n//go:linkname f runtime.f\nfunc f()\n", "import"},
		{"linkname alone", "package x\n\n//go:linkname f runtime.f\nfunc f()\n", "directive"},
		{"framing byte in hex", "package x\n\nconst frame = \"\\x16--- PASS\"\n", "control-byte"},
		{"framing byte in octal", "package x\n\nconst frame = \"\\026\"\n", "control-byte"},
		{"framing byte as a rune", "package x\n\nconst frame = '\\u0016'\n", "control-byte"},
		{"framing byte raw", "package x\n\nconst frame = `\x16`\n", "control-byte"},
		// Attack class 1: code at package initialisation without func init.
		{"initialiser calling a function", "package x\n\nvar _ = f()\n\nfunc f() int { return 1 }\n", "package-init"},
		{"initialiser calling a method", "package x\n\nimport \"strings\"\n\nvar r = strings.NewReplacer(\"a\", \"b\")\n", "package-init"},
		{"initialiser calling a func literal", "package x\n\nvar n = func() int { return 1 }()\n", "package-init"},
		{"initialiser receiving", "package x\n\nvar ch = make(chan int)\n\nvar n = <-ch\n", "package-init"},
		{"errors.New with a computed message", "package x\n\nimport \"errors\"\n\nvar msg = \"m\"\n\nvar E = errors.New(msg)\n", "package-init"},
		{"allowed initialisers", "package x\n\nimport (\n\t\"errors\"\n\t\"sync\"\n\t\"time\"\n)\n\ntype T struct{ n int }\n\nvar (\n\tE = errors.New(\"x: bad\")\n\tm = make(map[string]int, 4)\n\tp = new(sync.Mutex)\n\tt = T{n: 1}\n\tpt = &T{}\n\td = 3 * time.Second\n\tu = uint64(1) << 10\n\tf = func() int { return 1 }\n\ts = []string{\"a\", \"b\"}\n\tz sync.WaitGroup\n)\n", ""},
		{"appending to os.Args", "package x\n\nimport \"os\"\n\nfunc F() { os.Args = append(os.Args, \"-test.run=^$\") }\n", "package-state"},
		{"aliasing os.Args", "package x\n\nimport \"os\"\n\nfunc F() { a := os.Args; a[1] = \"-test.run=^$\" }\n", "os-args"},
		{"writing an element of os.Args", "package x\n\nimport \"os\"\n\nfunc F() { os.Args[1] = \"\" }\n", "package-state"},
		{"reading os.Args", "package x\n\nimport \"os\"\n\nfunc F() string { if len(os.Args) > 1 { return os.Args[1] }; return \"\" }\n", ""},
		{"replacing os.Stdout", "package x\n\nimport \"os\"\n\nfunc F() { os.Stdout = nil }\n", "package-state"},
		{"flag set that exits", "package x\n\nimport \"flag\"\n\nfunc F() { flag.NewFlagSet(\"x\", flag.ExitOnError).Parse([]string{\"-h\"}) }\n", "flag-exit"},
		{"flag set that exits, spelled 1", "package x\n\nimport \"flag\"\n\nfunc F() { flag.NewFlagSet(\"x\", 1).Parse([]string{\"-h\"}) }\n", "flag-exit"},
		{"flag set that continues", "package x\n\nimport \"flag\"\n\nfunc F() error { return flag.NewFlagSet(\"x\", flag.ContinueOnError).Parse(nil) }\n", ""},
		{"global flags", "package x\n\nimport \"flag\"\n\nfunc F() { flag.Set(\"test.run\", \"^$\") }\n", "exit"},
		{"syscall.Exec", "package x\n\nimport \"syscall\"\n\nfunc F() { syscall.Exec(\"/bin/sh\", nil, nil) }\n", "exit"},
		{"race detector switched off", "package x\n\nimport \"runtime\"\n\nfunc F() { runtime.RaceDisable() }\n", "exit"},
		{"runtime allowed otherwise", "package x\n\nimport \"runtime\"\n\nfunc F() int { return runtime.GOMAXPROCS(0) }\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "x.go")
			require.NoError(t, os.WriteFile(file, []byte(tc.src), 0o644))
			flags := CheckExercise(dir, dir, "course.test", nil)
			if tc.rule == "" {
				assert.Empty(t, flags, "this code is allowed")
				return
			}
			require.NotEmpty(t, flags, "expected rule %q to flag this code", tc.rule)
			assert.Equal(t, tc.rule, flags[0].Rule)
			assert.Equal(t, "x.go", flags[0].File)
			assert.Positive(t, flags[0].Line, "a flag names its line")
		})
	}
}

func TestStaticRulesNonGoFilesAndSymlinks(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.go"), []byte("package x\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fast_amd64.s"), []byte("TEXT ·f(SB),0,$0\n"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(dir, "x.go"), filepath.Join(dir, "y.go")))
	rules := map[string]string{}
	for _, f := range CheckExercise(dir, dir, "course.test", nil) {
		rules[f.File] = f.Rule
	}
	assert.Equal(t, "non-go-source", rules["fast_amd64.s"])
	assert.Equal(t, "symlink", rules["y.go"])
	assert.NotContains(t, rules, "x.go")
}

func TestStaticCheckReadsTheOverlay(t *testing.T) {
	dir := t.TempDir()
	stub := filepath.Join(dir, "x.go")
	require.NoError(t, os.WriteFile(stub, []byte("package x\n"), 0o644))
	backing := filepath.Join(t.TempDir(), "x.go")
	require.NoError(t, os.WriteFile(backing, []byte("package x\n\nfunc init() {}\n"), 0o644))
	flags := CheckExercise(dir, dir, "", Overlay{stub: backing})
	require.Len(t, flags, 1, "the file that is compiled is the one checked")
	assert.Equal(t, "init", flags[0].Rule)
	assert.Equal(t, "x.go", flags[0].File, "reported under the exercise's own path")
}

func TestImportAllowlist(t *testing.T) {
	dir := t.TempDir()
	src := "package x\n\nimport (\n\t\"os/exec\"\n\t\"sync\"\n\t\"golang.org/x/sync/errgroup\"\n)\n\nvar _ = exec.Command\nvar _ sync.Mutex\nvar _ errgroup.Group\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o644))
	flags := CheckExerciseImports(dir, dir, "course.test", nil, []string{"sync", "golang.org/x/sync/..."})
	require.Len(t, flags, 1, "only os/exec is outside the allowlist: %+v", flags)
	assert.Equal(t, "import", flags[0].Rule)
	assert.Equal(t, 4, flags[0].Line, "the flag names the import's line")
	assert.Contains(t, flags[0].Message, `"os/exec"`)
	assert.Contains(t, flags[0].Message, "course.toml", "the student learns where the list is")
	assert.Empty(t, CheckExerciseImports(dir, dir, "course.test", nil, []string{"sync", "os/exec", "golang.org/x/sync/errgroup"}),
		"an exercise's own imports add to the list")
}

// TestCourseCodeFollowsTheRules loads this repository's manifest and checks every stub and every
// reference solution against its exercise's allowlist: the rules must never flag the course's own code.
func TestCourseCodeFollowsTheRules(t *testing.T) {
	root := moduleRoot(t)
	m, err := LoadManifest(filepath.Join(root, ManifestFile))
	require.NoError(t, err)
	require.NotEmpty(t, m.Allowed.Imports, "course.toml must have an [allowed] imports table")
	for _, banned := range []string{"os", "os/exec", "syscall", "flag", "unsafe", "reflect", "net"} {
		assert.NotContains(t, m.Allowed.Imports, banned, "%s must not be allowed by default", banned)
	}
	mod := ModulePath(root)
	for _, e := range m.Exercises {
		require.NotNil(t, e.AllowedImports(), "%s has an allowlist", e.ID)
		// Mutants too: a mutant must be rejected by the tests, not by a rule.
		mutants, _ := filepath.Glob(filepath.Join(root, "solutions", e.ID, "testdata", "mutants", "*"))
		for _, dir := range append([]string{filepath.Join(root, e.ID), filepath.Join(root, "solutions", e.ID)}, mutants...) {
			if _, err := os.Stat(dir); err != nil {
				continue // a student edition has no solutions
			}
			for _, f := range CheckExerciseImports(root, dir, mod, nil, e.AllowedImports()) {
				t.Errorf("%s:%d: %s (%s)", f.File, f.Line, f.Message, f.Rule)
			}
		}
	}
}

func TestInitialiserMayConvertToThePackagesTypes(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.go"), []byte("package x\n\ntype Celsius float64\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.go"), []byte("package x\n\nvar boiling = Celsius(100)\n\nvar bad = Kelvin(1)\n\nfunc Kelvin(x float64) float64 { return x }\n"), 0o644))
	flags := CheckExercise(dir, dir, "", nil)
	require.Len(t, flags, 1, "a conversion to a type of another file is allowed, a call is not: %+v", flags)
	assert.Equal(t, "package-init", flags[0].Rule)
	assert.Equal(t, 5, flags[0].Line)
	assert.Contains(t, flags[0].Message, "bad", "names the variable")
}
