package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// traceCourse writes a one-exercise course whose solution spreads a spin over two goroutines and
// whose mutant "serial" does the same work on one, and makes it the working directory.
func traceCourse(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	const spin = "func spin() {\n\tx := 0\n\tfor i := range 30_000_000 {\n\t\tx += i\n\t}\n\tsink = x\n}\n\nvar sink int\n"
	files := map[string]string{
		"go.mod": "module tiny\n\ngo 1.26\n",
		"course.toml": `title = "tiny"
[[exercise]]
id = "day1_x/par"
title = "Parallel"
day = 1
points = 1
topics = ["GIL implications"]
hints = ["one", "two"]
`,
		"day1_x/par/par.go":                                   "package par\n\n// TODO: run two spins at once.\nfunc Run() { panic(\"TODO: Run (day1_x/par)\") }\n",
		"day1_x/par/par_test.go":                              "package par\n\nimport \"testing\"\n\nfunc BenchmarkRun(b *testing.B) {\n\tfor b.Loop() {\n\t\tRun()\n\t}\n}\n",
		"solutions/day1_x/par/par.go":                         "package par\n\nimport \"sync\"\n\nfunc Run() {\n\tvar wg sync.WaitGroup\n\twg.Go(spin)\n\twg.Go(spin)\n\twg.Wait()\n}\n\n" + spin,
		"solutions/day1_x/par/testdata/mutants/serial/par.go": "// Mutant: one spin after the other.\npackage par\n\nfunc Run() {\n\tspin()\n\tspin()\n}\n\n" + spin,
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	t.Chdir(root)
	return root
}

func TestTraceDrawsLanes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test with the execution tracer")
	}
	t.Setenv("GOMAXPROCS", "2")
	root := traceCourse(t)
	for _, tc := range []struct{ flag, value, what string }{
		{"--solutions", "", "reference solution"},
		{"--mutant", "serial", "mutant serial"},
	} {
		out := filepath.Join(root, strings.TrimPrefix(tc.flag, "--")+".svg")
		args := []string{"trace", tc.flag}
		if tc.value != "" {
			args = append(args, tc.value)
		}
		got, err := runCLI(append(args, "-o", out, "day1_x/par")...)
		require.NoError(t, err, got)
		assert.Contains(t, got, out, "trace prints the picture's path")
		assert.Contains(t, got, "of 2 Ps were busy", "trace says how parallel the run was")
		data, err := os.ReadFile(out)
		require.NoError(t, err)
		var doc struct {
			Title  string `xml:"text"`
			Groups []struct {
				Class string `xml:"class,attr"`
			} `xml:"g"`
		}
		require.NoError(t, xml.Unmarshal(data, &doc), "the picture is well-formed SVG")
		lanes := 0
		for _, g := range doc.Groups {
			if g.Class == "lane" {
				lanes++
			}
		}
		assert.Equal(t, 2, lanes, "one lane per P at GOMAXPROCS 2")
		assert.Contains(t, string(data), tc.what, "the picture says what it shows")
	}
}

func TestTraceNamesMissingMutant(t *testing.T) {
	traceCourse(t)
	got, err := runCLI("trace", "--mutant", "nosuch", "day1_x/par")
	require.Error(t, err)
	assert.Contains(t, err.Error()+got, `has no mutant "nosuch"; it has: serial`)
}
