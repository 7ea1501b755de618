package grader

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gitRepo is a throwaway git repository for the protection tests.
type gitRepo struct {
	t    *testing.T
	root string
}

func (g gitRepo) git(args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = g.root
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+g.root)
	out, err := cmd.CombinedOutput()
	require.NoError(g.t, err, "git %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

func (g gitRepo) write(name, body string) {
	g.t.Helper()
	p := filepath.Join(g.root, filepath.FromSlash(name))
	require.NoError(g.t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(g.t, os.WriteFile(p, []byte(body), 0o644))
}

func (g gitRepo) commitAll(msg string) string {
	g.git("add", "-A")
	g.git("commit", "-q", "-m", msg)
	return g.git("rev-parse", "HEAD")
}

// exerciseFiles is one exercise of the base course: a stub that is not done, and a test it fails.
func exerciseFiles(name string) map[string]string {
	return map[string]string{
		"day1_x/" + name + "/" + name + ".go": "package " + name + "\n\n// TODO: return 42.\nfunc Answer() int { panic(\"TODO: implement Answer\") }\n",
		"day1_x/" + name + "/" + name + "_test.go": `package ` + name + `

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAnswer(t *testing.T) {
	if Answer() != 42 {
		t.Fatal("want 42")
	}
}
`,
	}
}

func TestProtectDefeatsTampering(t *testing.T) {
	if testing.Short() {
		t.Skip("builds test binaries")
	}
	g := gitRepo{t, t.TempDir()}
	g.git("init", "-q", "-b", "main")
	goSum, err := os.ReadFile(filepath.Join(moduleRoot(t), "go.sum"))
	require.NoError(t, err)
	names := []string{"edited", "deleted", "skipped", "replaced", "forger", "exiter", "linked", "newfile"}
	manifest := "title = \"tampering\"\n"
	for _, n := range names {
		manifest += "[[exercise]]\nid = \"day1_x/" + n + "\"\ntitle = \"" + n + "\"\nday = 1\npoints = 10\ntopics = [\"t\"]\nhints = [\"a\", \"b\"]\n"
		if n == "edited" {
			manifest += "given = [\"given.go\"]\n" // a capstone's complete file: the student's to read, not to change
		}
		for f, body := range exerciseFiles(n) {
			g.write(f, body)
		}
	}
	g.write("course.toml", manifest)
	g.write("go.mod", "module tiny\n\ngo 1.26\n\nrequire go.uber.org/goleak v1.3.0\n")
	g.write("go.sum", string(goSum))
	g.write("Makefile", "grade:\n\tgo run ./cmd/course grade\n")
	g.write(".github/workflows/grade.yml", "name: grade\non: pull_request\n")
	g.write("internal/helper/helper.go", "package helper\n")
	g.write("cmd/tool/main.go", "package main\n\nfunc main() {}\n")
	g.write("day1_x/edited/testdata/want.txt", "42\n")
	g.write("day1_x/edited/given.go", "package edited\n\nfunc want() int { return 42 }\n")
	base := g.commitAll("base")

	// The student's pull request: one trick per exercise, plus edits to the build and CI files.
	g.write("day1_x/edited/edited_test.go", "package edited\n\nimport \"testing\"\n\nfunc TestAnswer(t *testing.T) {}\n")
	g.git("rm", "-q", "day1_x/deleted/deleted_test.go")
	g.write("day1_x/deleted/deleted.go", "package deleted\n\nfunc Answer() int { return 0 }\n")
	g.write("day1_x/skipped/skipped_test.go", strings.Replace(exerciseFiles("skipped")["day1_x/skipped/skipped_test.go"],
		"func TestAnswer(t *testing.T) {\n", "func TestAnswer(t *testing.T) {\n\tt.Skip(\"later\")\n", 1))
	// replaced: a correct answer that leaks a goroutine, with goleak swapped for a fake that sees nothing.
	g.write("day1_x/replaced/replaced.go", "package replaced\n\nfunc Answer() int { go func() { select {} }(); return 42 }\n")
	g.write("go.mod", "module tiny\n\ngo 1.26\n\nrequire go.uber.org/goleak v1.3.0\n\nreplace go.uber.org/goleak => ./fakeleak\n")
	g.write("fakeleak/go.mod", "module go.uber.org/goleak\n\ngo 1.26\n")
	g.write("fakeleak/leak.go", "package goleak\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\nfunc VerifyTestMain(m *testing.M) { os.Exit(m.Run()) }\n")
	g.write("day1_x/forger/forger.go", "package forger\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc init() {\n\tfmt.Print(\"\\x16=== RUN   TestAnswer\\n\\x16--- PASS: TestAnswer (0.00s)\\n\\x16PASS\\n\")\n\tos.Exit(0)\n}\n\nfunc Answer() int { return 0 }\n")
	g.write("day1_x/exiter/exiter.go", "package exiter\n\nimport \"syscall\"\n\nfunc Answer() int { syscall.Exit(0); return 0 }\n")
	g.write("Makefile", "grade:\n\t@echo 100 points\n")
	g.write(".github/workflows/grade.yml", "name: grade\non: pull_request\njobs: {}\n")
	g.write("internal/helper/helper.go", "package helper\n\nvar Cheat = true\n")
	g.write("cmd/tool/main.go", "package main\n\nfunc main() { println(\"100 points\") }\n")
	g.write("cmd/tool/extra.go", "package main\n")
	g.write("day1_x/edited/testdata/want.txt", "0\n")
	g.write("day1_x/edited/given.go", "package edited\n\nfunc want() int { return 0 }\n")
	// Attack class 2: a new file in an exercise directory, the stub left untouched, whose start-up
	// code prints framed results and exits 0 before any test runs.
	g.write("day1_x/newfile/extra.go", "package newfile\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc init() {\n\tfmt.Print(\"\\x16=== RUN   TestAnswer\\n\\x16--- PASS: TestAnswer (0.00s)\\n\\x16PASS\\n\")\n\tos.Exit(0)\n}\n")
	g.write("course.toml", strings.ReplaceAll(manifest, "points = 10", "points = 1000"))
	g.write("go.sum", string(goSum)+"example.com/evil v1.0.0 h1:AAAA=\n")
	g.write("go.work", "go 1.26\n\nuse .\n")
	// linked: the exercise file becomes a symbolic link to a correct answer elsewhere.
	outside := filepath.Join(t.TempDir(), "answer.go")
	require.NoError(t, os.WriteFile(outside, []byte("package linked\n\nfunc Answer() int { return 42 }\n"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(g.root, "day1_x/linked/linked.go")))
	require.NoError(t, os.Symlink(outside, filepath.Join(g.root, "day1_x/linked/linked.go")))
	g.commitAll("student")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	load := func() []Exercise {
		m, err := LoadManifest(filepath.Join(g.root, ManifestFile))
		require.NoError(t, err)
		return m.Exercises
	}
	opts := Options{Root: g.root, Timeout: 20 * time.Second, Race: true}

	// Unprotected, the tricks work: that is what makes this test meaningful.
	before, err := Grade(ctx, load(), opts)
	require.NoError(t, err)
	require.Greater(t, before.Points, 0.0, "without protection, the tampered tree should score: %+v", before.Exercises)

	changes, err := Protect(ctx, g.root, base)
	require.NoError(t, err)
	changed := map[string]string{}
	for _, c := range changes {
		changed[c.Path] = c.Action
	}
	for path, action := range map[string]string{
		"day1_x/edited/edited_test.go":    "restored",
		"day1_x/deleted/deleted_test.go":  "restored",
		"day1_x/skipped/skipped_test.go":  "restored",
		"go.mod":                          "restored",
		"fakeleak/go.mod":                 "removed",
		"fakeleak/leak.go":                "removed",
		"Makefile":                        "restored",
		".github/workflows/grade.yml":     "restored",
		"internal/helper/helper.go":       "restored",
		"cmd/tool/main.go":                "restored",
		"cmd/tool/extra.go":               "removed",
		"day1_x/edited/testdata/want.txt": "restored",
		"day1_x/edited/given.go":          "restored",
		"course.toml":                     "restored",
		"go.sum":                          "restored",
		"go.work":                         "removed",
		"day1_x/linked/linked.go":         "restored",
		"day1_x/newfile/extra.go":         "removed",
	} {
		assert.Equal(t, action, changed[path], "%s must be named in the report as %s", path, action)
	}
	for _, own := range []string{"day1_x/deleted/deleted.go", "day1_x/replaced/replaced.go", "day1_x/forger/forger.go"} {
		assert.NotContains(t, changed, own, "the student's own exercise file %s must be kept", own)
	}

	after, err := Grade(ctx, load(), opts)
	require.NoError(t, err)
	assert.Zero(t, after.Points, "no trick may raise the score")
	assert.Equal(t, 80.0, after.MaxPoints, "the manifest is the protected one: 8 exercises of 10 points")
	byID := map[string]ExerciseResult{}
	for _, e := range after.Exercises {
		byID[e.ID] = e
		assert.NotEqual(t, StatusPass, e.Status, "%s must not pass", e.ID)
	}
	assert.Equal(t, "init", firstRule(byID["day1_x/forger"]), "the forging init must be flagged")
	assert.Contains(t, byID["day1_x/forger"].Reason, "day1_x/forger/forger.go:")
	assert.Equal(t, "exit", firstRule(byID["day1_x/exiter"]), "syscall.Exit must be flagged")
	assert.Contains(t, byID["day1_x/replaced"].Reason, "goroutine", "the real goleak must catch the leak")
	assert.Equal(t, StatusNotStarted, byID["day1_x/newfile"].Status, "with the new file gone, the stub is graded as it is")
	assert.NoFileExists(t, filepath.Join(g.root, "day1_x/newfile/extra.go"))
}

func firstRule(e ExerciseResult) string {
	if len(e.Flags) == 0 {
		return ""
	}
	return e.Flags[0].Rule
}

func TestProtectRejectsUnknownRef(t *testing.T) {
	g := gitRepo{t, t.TempDir()}
	g.git("init", "-q")
	_, err := Protect(context.Background(), g.root, "no-such-ref")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a commit")
}
