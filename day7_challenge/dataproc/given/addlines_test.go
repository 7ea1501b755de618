package given

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	dp "github.com/gocourse/week11/day7_challenge/dataproc"
	"github.com/stretchr/testify/require"
)

// The tests of AddLine and AddLines hold them to their definition: ParseLine and Add on the bytes up
// to the first '\n', whatever follows the line in b (AddLines reads up to 24 bytes ahead, and takes
// the plain way near the end of b) and whatever the name's length (16 bytes or more take the plain
// way too).

// plainLine is what AddLine must do with b: the length of its first line with the '\n', and that
// line's name and tenths, or 0 if b does not start with a well-formed line and its '\n'.
func plainLine(b []byte) (n int, name []byte, tenths int64) {
	j := bytes.IndexByte(b, '\n')
	if j < 0 {
		return 0, nil, 0
	}
	name, tenths, ok := dp.ParseLine(b[:j])
	if !ok {
		return 0, nil, 0
	}
	return j + 1, name, tenths
}

// contents is every station of t with its Stats, for comparing tables.
func contents(t *dp.Table) map[string]dp.Stats {
	return maps.Collect(t.All())
}

// afterLine are what may follow a line in b: nothing (the end of a short buffer), more lines, and
// enough bytes that AddLines takes its fast path.
var afterLine = []string{"", "x", "Abc;1.0\n", "Z;-9.9\nYy;12.3\n" + strings.Repeat("q", 40)}

// checker holds AddLine on one table to plainLine, line after line: the result, the Stats of the
// line's station and the number of stations at once, every station's Stats at the end.
type checker struct {
	t     *testing.T
	after string
	got   *dp.Table
	want  map[string]dp.Stats
}

func newCheckers(t *testing.T) []*checker {
	var cs []*checker
	for _, after := range afterLine {
		c := &checker{t: t, after: after, got: dp.NewTable(), want: map[string]dp.Stats{}}
		c.got.Add([]byte("Seen"), 10)
		c.want["Seen"] = dp.Stats{Min: 10, Max: 10, Sum: 10, Count: 1}
		cs = append(cs, c)
	}
	return cs
}

// line checks AddLine(line + c.after).
func (c *checker) line(line string) {
	c.t.Helper()
	b := []byte(line + c.after)
	wantN, name, tenths := plainLine(b)
	n := c.got.AddLine(b)
	require.Equal(c.t, wantN, n, "AddLine(%q): want ParseLine's verdict on the bytes up to the first '\\n' "+
		"(its length with the '\\n', or 0 for a malformed or unfinished line)", b)
	if wantN > 0 {
		s := c.want[string(name)]
		s.Add(tenths)
		c.want[string(name)] = s
		got, _ := c.got.Lookup(string(name))
		require.Equal(c.t, s, got, "AddLine(%q) must add what ParseLine and Add would", b)
	}
	require.Equal(c.t, len(c.want), c.got.Len(), "AddLine(%q): a new station only for a new name, none for a line it does not take", b)
}

// done checks every station once the lines are in.
func (c *checker) done() {
	c.t.Helper()
	require.Equal(c.t, c.want, contents(c.got), "AddLine (followed by %q) must add what ParseLine and Add would, and nothing if it returns 0", c.after)
}

func checkLines(t *testing.T, lines func(yield func(string))) {
	t.Helper()
	for _, c := range newCheckers(t) {
		lines(c.line)
		c.done()
	}
}

