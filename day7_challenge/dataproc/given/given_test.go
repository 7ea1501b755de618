// Package given tests the given files of the dataproc capstone (parse.go, table.go, format.go,
// gen.go, worker.go, dataproc.go, mmap_*.go). They pass on the stub too, so they live outside the exercise's
// own package, whose every test must fail on the stub; `make test` runs them.
package given

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	dp "github.com/gocourse/week11/day7_challenge/dataproc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func generated(t *testing.T, rows, stations int, seed uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, dp.Generate(&b, rows, stations, seed))
	return b.Bytes()
}

func tableOf(values map[string][]int64) *dp.Table {
	t := dp.NewTable()
	for name, vs := range values {
		for _, v := range vs {
			t.Add([]byte(name), v)
		}
	}
	return t
}

func TestGivenParseLine(t *testing.T) {
	good := map[string]int64{"A;0.0": 0, "A;-0.0": 0, "Abha;-23.4": -234, "X;99.9": 999, "X;-99.9": -999, "X;5.5": 55,
		strings.Repeat("n", 100) + ";1.0": 10, "Zürich;12.3": 123, "a b;1.2": 12}
	for line, want := range good {
		name, v, ok := dp.ParseLine([]byte(line))
		require.True(t, ok, "dp.ParseLine(%q)", line)
		assert.Equal(t, want, v, "dp.ParseLine(%q)", line)
		assert.Equal(t, line[:strings.IndexByte(line, ';')], string(name), "dp.ParseLine(%q)", line)
	}
	for _, line := range []string{"", ";1.0", "A", "A;", "A;1", "A;1.", "A;.5", "A;1.23", "A;123.4", "A;+1.0", "A;1e1",
		"A;1.0\r", "A;1.0 ", "A;;1.0", "A;-", "A;--1.0", "A;1,0", strings.Repeat("n", 101) + ";1.0"} {
		_, _, ok := dp.ParseLine([]byte(line))
		assert.False(t, ok, "dp.ParseLine(%q) should reject it", line)
	}
	// Agrees with strconv on every line of a generated file.
	for line := range strings.SplitSeq(strings.TrimSpace(string(generated(t, 2000, 200, 21))), "\n") {
		_, v, ok := dp.ParseLine([]byte(line))
		f, err := strconv.ParseFloat(line[strings.IndexByte(line, ';')+1:], 64)
		require.True(t, ok && err == nil && strconv.FormatFloat(f*10, 'f', 0, 64) == strconv.FormatInt(v, 10),
			"dp.ParseLine(%q) = %d, %v; strconv says %v, %v", line, v, ok, f, err)
	}
}

func TestGivenStatsMeanRoundsLikeTheChallenge(t *testing.T) {
	cases := []struct{ sum, count, want int64 }{
		{-25, 2, -12}, {25, 2, 13}, {-1, 2, 0}, {1, 2, 1}, {-1, 3, 0}, {-2, 3, -1}, {10, 3, 3}, {-10, 3, -3},
		{-5, 4, -1}, {7, 1, 7}, {0, 5, 0}, {-999, 1, -999},
	}
	for _, c := range cases {
		s := dp.Stats{Sum: c.sum, Count: c.count}
		assert.Equal(t, c.want, s.Mean(), "mean of sum %d over %d (tenths)", c.sum, c.count)
	}
}

func TestGivenFormat(t *testing.T) {
	tbl := dp.NewTable()
	for _, m := range []struct {
		name string
		v    int64
	}{{"b", -5}, {"a", 0}, {"b", 4}, {"Z", -999}, {"ü", 999}, {"c", -1}, {"c", 0}} {
		tbl.Add([]byte(m.name), m.v)
	}
	assert.Equal(t, "{Z=-99.9/-99.9/-99.9, a=0.0/0.0/0.0, b=-0.5/0.0/0.4, c=-0.1/0.0/0.0, ü=99.9/99.9/99.9}\n", dp.Format(tbl))
	assert.Equal(t, "{}\n", dp.Format(dp.NewTable()))
	var b bytes.Buffer
	require.NoError(t, dp.WriteResult(&b, tbl))
	assert.Equal(t, dp.Format(tbl), b.String())
}

