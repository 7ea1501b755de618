package coursetest

import (
	"fmt"
	"strings"
	"testing"
)

// shortSlice is the longest slice EqualSlices prints in full.
const shortSlice = 8

// EqualSlices checks that got has the same elements as want, in the same order (a nil and an empty
// slice are equal). If not, it fails t with the message built from format and args, followed by a
// summary that fits a few lines whatever the slices' sizes: both lengths, the first index where they
// differ with the elements there, and the slices themselves only when they are short. It reports
// whether the slices were equal.
func EqualSlices[T comparable](t testing.TB, want, got []T, format string, args ...any) bool {
	t.Helper()
	n := min(len(want), len(got))
	i := 0
	for i < n && want[i] == got[i] {
		i++
	}
	if i == n && len(want) == len(got) {
		return true
	}
	var b strings.Builder
	fmt.Fprintf(&b, format, args...)
	fmt.Fprintf(&b, "\n(want %d elements, got %d", len(want), len(got))
	if i < n {
		fmt.Fprintf(&b, "; the first difference is at index %d: want %v, got %v)", i, want[i], got[i])
	} else {
		fmt.Fprintf(&b, "; the first %d agree)", n)
	}
	if len(want) <= shortSlice && len(got) <= shortSlice {
		fmt.Fprintf(&b, "\nwant: %v\ngot:  %v", want, got)
	}
	t.Errorf("%s", b.String())
	return false
}
