package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocourse/week11/internal/grader"
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
	assert.Contains(t, out, "Still stuck? Hint 2: go run ./cmd/course hint todo")

	out, err = runCLI("hint", "todo")
	require.NoError(t, err, "a short name names the exercise")
	assert.Contains(t, out, "Hint 2/3: second hint of todo", "the next hint after the last one shown")

	out, err = runCLI("hint", "day1_x/todo", "1")
	require.NoError(t, err)
	assert.Contains(t, out, "Hint 1/3: first hint of todo")

	_, err = runCLI("hint", "--all", "nosuch")
	require.Error(t, err, "a pattern that matches nothing is an error")
	out, err = runCLI("hint", "--all", "day1_x/todo")
	require.NoError(t, err)
	assert.Contains(t, out, "third hint of todo")
}

func TestHintWithoutExerciseIsTheCurrentOnesNext(t *testing.T) {
	tinyCourse(t)
	out, err := runCLI("hint")
	require.NoError(t, err, out)
	assert.Contains(t, out, "Finding your current exercise", "with no grade recorded, hint grades first")
	assert.Contains(t, out, "day1_x/todo: Still to do", "the current exercise is the first that does not pass")
	assert.Contains(t, out, "Hint 1/3: first hint of todo")

	out, err = runCLI("hint")
	require.NoError(t, err, out)
	assert.NotContains(t, out, "Finding your current exercise", "the grade is remembered in .course/state.json")
	assert.Contains(t, out, "Hint 2/3: second hint of todo", "each call gives the next hint")
	out, err = runCLI("hint")
	require.NoError(t, err, out)
	assert.Contains(t, out, "Hint 3/3: third hint of todo")
	assert.Contains(t, out, "That was the last hint")
	out, err = runCLI("hint")
	require.NoError(t, err, out)
	assert.Contains(t, out, "Hint 3/3: third hint of todo", "the last hint stays the last")
}

func TestListShowsStatusPointsAndTopicIn80Columns(t *testing.T) {
	tinyCourse(t)
	out, err := runCLI("list", "--no-race")
	require.NoError(t, err, out)
	assert.Regexp(t, `(?s)day1_x/done.*day1_x/todo`, out, "course order")
	assert.Regexp(t, `1  day1_x/done\s+pass\s+4/4  Thread creation`, out)
	assert.Regexp(t, `> +2  day1_x/todo\s+not-started\s+0/6  Thread lifecycle`, out, "the current exercise is marked")
	for _, line := range strings.Split(out, "\n") {
		assert.LessOrEqual(t, len([]rune(line)), 80, "every line fits 80 columns: %q", line)
	}
}

func TestFlagsAfterPatternsAndJSONToStdout(t *testing.T) {
	tinyCourse(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"grade", "done", "-q", "--no-race", "--json", "-"}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	var rep struct {
		Race      bool `json:"race"`
		Exercises []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"exercises"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep), "with --json -, stdout is the JSON report alone: %s", stdout.String())
	require.Len(t, rep.Exercises, 1, "the short name selects one exercise, and the flags after it count")
	assert.Equal(t, "day1_x/done", rep.Exercises[0].ID)
	assert.False(t, rep.Race, "--no-race is recorded in the report")
	assert.Contains(t, stderr.String(), "Every selected exercise passes.", "the scorecard goes to stderr")
	assert.Contains(t, stderr.String(), "Next in the week: day1_x/todo", "a passing selection still names the week's next exercise")
	assert.Contains(t, stderr.String(), "WITHOUT the race detector")
}

