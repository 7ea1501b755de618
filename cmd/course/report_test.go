package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Attack class 7: `course report` prints strings of the untrusted report to a log where GitHub runs
// lines such as "::add-mask::" and "::error::" as workflow commands.
func TestReportStdoutRunsNoWorkflowCommand(t *testing.T) {
	root := tinyCourse(t)
	evil := "\n::add-mask::secret\n::error file=x::forged\n\x1b[2J"
	raw, err := json.Marshal(map[string]any{"schema": "course-grade/v1", "exercises": []map[string]any{
		{"id": "day1_x/done", "day": 1, "title": "t", "status": "fail", "reason": evil, "points": 0, "max_points": 4, "passed": 0, "total": 1,
			"flags": []map[string]any{{"file": evil, "line": 1, "rule": evil, "message": evil}}, "tests": []map[string]any{{"name": "TestF", "status": "fail", "output": evil}}},
	}})
	require.NoError(t, err)
	rawFile := filepath.Join(root, "raw.json")
	require.NoError(t, os.WriteFile(rawFile, raw, 0o644))
	changed := filepath.Join(root, "changed")
	require.NoError(t, os.WriteFile(changed, []byte("day1_x/done/done.go\n::warning::forged.txt\n"), 0o644))

	out, err := runCLI("report", "--raw", rawFile, "--changed-files", changed, "--changed-count", "2", "--listed-count", "2")
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.GreaterOrEqual(t, len(lines), 2)
	m := regexp.MustCompile(`^::stop-commands::([0-9a-f]{32})$`).FindStringSubmatch(lines[0])
	require.NotNil(t, m, "the first line stops workflow commands: %q", lines[0])
	assert.Equal(t, "::"+m[1]+"::", lines[len(lines)-1], "the last line resumes them, with the same token")
	assert.Contains(t, out, "::warning::forged.txt", "the hostile file name is shown, inside the block")
	assert.NotContains(t, out, "\x1b", "no terminal control characters")
	for _, l := range lines[1 : len(lines)-1] {
		assert.NotContains(t, l, m[1], "the token appears only on the first and last lines")
	}
}
