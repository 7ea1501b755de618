package grader

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// Schema names the version of the JSON report. Fields may be added; none is renamed.
const Schema = "course-grade/v1"

// Report is the result of a grading run, as written by `course grade --json`.
type Report struct {
	Schema    string  `json:"schema"`
	Points    float64 `json:"points"`
	MaxPoints float64 `json:"max_points"`
	Mode      string  `json:"mode,omitempty"` // "", "solutions" or "mutant"
	// Race says whether the tests ran with the race detector; when they did not, a pass says nothing
	// about data races, and NoRace says why it was off.
	Race   bool   `json:"race"`
	NoRace string `json:"no_race_reason,omitempty"`
	// Protected lists the files outside the exercise files that differed from the protected commit
	// (--protect-from) and were restored or removed before grading.
	Protected []ProtectedChange `json:"protected_changes,omitempty"`
	Exercises []ExerciseResult  `json:"exercises"`
}

// ExerciseResult is one exercise's grade.
type ExerciseResult struct {
	ID          string       `json:"id"`
	Day         int          `json:"day"`
	Title       string       `json:"title"`
	Status      string       `json:"status"`
	Reason      string       `json:"reason,omitempty"`
	Points      float64      `json:"points"`
	MaxPoints   float64      `json:"max_points"`
	Passed      int          `json:"passed"`
	Total       int          `json:"total"`
	BuildOutput string       `json:"build_output,omitempty"`
	Flags       []Flag       `json:"flags,omitempty"` // rule violations that zero the exercise
	Tests       []TestResult `json:"tests"`
	// Seconds is the wall time of the exercise's test runs, build excluded (instructors' timing;
	// not part of the JSON report).
	Seconds float64 `json:"-"`
	// GraderError says why the grader could not run the exercise's test binary, when it could not:
	// the grader's own failure, not a verdict on the code (verify fails the exercise for it, and
	// mutate stops).
	GraderError string `json:"-"`
}

// Flag is something in an exercise's code, or in its test output, that grading does not allow.
type Flag struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// TestResult is one top-level test's result. Output is kept for tests that did not pass.
type TestResult struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Output string `json:"output,omitempty"`
}

// WriteJSON writes the report to file.
func (r *Report) WriteJSON(file string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(data, '\n'), 0o644)
}

// EncodeJSON writes the report to w, as WriteJSON writes it to a file.
func (r *Report) EncodeJSON(w io.Writer) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// noRaceNote is what the scorecard says when the tests ran without the race detector.
func (r *Report) noRaceNote() string {
	why := r.NoRace
	if why == "" {
		why = "it was turned off"
	}
	return "Graded WITHOUT the race detector, because " + why + ": a pass here means the tests pass, but data races were not checked."
}

// Next returns the first exercise, in course order, that does not pass yet.
func (r *Report) Next() (ExerciseResult, bool) {
	for _, e := range r.Exercises {
		if e.Status != StatusPass {
			return e, true
		}
	}
	return ExerciseResult{}, false
}

// Passing counts the exercises that pass.
func (r *Report) Passing() int {
	n := 0
	for _, e := range r.Exercises {
		if e.Status == StatusPass {
			n++
		}
	}
	return n
}

// WriteText prints the scorecard a student sees: a table, the total, and what to do next.
func (r *Report) WriteText(w io.Writer, m *Manifest) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DAY\tEXERCISE\tTESTS\tPOINTS\tSTATUS\t")
	for _, e := range r.Exercises {
		fmt.Fprintf(tw, "%d\t%s\t%d/%d\t%s/%s\t%s\t\n", e.Day, e.ID, e.Passed, e.Total, num(e.Points), num(e.MaxPoints), e.Status)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nTotal: %s / %s points, %d of %d exercises passing.\n", num(r.Points), num(r.MaxPoints), r.Passing(), len(r.Exercises))
	if !r.Race {
		fmt.Fprintln(w, r.noRaceNote())
	}
	if len(r.Protected) > 0 {
		fmt.Fprintf(w, "\nProtected files changed (graded with the originals):\n")
		for _, p := range r.Protected {
			fmt.Fprintf(w, "  %s (%s)\n", p.Path, p.Action)
		}
	}
	for _, e := range r.Exercises {
		for _, f := range e.Flags {
			fmt.Fprintf(w, "Flagged %s: %s:%d: %s\n", e.ID, f.File, f.Line, f.Message)
		}
	}
	if r.Mode == "mutant" {
		return // an instructors' run of known-wrong code: no advice for a student
	}
	next, ok := r.Next()
	if !ok {
		if m == nil || len(r.Exercises) >= len(m.Exercises) {
			fmt.Fprintln(w, "Every exercise passes. Well done!")
			return
		}
		fmt.Fprintln(w, "Every selected exercise passes.")
		if after, ok := r.nextOutside(m); ok {
			fmt.Fprintf(w, "\nNext in the week: %s (%s), not graded in this run\n", after.ID, after.Title)
			fmt.Fprintf(w, "  Grade it:    go run ./cmd/course grade %s\n", after.ID)
		}
		return
	}
	fmt.Fprintf(w, "\nNext: %s (%s)\n", next.ID, next.Title)
	if next.Reason != "" {
		fmt.Fprintf(w, "  Status: %s: %s\n", next.Status, next.Reason)
	}
	if next.Status == StatusBuildError && next.BuildOutput != "" {
		fmt.Fprintf(w, "  Compiler says:\n%s\n", indent(firstLines(buildMessage(next.BuildOutput), 10), "    "))
	}
	race := "-race "
	if !r.Race {
		race = "" // it would fail: -race needs cgo
	}
	fmt.Fprintf(w, "  Work on it:  go test %s./%s/\n", race, next.ID)
	if m != nil {
		if ex, err := m.Find(next.ID); err == nil && len(ex.Hints) > 0 {
			fmt.Fprintf(w, "  Hint 1/%d:    %s\n", len(ex.Hints), ex.Hints[0])
			fmt.Fprintf(w, "  More hints:  go run ./cmd/course hint %s 2\n", next.ID)
		}
	}
}

