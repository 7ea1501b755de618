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
// After a test has already failed (a hang, say), its stuck goroutines are a consequence: the report
// says so in one sentence, and comes from a single snapshot instead of goleak's half second of
// retries, so that a wrong solution fails fast.
//
// Call it first in a test, before it starts any goroutine, as CheckLeaks.
func CheckLeaksBriefly(t testing.TB) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	before := map[string]bool{}
	for _, g := range stackBlocks(allStacks()) {
		before[g.id] = true
	}
	t.Cleanup(func() {
		t.Helper()
		if t.Failed() {
			var left []leaked
			for _, g := range stackBlocks(allStacks()) {
				if !before[g.id] {
					left = append(left, g)
				}
			}
			if len(left) > 0 {
				t.Errorf("goroutines started by this test were still stuck when it ended (most likely because of "+
					"the failure above):\n%s", summariseLeaks(left))
			}
			return
		}
		if err := goleak.Find(ignore); err != nil {
			t.Errorf("goroutines started by this test were still running when it ended (a goroutine leak):\n%s",
				summariseLeaks(goleakBlocks(err.Error())))
		}
	})
}

// maxLeakLines is how many groups of leaked goroutines CheckLeaksBriefly lists.
const maxLeakLines = 5

// leaked is one goroutine of a stack dump.
type leaked struct{ id, state, stack string }

var (
	dumpHeader   = regexp.MustCompile(`^goroutine (\d+) \[([^\],]+)`)
	goleakHeader = regexp.MustCompile(`^Goroutine (\d+) in state ([^,]+), with`)
)

// stackBlocks splits runtime.Stack's dump of every goroutine into goroutines, leaving out the one
// that is running (the caller).
func stackBlocks(dump string) []leaked {
	var gs []leaked
	for block := range strings.SplitSeq(strings.TrimSpace(dump), "\n\n") {
		header, stack, _ := strings.Cut(block, "\n")
		m := dumpHeader.FindStringSubmatch(header)
		if m == nil || m[2] == "running" {
			continue
		}
		gs = append(gs, leaked{id: m[1], state: m[2], stack: stack})
	}
	return gs
}

// goleakBlocks splits goleak's report into goroutines.
func goleakBlocks(report string) []leaked {
	var gs []leaked
	for _, part := range strings.Split(report, "Goroutine ")[1:] {
		header, stack, _ := strings.Cut("Goroutine "+part, "\n")
		g := leaked{state: "unknown state", stack: stack}
		if m := goleakHeader.FindStringSubmatch(header); m != nil {
			g.id, g.state = m[1], m[2]
		}
		gs = append(gs, g)
	}
	return gs
}

// summariseLeaks writes one line per (state, place) group of goroutines, in the order first seen.
func summariseLeaks(gs []leaked) string {
	type group struct {
		key   string
		count int
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, g := range gs {
		key := g.state + " in " + courseFrame(g.stack)
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
	for i := 0; i+1 < len(lines); i++ {
		if strings.HasPrefix(lines[i], "\t") { // a file:line, not a function
			continue
		}
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