func TestGivenAddLineIsParseLineAndAdd(t *testing.T) {
	lines := []string{
		"A;0.0\n", "A;-0.0\n", "Abha;-23.4\n", "X;99.9\n", "X;-99.9\n", "X;5.5\n", "Zürich;12.3\n", "a b;1.2\n",
		"Seen;-1.0\n", "Seen;7.0\n", "A\x00;1.0\n", "\xff\xfe;-3.3\n",
		// malformed, or not finished
		"", "\n", ";1.0\n", "A\n", "A;\n", "A;1\n", "A;1.\n", "A;.5\n", "A;1.23\n", "A;123.4\n", "A;+1.0\n",
		"A;1e1\n", "A;1.0\r\n", "A;1.0 \n", "A;;1.0\n", "A;-\n", "A;--1.0\n", "A;1,0\n", "A;-.5\n", "A;-1\n",
		"A;b;1.0\n", "A\nB;1.0\n", "A\n1.0\n", "Abcdefghij\n-12.3\n", "Abcdefghijklmno\n9.9\n", "Abcdefghijklmno\n;1.0\n", "A;1.0", "Abha;-23.4", "Abha;-23", "Abcdefghijklmnopq",
	}
	checkLines(t, func(check func(string)) {
		for _, line := range lines {
			check(line)
		}
		// Every name length around the words AddLines reads, up to MaxNameLen and one past it,
		// with a ';' or a '\n' at every place of the name.
		for n := 1; n <= dp.MaxNameLen+1; n++ {
			name := strings.Repeat("n", n)
			for _, temp := range []string{"1.0", "-0.0", "-12.3", "99.9"} {
				check(name + ";" + temp + "\n")
			}
			if n <= 24 {
				for i := range n {
					check(name[:i] + ";" + name[i+1:] + ";1.0\n")
					check(name[:i] + "\n" + name[i+1:] + ";1.0\n")
				}
			}
		}
	})
}

func TestGivenAddLineTemperatureShapes(t *testing.T) {
	// Every temperature of up to 6 bytes over an alphabet that makes every shape, good or bad,
	// after a short name (the fast path) and a name of 16 bytes (the plain way).
	alphabet := []byte("-09.\nx")
	var good int
	checkLines(t, func(check func(string)) {
		var temps func(prefix []byte)
		temps = func(prefix []byte) {
			for _, name := range []string{"Ab;", "Abcdefghijklmnop;"} {
				check(name + string(prefix))
				if n, _, _ := plainLine([]byte(name + string(prefix))); n > 0 {
					good++
				}
			}
			if len(prefix) < 6 {
				for _, c := range alphabet {
					temps(append(prefix, c))
				}
			}
		}
		temps(nil)
	})
	require.NotZero(t, good, "the alphabet makes well-formed temperatures too")
}

func TestGivenAddLineNamesAreStations(t *testing.T) {
	// The same station through AddLine, Add and Lookup, for names of every length, of any bytes
	// but ';' and '\n', and names that differ in one byte only are different stations.
	tbl := dp.NewTable()
	var names []string
	for n := 1; n <= dp.MaxNameLen; n++ {
		for _, c := range []byte{'a', 'b', 0, 0xff} {
			name := []byte(strings.Repeat("x", n))
			name[n-1] = c
			names = append(names, string(name))
		}
	}
	for i, name := range names {
		line := []byte(name + ";-1.5\n" + strings.Repeat("y", 30))
		require.Equal(t, len(name)+6, tbl.AddLine(line), "AddLine(%q)", line)
		tbl.Add([]byte(name), int64(i))
	}
	require.Equal(t, len(names), tbl.Len(), "every name is its own station")
	for i, name := range names {
		s, ok := tbl.Lookup(name)
		require.True(t, ok, "Lookup(%q) after AddLine", name)
		require.Equal(t, dp.Stats{Min: min(-15, int64(i)), Max: max(-15, int64(i)), Sum: int64(i) - 15, Count: 2}, s,
			"%q through AddLine then Add must be one station", name)
	}
}

