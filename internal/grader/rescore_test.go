package grader

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trustedCourse is the default branch's view: a manifest and the test files, nothing built.
func trustedCourse(t *testing.T) (string, *Manifest) {
	root := t.TempDir()
	for name, body := range map[string]string{
		"day1_x/a/a_test.go": "package a\n\nimport \"testing\"\n\nfunc TestOne(t *testing.T) {}\nfunc TestTwo(t *testing.T) {}\n",
		"day1_x/b/b_test.go": "package b\n\nimport \"testing\"\n\nfunc TestOnly(t *testing.T) {}\n",
		"day1_x/a/a.go":      "package a\n",
		"day1_x/b/b.go":      "package b\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	m := &Manifest{Exercises: []Exercise{
		{ID: "day1_x/a", Title: "a", Day: 1, Points: 10, Topics: []string{"t"}, Hints: []string{"1", "2"}},
		{ID: "day1_x/b", Title: "b", Day: 1, Points: 6, Topics: []string{"t"}, Hints: []string{"1", "2"}},
	}}
	return root, m
}

func rawReport(t *testing.T, exs ...ExerciseResult) []byte {
	data, err := json.Marshal(Report{Schema: Schema, Exercises: exs})
	require.NoError(t, err)
	return data
}

func TestRescoreCapsAtPassingTests(t *testing.T) {
	root, m := trustedCourse(t)
	raw := rawReport(t,
		ExerciseResult{ID: "day1_x/a", Status: StatusPass, Points: 1000, Tests: []TestResult{{Name: "TestOne", Status: TestPass}, {Name: "TestTwo", Status: TestFail}}},
		ExerciseResult{ID: "day1_x/b", Status: StatusPass, Points: 6, Tests: []TestResult{{Name: "TestOnly", Status: TestPass}}},
	)
	rep, err := Rescore(raw, m, root, []string{"day1_x/a/a.go"})
	require.NoError(t, err)
	assert.Equal(t, 5.0, rep.Exercises[0].Points, "a claims 1000 points but passes 1 of 2 tests: 10 × 1/2")
	assert.Equal(t, 6.0, rep.Exercises[1].Points)
	assert.Equal(t, 11.0, rep.Points)
	assert.Equal(t, 16.0, rep.MaxPoints, "max points come from the trusted manifest")
	assert.Empty(t, rep.Protected, "changing an exercise file is allowed")
}

func TestRescoreRejectsBadReports(t *testing.T) {
	root, m := trustedCourse(t)
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"not JSON", []byte("100 points"), "not a valid"},
		{"wrong schema", []byte(`{"schema":"course-grade/v0","exercises":[]}`), "schema"},
		{"unknown field", []byte(`{"schema":"course-grade/v1","bonus":100,"exercises":[]}`), "unknown field"},
		{"unknown exercise", rawReport(t, ExerciseResult{ID: "day9/extra", Status: StatusPass}), "unknown exercise"},
		{"unknown test", rawReport(t, ExerciseResult{ID: "day1_x/b", Status: StatusPass, Tests: []TestResult{{Name: "TestInvented", Status: TestPass}}}), "unexpected test"},
		{"test twice", rawReport(t, ExerciseResult{ID: "day1_x/b", Status: StatusPass, Tests: []TestResult{{Name: "TestOnly", Status: TestPass}, {Name: "TestOnly", Status: TestPass}}}), "unexpected test"},
		{"bad status", rawReport(t, ExerciseResult{ID: "day1_x/b", Status: "excellent"}), "unknown status"},
		{"too large", []byte(strings.Repeat(" ", MaxRawReport+1)), "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Rescore(tc.raw, m, root, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestRescoreWorkflowChangeVoidsTheGrade(t *testing.T) {
	root, m := trustedCourse(t)
	raw := rawReport(t, ExerciseResult{ID: "day1_x/b", Status: StatusPass, Points: 6, Tests: []TestResult{{Name: "TestOnly", Status: TestPass}}})
	rep, err := Rescore(raw, m, root, []string{"day1_x/b/b.go", ".github/workflows/grade.yml", "day1_x/b/b_test.go"})
	require.NoError(t, err)
	assert.Zero(t, rep.Points)
	assert.Contains(t, rep.Exercises[1].Reason, ".github/workflows/grade.yml")
	var paths []string
	for _, p := range rep.Protected {
		paths = append(paths, p.Path)
	}
	assert.ElementsMatch(t, []string{".github/workflows/grade.yml", "day1_x/b/b_test.go"}, paths)
	assert.Equal(t, StatusFail, rep.Exercises[0].Status, "an exercise missing from the raw report fails")
}

func TestClassroomResult(t *testing.T) {
	rep := &Report{MaxPoints: 16, Exercises: []ExerciseResult{
		{ID: "day1_x/a", Status: StatusPartial, Points: 5, Reason: "TestTwo: failed"},
		{ID: "day1_x/b", Status: StatusPass, Points: 6},
	}}
	data, err := base64.StdEncoding.DecodeString(rep.ClassroomResult())
	require.NoError(t, err)
	var res struct {
		Version  int     `json:"version"`
		Status   string  `json:"status"`
		MaxScore float64 `json:"max_score"`
		Tests    []struct {
			Name   string  `json:"name"`
			Status string  `json:"status"`
			Score  float64 `json:"score"`
		} `json:"tests"`
	}
	require.NoError(t, json.Unmarshal(data, &res))
	assert.Equal(t, 1, res.Version)
	assert.Equal(t, "fail", res.Status)
	assert.Equal(t, 16.0, res.MaxScore)
	require.Len(t, res.Tests, 2)
	assert.Equal(t, 5.0, res.Tests[0].Score)
	assert.Equal(t, "pass", res.Tests[1].Status)
}