// TestGradeWithoutRaceDetector grades where the race detector cannot run, for each of the two
// reasons: the report says which one it is and how to fix it, and never claims a race-free pass.
func TestGradeWithoutRaceDetector(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("PATH handling differs")
	}
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	for _, tc := range []struct {
		name, cgo, path, why, fix string
	}{
		{"CGO_ENABLED=0", "0", os.Getenv("PATH"), "CGO_ENABLED=0 is set in your environment", "unset CGO_ENABLED"},
		{"no C compiler", "", filepath.Dir(goBin), "no C compiler was found", "install gcc or clang"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tinyCourse(t)
			if tc.cgo == "" {
				os.Unsetenv("CGO_ENABLED")
				t.Setenv("CC", "")
				os.Unsetenv("CC")
				if _, err := exec.LookPath(filepath.Join(tc.path, "gcc")); err == nil {
					t.Skip("gcc is in the same directory as go")
				}
			} else {
				t.Setenv("CGO_ENABLED", tc.cgo)
			}
			t.Setenv("PATH", tc.path)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"grade", "-q", "--json", "-"}, &stdout, &stderr)
			require.NoError(t, err, stderr.String())
			var rep map[string]any
			require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep))
			assert.Equal(t, false, rep["race"], `the JSON report says "race": false`)
			assert.Contains(t, stderr.String(), tc.why)
			assert.Contains(t, stderr.String(), tc.fix)
			assert.Contains(t, stderr.String(), "Graded WITHOUT the race detector, because "+tc.why, "the scorecard carries the note")
			assert.NotContains(t, stderr.String(), "no race")
		})
	}
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

	out, err = runCLI("hint")
	require.NoError(t, err, out)
	assert.Contains(t, out, "Hint 2/3: second hint of todo", "the scorecard showed hint 1, so `course hint` goes on with hint 2")

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
	commitAll(t, root)

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

// commitAll makes dir a git repository with every file in it committed, as export needs.
func commitAll(t *testing.T, dir string) {
	t.Helper()
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "course"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
}

