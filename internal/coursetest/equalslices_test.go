package coursetest

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what Errorf was given instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestEqualSlices(t *testing.T) {
	long := make([]int, 1000)
	longer := append(append([]int{}, long...), 7)
	changed := append([]int{}, long...)
	changed[500] = 9
	for _, tc := range []struct {
		name      string
		want, got []int
		ok        bool
		mentions  []string
	}{
		{"equal", []int{1, 2}, []int{1, 2}, true, nil},
		{"nil and empty", nil, []int{}, true, nil},
		{"short, different", []int{1, 2, 3}, []int{1, 5, 3}, false,
			[]string{"want 3 elements, got 3", "index 1: want 2, got 5", "want: [1 2 3]", "got:  [1 5 3]"}},
		{"long, one element changed", long, changed, false, []string{"index 500: want 0, got 9"}},
		{"long, one element more", long, longer, false, []string{"want 1000 elements, got 1001", "the first 1000 agree"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			ok := EqualSlices(r, tc.want, tc.got, "results for %s", "x")
			if ok != tc.ok || len(r.errors) != map[bool]int{true: 0, false: 1}[tc.ok] {
				t.Fatalf("EqualSlices returned %v with errors %q, want %v", ok, r.errors, tc.ok)
			}
			if tc.ok {
				return
			}
			msg := r.errors[0]
			if !strings.HasPrefix(msg, "results for x\n") {
				t.Errorf("the caller's message must come first, got %q", msg)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(msg, m) {
					t.Errorf("the message %q does not mention %q", msg, m)
				}
			}
			if lines := strings.Count(msg, "\n") + 1; lines > 4 || len(msg) > 400 {
				t.Errorf("the message has %d lines and %d bytes: it must summarise, not dump", lines, len(msg))
			}
		})
	}
}
