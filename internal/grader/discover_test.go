package grader

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKnownTests(t *testing.T) {
	dir := t.TempDir()
	other := "windows"
	if runtime.GOOS == "windows" {
		other = "linux"
	}
	files := map[string]string{
		"a_test.go": "package a\n\nimport \"testing\"\n\nfunc TestB(t *testing.T) {}\nfunc TestA(t *testing.T) {}\nfunc TestMain(m *testing.M) {}\n" +
			"func Testlower(t *testing.T) {}\nfunc helper(t *testing.T) {}\nfunc BenchmarkX(b *testing.B) {}\nfunc Test_Under(t *testing.T) {}\n",
		"other_test.go": "//go:build " + other + "\n\npackage a\n\nimport \"testing\"\n\nfunc TestOnlyElsewhere(t *testing.T) {}\n",
		"a.go":          "package a\n\nimport \"testing\"\n\nfunc TestNotInATestFile(t *testing.T) {}\n",
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	got, err := KnownTests(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"TestA", "TestB", "Test_Under"}, got,
		"top-level tests of the test files built on this platform, sorted; not TestMain, not Testlower")
}
