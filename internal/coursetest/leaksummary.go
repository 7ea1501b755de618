package coursetest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// CheckLeaksBriefly is CheckLeaks with a short report: when goroutines started during t are still
// running at its end, it fails t with one line per group of leaked goroutines (how many, their state,
// and where in the course's code they are stuck), at most maxLeakLines lines, instead of every stack.
// After a test has already failed (a hang, say), its stuck goroutines are a consequence, and the
// report says so in one sentence rather than burying the first failure under stack traces.
//
// Call it first in a test, before it starts any goroutine, as CheckLeaks.
func CheckLeaksBriefly(t testing.TB) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		err := goleak.Find(ignore)
		if err == nil {
			return
		}
		t.Helper()
		prefix := "goroutines started by this test were still running when it ended (a goroutine leak)"
		if t.Failed() {
			prefix = "goroutines started by this test were still stuck when it ended (most likely because of the failure above)"
		}
		t.Errorf("%s:\n%s", prefix, summariseLeaks(err.Error()))
	})
}

// maxLeakLines is how many groups of leaked goroutines CheckLeaksBriefly lists.
const maxLeakLines = 5

var leakHeader = regexp.MustCompile(`Goroutine \d+ in state ([^,]+), with`)

// summariseLeaks turns goleak's report into one line per (state, place) group, most common first.
func summariseLeaks(report string) string {
	type group struct {
		key   string
		count int
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, g := range strings.Split(report, "Goroutine ")[1:] {
		m := leakHeader.FindStringSubmatch("Goroutine " + g)
		state := "unknown state"
		if m != nil {
			state = m[1]
		}
		key := state + " in " + courseFrame(g)
		if byKey[key] == nil {
			byKey[key] = &group{key: key}
			groups = append(groups, byKey[key])
		}
		byKey[key].count++
	}
	var b strings.Builder
	for i, g := range groups {
		if i == maxLeakLines {
			fmt.Fprintf(&b, "  ... and %d more groups\n", len(groups)-i)
			break
		}
		fmt.Fprintf(&b, "  %d × %s\n", g.count, g.key)
	}
	return strings.TrimRight(b.String(), "\n")
}

// courseFrame returns the innermost frame of one goroutine's stack that is in the course's own code
// (not the runtime, the standard library or this package), as "pkg.Func (file.go:line)".
func courseFrame(stack string) string {
	lines := strings.Split(stack, "\n")
	for i := 1; i+1 < len(lines); i++ {
		fn := strings.TrimSpace(lines[i])
		if !strings.Contains(fn, "/week11/") || strings.Contains(fn, "/internal/coursetest.") {
			continue
		}
		if j := strings.LastIndex(fn, "("); j > 0 {
			fn = fn[:j]
		}
		fn = fn[strings.LastIndex(fn, "/")+1:]
		loc := strings.TrimSpace(lines[i+1])
		if j := strings.LastIndex(loc, " +"); j > 0 {
			loc = loc[:j]
		}
		loc = loc[strings.LastIndex(loc, "/")+1:]
		return fmt.Sprintf("%s (%s)", fn, loc)
	}
	return "(no frame in the course's code)"
}
