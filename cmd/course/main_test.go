package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinyCourse writes a two-exercise course into a temporary directory and makes it the working
// directory: day1_x/done passes, day1_x/todo still panics with TODO.
func tinyCourse(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"go.mod": "module tiny\n\ngo 1.26\n",
		"course.toml": `title = "tiny"
[[exercise]]
id = "day1_x/done"
title = "Done already"
day = 1
points = 4
topics = ["Thread creation"]
hints = ["first hint of done", "second hint of done"]

[[exercise]]
id = "day1_x/todo"
title = "Still to do"
day = 1
points = 6
topics = ["Thread lifecycle"]
hints = ["first hint of todo", "second hint of todo", "third hint of todo"]
`,
		"day1_x/done/done.go":      "package done\n\nfunc F() int { return 1 }\n",
		"day1_x/done/done_test.go": "package done\n\nimport \"testing\"\n\nfunc TestF(t *testing.T) {\n\tif F() != 1 {\n\t\tt.Fatal(\"F\")\n\t}\n}\n",
		"day1_x/todo/todo.go":      "package todo\n\n// TODO: write F.\nfunc F() int { panic(\"TODO: implement F (day1_x/todo)\") }\n",
		"day1_x/todo/todo_test.go": "package todo\n\nimport \"testing\"\n\nfunc TestF(t *testing.T) { F() }\n",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	t.Chdir(filepath.Join(root, "day1_x")) // the tool finds the course root by walking up
	return root
}

func runCLI(args ...string) (stdout string, err error) {
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return 2 // main prints the error and exits 2
}

func TestHelpDocumentsExitCodes(t *testing.T) {
	out, err := runCLI("help")
	require.NoError(t, err)
	assert.Contains(t, out, "Exit status:")
	assert.Contains(t, out, "course grade")
}

func TestUnknownCommandExits2(t *testing.T) {
	_, err := runCLI("frobnicate")
	assert.Equal(t, 2, exitCode(err))
}

func TestNoManifestIsAGraderFailure(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := runCLI("grade")
	require.Error(t, err)
	assert.Equal(t, 2, exitCode(err), "a grader failure exits 2")
	assert.Contains(t, err.Error(), "course.toml")
}

func TestHintIsProgressive(t *testing.T) {
	tinyCourse(t)
	out, err := runCLI("hint", "day1_x/todo")
	require.NoError(t, err)
	assert.Contains(t, out, "Hint 1/3: first hint of todo")
	assert.NotContains(t, out, "second hint")
	assert.Contains(t, out, "hint day1_x/todo 2")

	out, err = runCLI("hint", "day1_x/todo", "2")
	require.NoError(t, err)
	assert.Contains(t, out, "Hint 2/3: second hint of todo")

	_, err = runCLI("hint", "--all", "todo")
	require.Error(t, err, "a pattern that matches nothing is an error")
	out, err = runCLI("hint", "--all", "day1_x/todo")
	require.NoError(t, err)
	assert.Contains(t, out, "third hint of todo")
}

func TestListShowsCourseOrder(t *testing.T) {
	tinyCourse(t)
	out, err := runCLI("list")
	require.NoError(t, err)
	assert.Regexp(t, `(?s)day1_x/done.*day1_x/todo`, out)
}

