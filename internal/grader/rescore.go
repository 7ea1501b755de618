package grader

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// MaxRawReport bounds the size of a report the trusted side accepts from the untrusted one.
const MaxRawReport = 4 << 20

var (
	exerciseStatuses = []string{StatusPass, StatusPartial, StatusFail, StatusBuildError, StatusTimeout, StatusNotStarted}
	testStatuses     = []string{TestPass, TestFail, TestSkip, TestTimeout, TestNotRun}
)

// Rescore is the trusted side of pull-request grading. It takes the report that the untrusted job
// produced (raw: data, never code) and re-derives the score from the trusted manifest and test files
// under root: it accepts only the known exercises and tests, caps every exercise at what its passing
// tests earn, and names every file the pull request changed outside the exercise files. If the pull
// request changed .github/, the untrusted job ran the student's own workflow, so nothing it reported
// can be believed: the grade is zero and says why.
//
// Every string of the raw report is hostile: the protected changes are rebuilt from changed (the
// API's list) rather than taken from it, and what is kept (reasons, flags, output) is shown only
// through the escaping of WriteMarkdown and `course report`.
func Rescore(raw []byte, m *Manifest, root string, changed []string) (*Report, error) {
	return RescorePR(raw, m, root, changed, -1, -1)
}

// RescorePR is Rescore for a pull request whose API says it changes changedCount files, of which the
// API's paginated list (changed) held listed; with fewer listed than changed (the list is capped at
// 3000 files), a change to .github/ could be hidden, so the grade is void. -1 skips the check.
func RescorePR(raw []byte, m *Manifest, root string, changed []string, listed, changedCount int) (*Report, error) {
	if len(raw) > MaxRawReport {
		return nil, fmt.Errorf("the raw report is %d bytes, more than the %d allowed", len(raw), MaxRawReport)
	}
	var in Report
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("the raw report is not a valid %s report: %w", Schema, err)
	}
	if in.Schema != Schema {
		return nil, fmt.Errorf("the raw report's schema is %q, want %q", in.Schema, Schema)
	}
	got := map[string]ExerciseResult{}
	for _, e := range in.Exercises {
		if _, err := m.Find(e.ID); err != nil || e.ID == "" {
			return nil, fmt.Errorf("the raw report grades an unknown exercise %q", e.ID)
		}
		if _, dup := got[e.ID]; dup {
			return nil, fmt.Errorf("the raw report grades %q twice", e.ID)
		}
		if !slices.Contains(exerciseStatuses, e.Status) {
			return nil, fmt.Errorf("exercise %q has an unknown status %q", e.ID, e.Status)
		}
		got[e.ID] = e
	}

	// Protected changes are rebuilt from the API's file list, never taken from the raw report, and
	// the raw report's reason for grading without the race detector is not repeated: it is text the
	// untrusted job wrote. CI mode refuses to grade without the detector, so Race is false only in a
	// report that was not made by an honest CI run, and the scorecard then says so in its own words.
	out := &Report{Schema: Schema, Race: in.Race}
	void := "" // why nothing the untrusted job reported can be believed
	for _, p := range changed {
		p = path.Clean(strings.TrimSpace(p))
		if p == "." || isExerciseFile(m, root, p) {
			continue
		}
		action := "changed in the pull request; graded with the original"
		if hasExerciseFileName(m, root, p) {
			action = "a new file in an exercise directory; removed before grading"
		}
		if !slices.ContainsFunc(out.Protected, func(c ProtectedChange) bool { return c.Path == p }) {
			out.Protected = append(out.Protected, ProtectedChange{Path: p, Action: action})
		}
		if (p == ".github" || strings.HasPrefix(p, ".github/")) && void == "" {
			void = "the pull request changes " + p + ", so the grading job ran its own workflow"
		}
	}
	if listed >= 0 && changedCount >= 0 && listed < changedCount {
		void = fmt.Sprintf("the pull request changes %d files but GitHub listed only %d, so a change to the workflows could be hidden", changedCount, listed)
	}

	for _, ex := range m.Exercises {
		known, err := KnownTests(filepath.Join(root, filepath.FromSlash(ex.ID)))
		if err != nil {
			return nil, err
		}
		r, ok := got[ex.ID]
		res := ExerciseResult{ID: ex.ID, Day: ex.Day, Title: ex.Title, MaxPoints: ex.Points, Total: len(known)}
		if !ok {
			res.Status, res.Reason = StatusFail, "not in the raw report"
		} else {
			res.Status, res.Reason, res.Flags, res.BuildOutput = r.Status, clip(r.Reason, 500), r.Flags, clip(r.BuildOutput, 8<<10)
			seen := map[string]bool{}
			for _, t := range r.Tests {
				if !slices.Contains(known, t.Name) || seen[t.Name] || !slices.Contains(testStatuses, t.Status) {
					return nil, fmt.Errorf("exercise %q: unexpected test entry %q (%q)", ex.ID, t.Name, t.Status)
				}
				seen[t.Name] = true
				res.Tests = append(res.Tests, TestResult{Name: t.Name, Status: t.Status, Output: clip(t.Output, 8<<10)})
				if t.Status == TestPass {
					res.Passed++
				}
			}
			earned := 0.0
			if len(known) > 0 {
				earned = ex.Points * float64(res.Passed) / float64(len(known))
			}
			res.Points = round2(min(max(r.Points, 0), earned))
			if len(res.Flags) > 0 || (res.Status != StatusPass && res.Passed == len(known)) {
				res.Points = 0 // flagged, or failed after its tests: the grader zeroed it
			}
		}
		if void != "" {
			res.Points = 0
			res.Status = StatusFail
			res.Reason = "not graded: " + void + "; an instructor must review it"
		}
		out.Points += res.Points
		out.MaxPoints += res.MaxPoints
		out.Exercises = append(out.Exercises, res)
	}
	out.Points = round2(out.Points)
	return out, nil
}

