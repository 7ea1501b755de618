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
