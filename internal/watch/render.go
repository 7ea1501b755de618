package watch

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gocourse/week11/internal/grader"
)

// render lays the screen out as lines of at most Width columns.
func (s *screen) render() []string {
	w := s.cfg.Width
	var out []string
	add := func(lines ...string) { out = append(out, lines...) }

	title := s.cfg.Manifest.Title
	if title == "" {
		title = "The course"
	}
	add(pad(clip(title, w-14), w-12) + "course watch")
	done, total, points, max := s.progress()
	suffix := fmt.Sprintf("  %d/%d pass  %s/%s points", done, total, grader.FormatPoints(points), grader.FormatPoints(max))
	add(bar(done, total, w-len(suffix)) + suffix)
	add("")

	if s.starting {
		add(wrap(fmt.Sprintf("Running the tests of all %d exercises to see where you stand (%s)...", len(s.exs), s.elapsed()), w, "")...)
		add(wrap("The first run builds every exercise with the race detector and takes a while; after that, only the exercise you work on runs, in seconds.", w, "")...)
		add("", "q quit")
		return out
	}
	if s.banner != "" {
		add(wrap(s.banner, w, "")...)
		add("")
	}
	if s.list {
		return append(out, s.renderList(len(out))...)
	}

	e := s.exs[s.cur]
	r, graded := s.results[e.ID]
	add(clip(fmt.Sprintf("Exercise %d/%d, day %d: %s", s.cur+1, len(s.exs), e.Day, e.ID), w))
	add(wrap(e.Title, w, "")...)
	add(clip("Your code: "+strings.Join(s.files(e), ", "), w))
	add("")
	switch {
	case !graded:
		add("Not run yet.")
	case r.Status == grader.StatusPass:
		add(s.paint(r.Status, "PASS") + fmt.Sprintf("  %d/%d tests, %s/%s points", r.Passed, r.Total, grader.FormatPoints(r.Points), grader.FormatPoints(r.MaxPoints)))
		if !s.race {
			add(wrap("(Without the race detector: data races were not checked.)", w, "")...)
		}
		add(wrap("Compare with the reference solution: go run ./cmd/course solution "+e.ID+". n goes on to the next exercise.", w, "")...)
	default:
		add(s.paint(r.Status, strings.ToUpper(r.Status)) + fmt.Sprintf("  %d/%d tests, %s/%s points", r.Passed, r.Total, grader.FormatPoints(r.Points), grader.FormatPoints(r.MaxPoints)))
		add(s.failure(r)...)
	}
	if s.hint > 0 && s.hint <= len(e.Hints) {
		add("")
		add(wrap(fmt.Sprintf("Hint %d/%d: %s", s.hint, len(e.Hints), e.Hints[s.hint-1]), w, "  ")...)
	}
	add("")
	switch {
	case s.running:
		add(fmt.Sprintf("Running the tests of %s (%s)...", e.ID, s.elapsed()))
	case s.cfg.Manual:
		add(wrap("Tests ran at "+s.lastRun.Format("15:04:05")+". Press Enter to run them again.", w, "")...)
	default:
		add(wrap("Tests ran at "+s.lastRun.Format("15:04:05")+". Save a .go file in "+e.ID+"/ to run them again.", w, "")...)
	}
	if s.err != "" {
		add(wrap("The grader could not run: "+s.err, w, "")...)
	}
	add("h hint  n next  l list  r re-run  q quit")
	return out
}

// failure says what went wrong: the first failing test, in file order, and its message; or the
// compiler's first lines.
func (s *screen) failure(r grader.ExerciseResult) []string {
	w := s.cfg.Width
	var out []string
	if r.Status == grader.StatusBuildError {
		out = append(out, "Does not compile:")
		n := 0
		for l := range strings.SplitSeq(r.BuildOutput, "\n") {
			if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
				continue
			}
			if n++; n > 8 {
				out = append(out, "  ...")
				break
			}
			out = append(out, clip("  "+strings.TrimSpace(l), w))
		}
		if n == 0 {
			out = append(out, wrap("  "+r.Reason, w, "  ")...)
		}
		return out
	}
	if r.Status == grader.StatusNotStarted {
		return append(out, wrap("The stub still panics with TODO: start with the TODOs in the file above; h shows a hint.", w, "")...)
	}
	test, msg := "", r.Reason
	for _, t := range r.Tests {
		if rest, ok := strings.CutPrefix(r.Reason, t.Name+": "); ok {
			test, msg = t.Name, rest
			break
		}
	}
	if test != "" {
		out = append(out, "First failing test: "+test)
	}
	lines := wrap("  "+msg, w, "  ")
	if len(lines) > 6 {
		lines = append(lines[:6], "  ...")
	}
	return append(out, lines...)
}