// isExerciseFile reports whether p (slash-separated, relative to the course root) is a file a student
// may change: a non-test .go file directly inside an exercise directory, not one of a capstone's
// given files, which the trusted checkout under root has too.
func isExerciseFile(m *Manifest, root, p string) bool {
	if !hasExerciseFileName(m, root, p) {
		return false
	}
	fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(p)))
	return err == nil && fi.Mode().IsRegular()
}

// hasExerciseFileName reports whether p names a file directly inside an exercise directory that
// would be an exercise file, whether or not the trusted checkout has it.
func hasExerciseFileName(m *Manifest, root, p string) bool {
	dir, file := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if !strings.HasSuffix(file, ".go") || strings.HasSuffix(file, "_test.go") {
		return false
	}
	return slices.ContainsFunc(m.Exercises, func(e Exercise) bool { return e.ID == dir && !slices.Contains(e.Given, file) })
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// ClassroomResult encodes the report in the result format that GitHub Classroom's autograding
// reporter (classroom-resources/autograding-grading-reporter) reads from a runner's `result` output:
// base64 of {"version":1,"status":...,"max_score":...,"tests":[...]}, one test per exercise, scored
// with the exercise's points.
func (r *Report) ClassroomResult() string {
	type test struct {
		Name    string  `json:"name"`
		Status  string  `json:"status"`
		Message string  `json:"message,omitempty"`
		Score   float64 `json:"score"`
	}
	res := struct {
		Version  int     `json:"version"`
		Status   string  `json:"status"`
		MaxScore float64 `json:"max_score"`
		Tests    []test  `json:"tests"`
	}{Version: 1, Status: "pass", MaxScore: r.MaxPoints}
	for _, e := range r.Exercises {
		st := "pass"
		if e.Status != StatusPass {
			st, res.Status = "fail", "fail"
		}
		res.Tests = append(res.Tests, test{Name: e.ID, Status: st, Message: PlainText(e.Reason, 300), Score: e.Points})
	}
	data, _ := json.Marshal(res)
	return base64.StdEncoding.EncodeToString(data)
}
