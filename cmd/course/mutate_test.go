package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMutate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds test binaries")
	}
	root := tinyCourse(t)
	// Two boundary mutants: i <= 1 makes F return 2 (killed); n >= 0 changes nothing (survives).
	sol := "package done\n\n// F returns 1.\nfunc F() int {\n\tn := 0\n\tfor i := 0; i < 1; i++ {\n\t\tn++\n\t}\n\tif n > 0 {\n\t\treturn n\n\t}\n\treturn 1\n}\n"
	p := filepath.Join(root, "solutions", "day1_x", "done", "done.go")
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(sol), 0o644))

	out, err := runCLI("mutate", "--list", "-q", "day1_x/done")
	require.NoError(t, err, out)
	assert.Contains(t, out, "boundary/F/1")
	assert.Contains(t, out, "boundary/F/2")

	jsonFile := filepath.Join(t.TempDir(), "m.json")
	out, err = runCLI("mutate", "-q", "--cpu", "1,2", "--json", jsonFile, "day1_x/done")
	assert.Equal(t, 1, exitCode(err), "50%% is below the default --min 95: %s", out)
	assert.Regexp(t, `(?m)^LOW +day1_x/done +1/2 +killed`, out)
	assert.Contains(t, out, "survivor day1_x/done boundary/F/2 [boundary]")
	assert.Contains(t, out, "-\tif n > 0 {\n+\tif n >= 0 {\n")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// The error message comes after the output; the report's last line is the score.
	assert.Contains(t, lines, "mutation score: 1/2 killed (50.0%)")
	var rep struct {
		Killed, Total int
	}
	data, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Equal(t, 1, rep.Killed)
	assert.Equal(t, 2, rep.Total)
}