// nextOutside returns the exercise a student goes on to after a selection that passes: the first one
// of the week, in course order, that follows the selection and was not graded in this run, or else
// the first one before it.
func (r *Report) nextOutside(m *Manifest) (Exercise, bool) {
	graded := map[string]bool{}
	for _, e := range r.Exercises {
		graded[e.ID] = true
	}
	last := -1
	for i, e := range m.Exercises {
		if graded[e.ID] {
			last = i
		}
	}
	for _, i := range append(seq(last+1, len(m.Exercises)), seq(0, last+1)...) {
		if e := m.Exercises[i]; !graded[e.ID] {
			return e, true
		}
	}
	return Exercise{}, false
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// MaxMarkdown keeps the Markdown report within a pull request comment (65,536 characters) and far
// below a job summary's 1 MiB.
const MaxMarkdown = 60 << 10

// WriteMarkdown writes the report as a GitHub job summary: a table per day, the total, the protected
// files that were changed, and the first failure of each exercise that does not pass. It never writes
// more than MaxMarkdown bytes.
func (r *Report) WriteMarkdown(w io.Writer) {
	var b strings.Builder
	r.writeMarkdown(&b)
	s := b.String()
	if len(s) > MaxMarkdown {
		cut := strings.LastIndexByte(s[:MaxMarkdown], '\n')
		s = s[:cut+1] + "\n_(cut to fit; the full report is in grade.json)_\n"
	}
	io.WriteString(w, s)
}

func (r *Report) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "## Grade: %s / %s points\n\n", num(r.Points), num(r.MaxPoints))
	fmt.Fprintf(w, "%d of %d exercises passing.\n", r.Passing(), len(r.Exercises))
	if !r.Race {
		fmt.Fprintf(w, "\n**%s**\n", mdEscape(r.noRaceNote()))
	}
	day := 0
	for _, e := range r.Exercises {
		if e.Day != day {
			day = e.Day
			fmt.Fprintf(w, "\n### Day %d\n\n| exercise | tests | points | status |\n|---|---|---|---|\n", day)
		}
		fmt.Fprintf(w, "| `%s` %s | %d/%d | %s/%s | %s |\n", e.ID, mdEscape(e.Title), e.Passed, e.Total, num(e.Points), num(e.MaxPoints), statusIcon(e.Status))
	}
	if len(r.Protected) > 0 {
		fmt.Fprintf(w, "\n### Protected files changed\n\nThese files may not be changed by a submission; grading used the originals.\n\n")
		for i, p := range r.Protected {
			if i == 50 {
				fmt.Fprintf(w, "- ... and %d more\n", len(r.Protected)-50)
				break
			}
			fmt.Fprintf(w, "- %s (%s)\n", mdCode(p.Path), mdEscape(p.Action)) // Action is the grader's own words
		}
	}
	flagged := false
	for _, e := range r.Exercises {
		for _, f := range e.Flags {
			if !flagged {
				fmt.Fprintf(w, "\n### Flagged\n\nExercise code that grading does not allow; these exercises were not run and score 0.\n\n")
				flagged = true
			}
			fmt.Fprintf(w, "- `%s` %s (%s): %s\n", e.ID, mdCode(fmt.Sprintf("%s:%d", f.File, f.Line)), mdCode(f.Rule), mdCode(clip(f.Message, 300)))
		}
	}
	first := true
	for _, e := range r.Exercises {
		if e.Status == StatusPass || e.Status == StatusNotStarted || e.Reason == "" {
			continue
		}
		if first {
			fmt.Fprintf(w, "\n### What failed\n\n")
			first = false
		}
		fmt.Fprintf(w, "- `%s` (%s): %s\n", e.ID, e.Status, mdCode(clip(e.Reason, 300)))
	}
}

func statusIcon(s string) string {
	switch s {
	case StatusPass:
		return "✅ pass"
	case StatusNotStarted:
		return "⬜ not-started"
	case StatusPartial:
		return "🟨 partial"
	}
	return "❌ " + s
}

// mdCode shows s, which may be hostile (a student's panic message, a file name from a pull
// request), as one Markdown code span: inside one nothing is a link, an image, a mention, an issue
// reference, HTML or a heading, and s can neither end it (no backticks) nor leave the line.
func mdCode(s string) string {
	s = strings.ReplaceAll(PlainText(s, 1000), "`", "'")
	if strings.TrimSpace(s) == "" {
		return "` `"
	}
	return "`" + s + "`"
}

// PlainText returns s on one line, at most n bytes, without control characters or the Unicode
// controls that reorder text, for showing strings from an untrusted report.
func PlainText(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0xfeff ||
			r >= 0x200b && r <= 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0xfffd:
		default:
			b.WriteRune(r)
		}
		if b.Len() >= n {
			return b.String() + "..."
		}
	}
	return b.String()
}

func mdEscape(s string) string {
	r := strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;", "`", "'")
	return r.Replace(s)
}

// FormatPoints writes points as the reports do: at most two decimals, no trailing zeros.
func FormatPoints(x float64) string { return num(x) }

func num(x float64) string {
	s := fmt.Sprintf("%.2f", x)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}