// TestExportSolved writes the solved course that make staticcheck checks: every solution file in
// its exercise's place (a capstone's too, which adds files to the package), the tests kept, and no
// solutions/, no mutants, and no staticcheck.conf that relaxes checks for stubs.
func TestExportSolved(t *testing.T) {
	root := tinyCourse(t)
	extra := map[string]string{
		"solutions/day1_x/done/done.go":                       "package done\n\nfunc F() int { return 1 }\n",
		"solutions/day1_x/todo/todo.go":                       "package todo\n\nfunc F() int { return g() }\n",
		"solutions/day1_x/todo/g.go":                          "package todo\n\nfunc g() int { return 1 }\n",
		"solutions/day1_x/todo/testdata/mutants/zero/todo.go": "// Mutant: returns 0.\npackage todo\n\nfunc F() int { return 0 }\n",
		"day1_x/staticcheck.conf":                             "checks = [\"inherit\", \"-U1000\"]\n",
		"day1_x/todo/staticcheck.conf":                        "checks = [\"inherit\", \"-U1000\"]\n",
		"staticcheck.conf":                                    "checks = [\"all\"]\n",
	}
	for name, body := range extra {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	commitAll(t, root)

	dest := filepath.Join(t.TempDir(), "solved")
	out, err := runCLI("export", "--solved", dest)
	require.NoError(t, err, out)
	read := func(name string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(name)))
		require.NoError(t, err, "%s must be in the solved course", name)
		return string(data)
	}
	assert.Equal(t, extra["solutions/day1_x/todo/todo.go"], read("day1_x/todo/todo.go"), "the solution replaces the stub")
	assert.Equal(t, extra["solutions/day1_x/todo/g.go"], read("day1_x/todo/g.go"), "a solution's own file joins the package")
	assert.Contains(t, read("day1_x/todo/todo_test.go"), "TestF", "the tests stay")
	assert.Equal(t, extra["staticcheck.conf"], read("staticcheck.conf"), "a staticcheck.conf above the days is the course's own and stays")
	for _, gone := range []string{"solutions", "day1_x/staticcheck.conf", "day1_x/todo/staticcheck.conf"} {
		assert.NoFileExists(t, filepath.Join(dest, filepath.FromSlash(gone)))
		assert.NoDirExists(t, filepath.Join(dest, filepath.FromSlash(gone)))
	}

	out, err = runCLI("export", "--solved", dest)
	require.Error(t, err, "export refuses a directory that is not empty: %s", out)
	assert.Contains(t, err.Error(), "not empty")
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
	if m, err := grader.LoadManifest(filepath.Join(repo, grader.ManifestFile)); err != nil || m.Edition == grader.StudentEdition {
		t.Skip("this is the student edition: it is what the test would export")
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
		if stubPanicsWithTODO(t, filepath.Join(dest, filepath.FromSlash(e.ID))) {
			assert.Equal(t, "not-started", e.Status, "%s in a fresh student edition", e.ID)
		} else {
			// A fix-the-bug exercise (Day 6's pitfalls): its stub runs, wrongly, instead of panicking.
			assert.Contains(t, []string{"fail", "timeout"}, e.Status, "%s, a buggy stub to fix, in a fresh student edition", e.ID)
		}
	}

	// The README says nothing to students about solutions/ and links only to files that are there.
	readme, err := os.ReadFile(filepath.Join(dest, "README.md"))
	require.NoError(t, err)
	assert.NotContains(t, string(readme), "solutions/", "the student README has no instructors' text about solutions/")
	assert.NotContains(t, string(readme), "<!-- instructors", "the instructors' blocks go, markers and all")
	for _, md := range []string{"README.md", "day1_threading/README.md", "day2_sync/README.md", "day3_queues/README.md"} {
		data, err := os.ReadFile(filepath.Join(dest, md))
		if os.IsNotExist(err) && md != "README.md" {
			continue
		}
		require.NoError(t, err)
		for _, link := range regexp.MustCompile(`\]\(([^)#\s]+)`).FindAllStringSubmatch(string(data), -1) {
			if strings.Contains(link[1], "://") || strings.HasPrefix(link[1], "mailto:") {
				continue
			}
			assert.FileExists(t, filepath.Join(dest, filepath.Dir(md), filepath.FromSlash(link[1])), "%s links to %s", md, link[1])
		}
	}

	// Committed as a fresh repository, as an instructor publishes it: verify checks that each stub
	// fails (what make test runs there; the grade above has shown it of every stub, so two will do:
	// one that panics with a TODO and the fix-the-bug one), and the instructors' commands say what
	// they are.
	gitCommitAll(t, dest)
	t.Chdir(dest)
	out, err = runCLI("verify", "-q", "day1_threading/spawnjoin", "day6_performance/pitfalls")
	require.NoError(t, err, "verify in the student edition: %s", out)
	assert.Contains(t, out, "every stub compiles and fails its tests")
	assert.Regexp(t, `(?m)^ok +day1_threading/spawnjoin +stub 0/\d+$`, out)
	assert.Regexp(t, `(?m)^ok +day6_performance/pitfalls +stub 0/\d+$`, out)
	assert.Regexp(t, `(?m)^2 passed, 0 failed$`, out)
	assert.NotContains(t, out, "not a git repository")

	for _, args := range [][]string{{"solution", "spawnjoin"}, {"grade", "--solutions"}, {"overlay"}} {
		out, err := runCLI(args...)
		require.Error(t, err, "course %v in the student edition", args)
		assert.Contains(t, err.Error(), "instructors' command", "course %v", args)
		assert.Contains(t, err.Error(), "publish them after the deadline", "course %v", args)
		assert.NotContains(t, out, "goroutine ", "no stack trace")
	}
	cmd = exec.Command("make", "-s", "stress")
	cmd.Dir = dest
	combined, err = cmd.CombinedOutput()
	require.NoError(t, err, "make stress in the student edition: %s", combined)
	assert.Contains(t, string(combined), "make stress is an instructors' command")
	assert.NotContains(t, string(combined), "panic")

	// reset finds the stub in the template commit, even after the student committed their own work.
	file := filepath.Join(dest, "day1_threading", "spawnjoin", "spawnjoin.go")
	stub, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, []byte("package spawnjoin\n\n// RunAll is mine.\nfunc RunAll[T any](tasks []func() T) []T { return nil }\n"), 0o644))
	gitCommitAll(t, dest)
	out, err = runCLI("reset", "--yes", "spawnjoin")
	require.NoError(t, err, out)
	data, err = os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, string(stub), string(data), "reset restores the exported stub")
	assert.Contains(t, out, "Your files are in .course/backup/day1_threading/spawnjoin/")
}

// gitCommitAll makes dir a git repository with everything in it committed.
func gitCommitAll(t *testing.T, dir string) {
	t.Helper()
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "course"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
}

const todoSolution = "package todo\n\n// F returns 1.\nfunc F() int { return 1 }\n"