func TestGradeScorecardAndReports(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the tiny course uses unix paths in its expectations")
	}
	root := tinyCourse(t)
	jsonFile := filepath.Join(root, "grade.json")
	mdFile := filepath.Join(root, "grade.md")
	out, err := runCLI("grade", "-q", "--no-race", "--json", jsonFile, "--markdown", mdFile)
	require.NoError(t, err, "grade exits 0 whatever the score: %s", out)
	assert.Contains(t, out, "Total: 4 / 10 points, 1 of 2 exercises passing.")
	assert.Contains(t, out, "Next: day1_x/todo (Still to do)")
	assert.Contains(t, out, "Hint 1/3:")
	assert.Contains(t, out, "first hint of todo")

	var rep struct {
		Schema    string  `json:"schema"`
		Points    float64 `json:"points"`
		MaxPoints float64 `json:"max_points"`
		Exercises []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"exercises"`
	}
	data, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Equal(t, "course-grade/v1", rep.Schema)
	assert.Equal(t, 4.0, rep.Points)
	assert.Equal(t, 10.0, rep.MaxPoints)
	require.Len(t, rep.Exercises, 2)
	assert.Equal(t, "pass", rep.Exercises[0].Status)
	assert.Equal(t, "not-started", rep.Exercises[1].Status)

	md, err := os.ReadFile(mdFile)
	require.NoError(t, err)
	assert.Contains(t, string(md), "## Grade: 4 / 10 points")

	_, err = runCLI("grade", "-q", "--no-race", "--fail-under", "5")
	assert.Equal(t, 1, exitCode(err), "below --fail-under exits 1")
	_, err = runCLI("grade", "-q", "--no-race", "--fail-under", "4")
	assert.Equal(t, 0, exitCode(err), "at the bar exits 0")
}

func TestExportStudentEdition(t *testing.T) {
	root := tinyCourse(t)
	extra := map[string]string{
		"day1_x/done/done.go":                                 "package done\n\n// TODO: return 1.\nfunc F() int { panic(\"TODO: implement F (day1_x/done)\") }\n",
		"solutions/day1_x/done/done.go":                       "package done\n\nfunc F() int { return 1 }\n",
		"solutions/day1_x/done/testdata/mutants/zero/done.go": "// Mutant: returns 0.\npackage done\n\nfunc F() int { return 0 }\n",
		"INSTRUCTORS.md":                                      "# secrets of the trade\n",
		".github/workflows/verify.yml":                        "name: verify\n",
		".github/workflows/grade.yml":                         "name: grade\n",
		".ci/run":                                             "#!/bin/sh\nmake test\n",
	}
	for name, body := range extra {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	git := func(dir string, args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	git(root, "init", "-q")
	git(root, "add", "-A")
	git(root, "commit", "-q", "-m", "course")

	dest := filepath.Join(t.TempDir(), "student")
	out, err := runCLI("export", "--student", dest)
	require.NoError(t, err, out)

	var files []string
	require.NoError(t, filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dest, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	}))
	for _, f := range files {
		assert.NotContains(t, f, "solutions/", "no solution may be exported")
		assert.NotContains(t, f, "mutants", "no mutant may be exported")
	}
	assert.Contains(t, files, ".github/workflows/grade.yml", "the grade workflow goes with the student edition")
	assert.Contains(t, files, "day1_x/done/done_test.go")
	assert.NotContains(t, files, "INSTRUCTORS.md")
	assert.NotContains(t, files, ".github/workflows/verify.yml")

	t.Chdir(dest)
	jsonFile := filepath.Join(t.TempDir(), "grade.json")
	out, err = runCLI("grade", "-q", "--no-race", "--json", jsonFile)
	require.NoError(t, err, out)
	var rep struct {
		Points    float64 `json:"points"`
		Exercises []struct {
			Status string `json:"status"`
		} `json:"exercises"`
	}
	data, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Zero(t, rep.Points)
	for _, e := range rep.Exercises {
		assert.Equal(t, "not-started", e.Status)
	}
	out, err = runCLI("verify")
	require.NoError(t, err, "verify in the student edition says there is nothing to verify, and succeeds")
	assert.Contains(t, out, "student edition")
}

func TestOverlayPointsAtSolutions(t *testing.T) {
	root := tinyCourse(t)
	sol := filepath.Join(root, "solutions", "day1_x", "todo", "todo.go")
	require.NoError(t, os.MkdirAll(filepath.Dir(sol), 0o755))
	require.NoError(t, os.WriteFile(sol, []byte("package todo\n\nfunc F() int { return 1 }\n"), 0o644))

	out, err := runCLI("overlay", "day1_x/todo")
	require.NoError(t, err, out)
	file := strings.TrimSpace(out)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var o struct{ Replace map[string]string }
	require.NoError(t, json.Unmarshal(data, &o))
	stub, err := filepath.EvalSymlinks(filepath.Join(root, "day1_x", "todo", "todo.go"))
	require.NoError(t, err)
	var keys []string
	for k, v := range o.Replace {
		k, _ = filepath.EvalSymlinks(k)
		keys = append(keys, k)
		assert.True(t, filepath.IsAbs(v), "overlay paths must be absolute: %s", v)
	}
	assert.Equal(t, []string{stub}, keys, "the overlay swaps exactly the exercise's stub file")

	_, err = runCLI("overlay", "day1_x/done")
	require.Error(t, err, "an exercise without a solution cannot be overlaid")
}

// TestExportRealCourse exports this repository's own student edition and runs `make grade` in it, as
// an instructor publishing the course would: no solution or mutant may leak, and a fresh student
// starts at zero with every exercise not started.
func TestExportRealCourse(t *testing.T) {
	if testing.Short() {
		t.Skip("exports and grades the whole course")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(repo, ".git")); err != nil {
		t.Skip("not a git checkout of the course")
	}
	t.Chdir(repo)
	dest := filepath.Join(t.TempDir(), "student")
	out, err := runCLI("export", "--student", dest)
	require.NoError(t, err, out)
	require.NoError(t, filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(dest, p)
		assert.NotContains(t, filepath.ToSlash(rel), "solutions", "exported %s", rel)
		assert.NotContains(t, filepath.ToSlash(rel), "mutants", "exported %s", rel)
		return nil
	}))

	jsonFile := filepath.Join(t.TempDir(), "grade.json")
	cmd := exec.Command("make", "-s", "grade", "GRADE_FLAGS=-q --json "+jsonFile)
	cmd.Dir = dest
	combined, err := cmd.CombinedOutput()
	require.NoError(t, err, "make grade in the student edition: %s", combined)
	var rep struct {
		Points    float64 `json:"points"`
		MaxPoints float64 `json:"max_points"`
		Exercises []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"exercises"`
	}
	data, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Zero(t, rep.Points)
	assert.Positive(t, rep.MaxPoints)
	require.NotEmpty(t, rep.Exercises)
	for _, e := range rep.Exercises {
		assert.Equal(t, "not-started", e.Status, "%s in a fresh student edition", e.ID)
	}
}
