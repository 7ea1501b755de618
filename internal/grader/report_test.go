package grader

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMarkdownSummary(t *testing.T) {
	rep := &Report{Points: 5, MaxPoints: 30, Protected: []ProtectedChange{{Path: "day1_x/a/a_test.go", Action: "restored"}},
		Exercises: []ExerciseResult{
			{ID: "day1_x/a", Day: 1, Title: "a | pipe", Status: StatusPartial, Points: 5, MaxPoints: 10, Passed: 1, Total: 2, Reason: "TestTwo: want 42"},
			{ID: "day2_x/b", Day: 2, Title: "b", Status: StatusBuildError, MaxPoints: 10, Reason: "does not compile: b.go:3: undefined: x"},
			{ID: "day2_x/c", Day: 2, Title: "c", Status: StatusFail, MaxPoints: 10, Reason: "flagged, not run",
				Flags: []Flag{{File: "day2_x/c/c.go", Line: 7, Rule: "init", Message: "func init is not allowed"}}},
		}}
	var b strings.Builder
	rep.WriteMarkdown(&b)
	md := b.String()
	assert.Contains(t, md, "## Grade: 5 / 30 points")
	assert.Contains(t, md, "### Day 1")
	assert.Contains(t, md, "### Day 2")
	assert.Contains(t, md, `a \| pipe`, "table cells escape pipes")
	assert.Contains(t, md, "`day1_x/a/a_test.go` (restored)", "protected changes are listed")
	assert.Contains(t, md, "does not compile: b.go:3: undefined: x", "compile errors are shown")
	assert.Contains(t, md, "TestTwo: want 42", "the first failure is shown")
	assert.Contains(t, md, "`day2_x/c/c.go:7` (`init`): `func init is not allowed`", "flagged code is listed with file, line and rule, as code: it comes from an untrusted report")
}

func TestMarkdownSummaryFitsAComment(t *testing.T) {
	rep := &Report{}
	for i := range 3000 {
		rep.Exercises = append(rep.Exercises, ExerciseResult{ID: fmt.Sprintf("day1_x/e%d", i), Day: 1, Title: "t",
			Status: StatusFail, MaxPoints: 1, Reason: strings.Repeat("very long reason ", 100)})
	}
	var b strings.Builder
	rep.WriteMarkdown(&b)
	assert.LessOrEqual(t, b.Len(), MaxMarkdown+100, "the summary must fit in a pull request comment")
	assert.Contains(t, b.String(), "cut to fit")
}