func TestGivenAddLinesStopsBeforeAndAtBadLines(t *testing.T) {
	data := []byte("Abha;-23.4\nB;1.0\nAbcdefghijklmnopqrs;9.9\nZürich;-0.5\nC;2.0\nD;3.0\n")
	var starts []int // where each line starts
	for i := 0; i < len(data); i += bytes.IndexByte(data[i:], '\n') + 1 {
		starts = append(starts, i)
	}
	for before := -1; before <= len(data)+1; before++ {
		want := dp.NewTable()
		wantN := 0
		for _, s := range starts {
			if s >= before {
				break
			}
			n, name, tenths := plainLine(data[s:])
			want.Add(name, tenths)
			wantN = s + n
		}
		got := dp.NewTable()
		require.Equal(t, wantN, got.AddLines(data, int64(before)),
			"AddLines(%q, %d) takes the lines that start before byte %d, and stops after the last one", data, before, before)
		require.Equal(t, contents(want), contents(got), "AddLines(data, %d)", before)
	}
	// It stops at the first line AddLine does not take: a malformed one, or one without its '\n'.
	for _, bad := range []string{"B;1.0;\n", "B;x\n", "\n", "B;1.0"} {
		b := []byte("Abha;-23.4\nC;2.0\n" + bad + "D;3.0\n" + strings.Repeat("E;4.0\n", 8))
		if bad == "B;1.0" {
			b = b[:len("Abha;-23.4\nC;2.0\n")+len(bad)]
		}
		got := dp.NewTable()
		require.Equal(t, len("Abha;-23.4\nC;2.0\n"), got.AddLines(b, int64(len(b))), "AddLines(%q) must stop at %q", b, bad)
		require.Equal(t, []string{"Abha", "C"}, got.Names(), "AddLines(%q) adds the lines before %q only", b, bad)
	}
}

func TestGivenAddLinesAgreesOnAGeneratedFile(t *testing.T) {
	// 10,000 stations: many names of the same length (the short-name shortcut of the table must
	// keep them apart), some of 16 bytes or more.
	data := generated(t, 50_000, 10_000, 7)
	want := dp.NewTable()
	for line := range strings.SplitSeq(strings.TrimSuffix(string(data), "\n"), "\n") {
		name, tenths, ok := dp.ParseLine([]byte(line))
		require.True(t, ok, line)
		want.Add(name, tenths)
	}
	got := dp.NewTable()
	require.Equal(t, len(data), got.AddLines(data, int64(len(data))), "AddLines over a whole generated file")
	require.Equal(t, want.Len(), got.Len())
	require.Equal(t, contents(want), contents(got))
	require.True(t, slices.Equal(want.Names(), got.Names()), "the same station names, in the same order")
}

// collidingNames returns two names of 15 bytes with the same hash in the Table. It mirrors the hash
// of table.go (hashWord of the first eight bytes, then hashTail of the last seven: the same tail
// XOR the same mixed first word is the same hash); if that hash changes, the names stop colliding
// and the test below tests less, but stays right.
func collidingNames(t *testing.T) (string, string) {
	const k = 0x9E3779B97F4A7C15
	mix := func(w uint64) uint64 { h := w * k; return h ^ h>>32 }
	first := func(i int) uint64 { return binary.LittleEndian.Uint64(fmt.Appendf(nil, "Coll%04d", i)) }
	tail := uint64(0x41424344454647) // "GFEDCBA", little-endian
	for i := range 10_000 {
		for j := range i {
			other := tail ^ mix(first(i)) ^ mix(first(j))
			if other>>56 != 0 || bytes.ContainsAny(binary.LittleEndian.AppendUint64(nil, other)[:7], ";\n") {
				continue // the other tail must fit in seven bytes that a name may hold
			}
			a := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, first(i)), tail)[:15]
			b := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, first(j)), other)[:15]
			return string(a), string(b)
		}
	}
	t.Fatal("no colliding names found")
	return "", ""
}

func TestGivenAddLineNamesWithTheSameHash(t *testing.T) {
	a, b := collidingNames(t)
	tbl := dp.NewTable()
	for _, line := range []string{a + ";1.0\n", b + ";2.0\n", a + ";3.0\n"} {
		require.Equal(t, len(line), tbl.AddLine([]byte(line+strings.Repeat("z", 30))), "AddLine(%q)", line)
	}
	tbl.Add([]byte(b), 40)
	sa, _ := tbl.Lookup(a)
	sb, _ := tbl.Lookup(b)
	require.Equal(t, 2, tbl.Len(), "%q and %q are two stations, with the same hash: compare the names", a, b)
	require.Equal(t, dp.Stats{Min: 10, Max: 30, Sum: 40, Count: 2}, sa, "station %q", a)
	require.Equal(t, dp.Stats{Min: 20, Max: 40, Sum: 60, Count: 2}, sb, "station %q", b)
}