func TestGivenTable(t *testing.T) {
	tbl := dp.NewTable()
	for i := range 5000 { // grows several times
		name := []byte(fmt.Sprintf("station-%d", i%2500))
		tbl.Add(name, int64(i%100-50))
		name[0] = 'X' // the table copied the name
	}
	require.Equal(t, 2500, tbl.Len())
	s, ok := tbl.Lookup("station-7")
	require.True(t, ok)
	assert.Equal(t, dp.Stats{Min: -43, Max: -43, Sum: -86, Count: 2}, s)
	_, ok = tbl.Lookup("Xtation-7")
	assert.False(t, ok)
	assert.Len(t, tbl.Names(), 2500)
	n := 0
	for range tbl.All() {
		n++
	}
	assert.Equal(t, 2500, n)
	assert.Zero(t, testing.AllocsPerRun(100, func() { tbl.Add([]byte("station-9"), 1) }), "adding to a known station allocates nothing")
}

func TestGivenSplit(t *testing.T) {
	assert.Empty(t, dp.Split(0, 10))
	assert.Equal(t, []dp.Chunk{{Off: 0, End: 4}, {Off: 4, End: 8}, {Off: 8, End: 10}}, dp.Split(10, 4))
	assert.Equal(t, []dp.Chunk{{Off: 0, End: 1}, {Off: 1, End: 2}}, dp.Split(2, 0))
	assert.Equal(t, []dp.Chunk{{Off: 0, End: 4}, {Off: 4, End: 8}, {Off: 8, End: 10}}, dp.SplitN(10, 3))
	assert.Equal(t, []dp.Chunk{{Off: 0, End: 1}, {Off: 1, End: 2}}, dp.SplitN(2, 5))
}

func TestGivenGenerateIsDeterministic(t *testing.T) {
	a, b := generated(t, 5000, 100, 42), generated(t, 5000, 100, 42)
	require.Equal(t, a, b, "the same seed gives the same file")
	require.NotEqual(t, a, generated(t, 5000, 100, 43), "another seed gives another file")
	names := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSuffix(string(a), "\n"), "\n") {
		name, _, ok := dp.ParseLine([]byte(line))
		require.True(t, ok, "generated line %q is malformed", line)
		names[string(name)] = true
	}
	assert.Len(t, names, 100)
	assert.Equal(t, 5000, bytes.Count(a, []byte{'\n'}))
	assert.Len(t, dp.StationNames(10000, 1), 10000)
}

func TestGivenPartialRoundTrip(t *testing.T) {
	tbl := tableOf(map[string][]int64{"A": {1, -2, 3}, "Bé": {-999}})
	var b bytes.Buffer
	require.NoError(t, dp.WritePartial(&b, tbl, nil))
	got, err := dp.ReadPartial(b.Bytes())
	require.NoError(t, err)
	assert.Equal(t, dp.Format(tbl), dp.Format(got))

	b.Reset()
	require.NoError(t, dp.WritePartial(&b, tbl, &dp.LineError{Offset: 17, Text: "oops"}))
	_, err = dp.ReadPartial(b.Bytes())
	le, ok := errors.AsType[*dp.LineError](err)
	require.True(t, ok, "a partial with a malformed line gives its *dp.LineError: %v", err)
	assert.Equal(t, dp.LineError{Offset: 17, Text: "oops"}, *le)

	for _, bad := range []string{"", "{", "null", `{"stations":[]} {}`, `{"stations":[{"name":"","Count":1}]}`, `{"stations":[{"name":"A","Count":0}]}`, `{"x":1}`} {
		_, err := dp.ReadPartial([]byte(bad))
		assert.Error(t, err, "dp.ReadPartial(%q)", bad)
	}
}

func TestGivenTableFindsNamesWhateverTheirBackingArray(t *testing.T) {
	// The hash reads past a short name when the slice's capacity allows: a name cut from a line
	// and the same name on its own must be the same station.
	tbl := dp.NewTable()
	for _, line := range []string{"Ab;1.0", "Abcdefgh;2.0", "Abcdefghi;3.0", "A;4.0"} {
		name, v, ok := dp.ParseLine([]byte(line))
		require.True(t, ok)
		long := append([]byte(line), "\nZZZZZZZZZZZZ"...)
		tbl.Add(long[:len(name)], v)
		tbl.Add([]byte(string(name)), v) // capacity == length
	}
	require.Equal(t, 4, tbl.Len())
	for _, n := range []string{"Ab", "Abcdefgh", "Abcdefghi", "A"} {
		s, ok := tbl.Lookup(n)
		require.True(t, ok, n)
		assert.EqualValues(t, 2, s.Count, "%s: the same name through two slices is one station", n)
	}
}