// renderList lists the week, one exercise a line; on a terminal too short for all of them, the ones
// around the current exercise.
func (s *screen) renderList(used int) []string {
	var out []string
	next := s.firstUnfinished(0)
	out = append(out, fmt.Sprintf("   %2s  %-25s  %-11s %7s  %s", "#", "EXERCISE", "STATUS", "POINTS", "TOPIC"))
	from, to := 0, len(s.exs)
	if room := s.cfg.Height - used - 4; s.cfg.Height > 0 && room < len(s.exs) {
		room = max(room, 3)
		from = min(max(s.cur-room/2, 0), len(s.exs)-room)
		to = from + room
	}
	for i, e := range s.exs {
		if i < from || i >= to {
			continue
		}
		r, ok := s.results[e.ID]
		status := "-"
		if ok {
			status = r.Status
		}
		mark := " "
		if i == s.cur {
			mark = ">"
		} else if i == next && s.results[e.ID].Status != grader.StatusPass {
			mark = "*"
		}
		pts := grader.FormatPoints(r.Points) + "/" + grader.FormatPoints(e.Points)
		out = append(out, fmt.Sprintf(" %s %2d  %-25s  %s %7s  %s", mark, i+1, clip(e.ID, 25), s.paint(status, fmt.Sprintf("%-11s", status)), pts, clip(strings.Join(e.Topics, ", "), s.cfg.Width-55)))
	}
	note := "> the exercise on screen. Any key goes back."
	if from > 0 || to < len(s.exs) {
		note = fmt.Sprintf("> the exercise on screen (%d-%d of %d shown). Any key goes back.", from+1, to, len(s.exs))
	}
	out = append(out, "", note)
	return out
}

// files lists the exercise's own source files, the ones the student edits.
func (s *screen) files(e grader.Exercise) []string {
	dir := filepath.Join(s.cfg.Root, filepath.FromSlash(e.ID))
	matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var out []string
	for _, m := range matches {
		if !strings.HasSuffix(m, "_test.go") {
			out = append(out, e.ID+"/"+filepath.Base(m))
		}
	}
	if len(out) == 0 {
		out = append(out, e.ID+"/")
	}
	return out
}

func (s *screen) elapsed() string {
	return time.Since(s.runStarted).Round(time.Second).String()
}

// paint colours text by status, when colour is on.
func (s *screen) paint(status, text string) string {
	if !s.cfg.Color {
		return text
	}
	code := "31" // red
	switch status {
	case grader.StatusPass:
		code = "32"
	case grader.StatusPartial:
		code = "33"
	case grader.StatusNotStarted, "-":
		code = "2"
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// bar draws a progress bar of width columns: [#####.....].
func bar(done, total, width int) string {
	inner := max(width-2, 1)
	n := 0
	if total > 0 {
		n = done * inner / total
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", inner-n) + "]"
}

// wrap breaks text into lines of at most width columns; lines after the first start with indent.
func wrap(text string, width int, indent string) []string {
	avail := max(width-len(indent), 1)
	var words []string
	for _, w := range strings.Fields(text) {
		r := []rune(w)
		for len(r) > avail { // a word longer than a line is cut
			words, r = append(words, string(r[:avail])), r[avail:]
		}
		words = append(words, string(r))
	}
	var lines []string
	cur, empty := "", true
	for _, w := range words {
		if !empty && utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) > width {
			lines, cur, empty = append(lines, cur), indent, true
		}
		if empty {
			cur += w
		} else {
			cur += " " + w
		}
		empty = false
	}
	if !empty {
		lines = append(lines, cur)
	}
	return lines
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:max(n-3, 0)]) + "..."
}

func pad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}