func TestSolutionOnlyAfterThePass(t *testing.T) {
	root := tinyCourse(t)
	sol := filepath.Join(root, "solutions", "day1_x", "todo", "todo.go")
	require.NoError(t, os.MkdirAll(filepath.Dir(sol), 0o755))
	require.NoError(t, os.WriteFile(sol, []byte(todoSolution), 0o644))

	out, err := runCLI("solution", "todo", "--no-race")
	require.Error(t, err, "no solution before the exercise passes")
	assert.Equal(t, 1, exitCode(err))
	assert.Contains(t, err.Error(), "day1_x/todo does not pass yet (not-started")
	assert.Contains(t, err.Error(), "solution --force todo")
	assert.NotContains(t, out, "func F() int { return 1 }")

	out, err = runCLI("solution", "--force", "todo")
	require.NoError(t, err, out)
	assert.Contains(t, out, "Warning: this is the reference solution of day1_x/todo, shown before your own passes")
	assert.Contains(t, out, "=== solutions/day1_x/todo/todo.go\n"+todoSolution)

	require.NoError(t, os.WriteFile(filepath.Join(root, "day1_x", "todo", "todo.go"), []byte(todoSolution), 0o644))
	out, err = runCLI("solution", "day1_x/todo", "--no-race")
	require.NoError(t, err, out)
	assert.NotContains(t, out, "Warning")
	assert.Contains(t, out, "=== solutions/day1_x/todo/todo.go\n"+todoSolution)
	assert.Contains(t, out, "Compare with yours: diff -u day1_x/todo/todo.go solutions/day1_x/todo/todo.go")
}

func TestResetRestoresTheStubAndKeepsABackup(t *testing.T) {
	root := tinyCourse(t)
	gitCommitAll(t, root)
	file := filepath.Join(root, "day1_x", "todo", "todo.go")
	stub, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, []byte(todoSolution), 0o644))
	helper := filepath.Join(root, "day1_x", "todo", "helper.go")
	require.NoError(t, os.WriteFile(helper, []byte("package todo\n"), 0o644))

	stdin = strings.NewReader("n\n")
	t.Cleanup(func() { stdin = os.Stdin })
	out, err := runCLI("reset", "todo")
	require.NoError(t, err, out)
	assert.Contains(t, out, "Reset day1_x/todo to its original stub? Your todo.go, helper.go will be kept in .course/backup/day1_x/todo/")
	assert.Contains(t, out, "Not reset")
	data, _ := os.ReadFile(file)
	assert.Equal(t, todoSolution, string(data), "answering no changes nothing")

	stdin = strings.NewReader("y\n")
	out, err = runCLI("reset", "todo")
	require.NoError(t, err, out)
	data, _ = os.ReadFile(file)
	assert.Equal(t, string(stub), string(data), "the stub is back")
	assert.NoFileExists(t, helper, "a file the stub does not have goes to the backup")
	m := regexp.MustCompile(`Your files are in (\S+)/: todo.go, helper.go`).FindStringSubmatch(out)
	require.NotNil(t, m, "reset says where the backup is: %s", out)
	kept, err := os.ReadFile(filepath.Join(root, m[1], "todo.go"))
	require.NoError(t, err)
	assert.Equal(t, todoSolution, string(kept), "the backup holds the student's file")
	assert.FileExists(t, filepath.Join(root, m[1], "helper.go"))

	out, err = runCLI("reset", "--yes", "todo")
	require.NoError(t, err, out)
	assert.Contains(t, out, "already the original stub")
}

func TestParseFlagsAfterPatterns(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	v := fs.Bool("v", false, "")
	j := fs.String("json", "", "")
	done, err := parseFlags(fs, []string{"day2_sync", "-v", "barrier", "--json", "-", "--", "-odd"})
	require.NoError(t, err)
	require.False(t, done)
	assert.True(t, *v)
	assert.Equal(t, "-", *j)
	assert.Equal(t, []string{"day2_sync", "barrier", "-odd"}, fs.Args(), "positional arguments in order; after -- even one that starts with -")
}

func TestVerboseShowsOnlyStartedExercises(t *testing.T) {
	tinyCourse(t)
	out, err := runCLI("grade", "-q", "--no-race", "-v")
	require.NoError(t, err, out)
	assert.NotContains(t, out, "=== day1_x/todo", "a not-started exercise's TODO panics are not shown with -v")
	assert.NotContains(t, out, "panic: TODO")
}

// stubPanicsWithTODO reports whether any non-test Go file in dir panics with a TODO message, as the
// stubs of exercises to write do (a fix-the-bug exercise's stub does not).
func stubPanicsWithTODO(t *testing.T, dir string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		if strings.Contains(string(data), `panic("TODO:`) {
			return true
		}
	}
	return false
}
