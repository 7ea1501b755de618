package dataproc

import (
	"io"
	"strconv"
)

// Format returns the result in the challenge's exact output format: every station sorted by name
// (by its bytes), as name=min/mean/max with one decimal, in braces, separated by ", ", and a newline:
//
//	{Abha=-23.0/18.0/59.2, Abidjan=-16.2/26.0/67.3}
//
// The mean is Stats.Mean, rounded as the challenge rounds. No value prints as "-0.0": a mean that
// rounds to zero prints "0.0", as does a measurement of "-0.0". An empty table gives "{}\n".
func Format(t *Table) string {
	b := []byte{'{'}
	for i, name := range t.Names() {
		s, _ := t.Lookup(name)
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, name...)
		b = append(b, '=')
		b = appendTenths(b, s.Min)
		b = append(b, '/')
		b = appendTenths(b, s.Mean())
		b = append(b, '/')
		b = appendTenths(b, s.Max)
	}
	return string(append(b, "}\n"...))
}

// WriteResult writes Format(t) to w.
func WriteResult(w io.Writer, t *Table) error {
	_, err := io.WriteString(w, Format(t))
	return err
}

// appendTenths appends v tenths as a decimal with one digit after the point: -234 is "-23.4", 5 is
// "0.5". Integers have no negative zero, so neither has the text.
func appendTenths(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/10, 10)
	return append(b, '.', byte('0'+v%10))
}
