package dataproc

import (
	"bytes"
	"encoding/binary"
	"iter"
	"math/bits"
	"slices"
)

// Stats are one station's measurements: the lowest and highest temperature, their sum and how many
// there were, all in tenths of a degree. The mean is Sum/Count, computed only at the end: a mean of
// means is wrong as soon as two parts have different counts.
type Stats struct {
	Min, Max   int64
	Sum, Count int64
}

// Add records one measurement. On Stats with Count == 0 (a station seen for the first time), it
// sets Min and Max to the value rather than comparing with the zero they hold.
func (s *Stats) Add(tenths int64) {
	if s.Count == 0 {
		s.Min, s.Max = tenths, tenths
	} else {
		s.Min = min(s.Min, tenths)
		s.Max = max(s.Max, tenths)
	}
	s.Sum += tenths
	s.Count++
}

// Mean is the mean in tenths, rounded as the challenge rounds (Java's Math.round on tenths): to the
// nearest tenth, and a half up, toward positive infinity (-1.25 gives -1.2, 1.25 gives 1.3).
func (s Stats) Mean() int64 {
	if s.Count == 0 {
		return 0
	}
	// floor(Sum/Count + 1/2) = floor((2*Sum + Count) / (2*Count)).
	return floorDiv(2*s.Sum+s.Count, 2*s.Count)
}

// floorDiv is a/b rounded toward negative infinity, for b > 0 (Go's / truncates toward zero).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Table maps station names to their Stats. It is an open-addressing hash table (linear probing on a
// 64-bit hash of the name) made for the hot loop: looking up a station that is already in it
// allocates nothing. A Table is NOT safe for concurrent use: give every worker its own.
type Table struct {
	slots []slot // len is a power of two; a slot with name == "" is empty
	n     int    // stations in the table
}

type slot struct {
	hash  uint64
	name  string
	stats Stats
}

const initialSlots = 1 << 12

// concurrentUse is the panic of a Table found corrupted: a lookup never passes more full slots than
// the table has stations, unless several goroutines changed the table at once.
const concurrentUse = "dataproc: Table corrupted: it was used by several goroutines at once " +
	"(a Table is not safe for concurrent use: give every worker its own)"

// NewTable returns an empty Table.
func NewTable() *Table {
	return &Table{slots: make([]slot, initialSlots)}
}

// Get returns the Stats of the station name, adding the station with zero Stats (Count == 0) if it
// is not in the table yet. The pointer is valid until the next call to Get, Add, AddLine or
// AddLines on t. name is copied when the station is added, so the caller may reuse its bytes. Names
// are never empty.
func (t *Table) Get(name []byte) *Stats {
	return t.get(hash(name), name)
}

// get is Get with the hash of name already computed.
func (t *Table) get(h uint64, name []byte) *Stats {
	mask := uint64(len(t.slots) - 1)
	for i, probes := h&mask, 0; ; i, probes = (i+1)&mask, probes+1 {
		if probes > t.n { // more slots in a row than stations: impossible, unless raced
			panic(concurrentUse)
		}
		s := &t.slots[i]
		// A name of at most 8 bytes needs no comparison of bytes: its hash is one-to-one (a
		// multiply by an odd number and an xorshift, see hash), so the same hash and length are
		// the same name.
		if s.hash == h && len(s.name) == len(name) && (len(name) <= 8 || s.name == string(name)) {
			return &s.stats
		}
		if s.name == "" {
			if 2*(t.n+1) > len(t.slots) {
				t.grow()
				return t.get(h, name)
			}
			s.hash, s.name = h, string(name)
			t.n++
			return &s.stats
		}
	}
}

// Add records the measurement tenths for the station name: t.Get(name).Add(tenths).
func (t *Table) Add(name []byte, tenths int64) {
	t.Get(name).Add(tenths)
}

// AddLine adds the line at the start of b to t and returns its length with its '\n': for a
// well-formed line (see ParseLine) followed by '\n' it is
//
//	name, tenths, _ := ParseLine(b[:n-1]); t.Add(name, tenths)
//
// in one forward pass. It returns 0 and leaves t unchanged if b does not start with a well-formed
// line and its '\n': the line is malformed, or b ends before the line's '\n' (ParseLine on the
// bytes up to the '\n', if any, tells which). Like Add it allocates only for a new station.
func (t *Table) AddLine(b []byte) int {
	return t.AddLines(b, 1)
}

// AddLines adds the lines of b that start before byte before of b to t, one by one as AddLine
// does, and returns how many bytes of b they took: it stops at the first line that starts at or
// after before, or that AddLine would not take (so b[result:] starts with that line).
//
// It is made for the hot loop of a scan, and for names shorter than 16 bytes (as good as all real
// ones): it reads a line's first 16 bytes as two words, finds the ';' in them and hashes the name
// (the hash the table keys its slots by) with arithmetic instead of branches, then parses the
// temperature from the next eight bytes, which tells where the '\n' is. A longer name, and a line
// in the last 24 bytes of b, take the plain way: IndexByte, ParseLine, Add.
func (t *Table) AddLines(b []byte, before int64) int {
	i := 0
	for int64(i) < before {
		line := b[i:]
		var w0, w1, f0, f1 uint64
		if len(line) >= 24 {
			w0, w1 = binary.LittleEndian.Uint64(line), binary.LittleEndian.Uint64(line[8:])
			f0, f1 = nameEnds(w0), nameEnds(w1)
		}
		if f0|f1 == 0 { // near the end of b, or a name of 16 bytes or more
			n := t.addParsed(line)
			if n == 0 {
				break
			}
			i += n
			continue
		}
		// The first ';' or '\n' is byte end0 of w0, or if there is none (end0 == 8), byte end1 of w1.
		end0, end1 := bits.TrailingZeros64(f0)/8, bits.TrailingZeros64(f1)/8
		long := uint64(b2i(f0 == 0)) // 1 if the name goes on into w1
		k := end0 + end1*int(long)   // the name is line[:k]
		if k == 0 || line[k] != ';' {
			break // an empty name, or a '\n' before any ';'
		}
		// hash(line[:k]): a name of 8 bytes or more is hashWord(w0) then hashTail of its rest in
		// w1; a shorter one is hashTail of w0's first k bytes. all is all ones for the first, 0
		// otherwise (and a shift by 64 bits gives 0 in Go).
		all := -long
		tail := w0&(1<<(8*end0)-1)&^all | w1&(1<<(8*end1)-1)&all
		h := hashTail(hashWord(0, w0)&all, tail)
		tenths, n := parseTenths(binary.LittleEndian.Uint64(line[k+1:])) // k <= 15: 8 bytes are there
		if n == 0 {
			break
		}
		t.get(h, line[:k]).Add(tenths)
		i += k + 1 + n
	}
	return i
}

// addParsed is AddLine the plain way: find the '\n', ParseLine, Add.
func (t *Table) addParsed(b []byte) int {
	j := bytes.IndexByte(b, '\n')
	if j < 0 {
		return 0
	}
	name, tenths, ok := ParseLine(b[:j])
	if !ok {
		return 0
	}
	t.Add(name, tenths)
	return j + 1
}

// nameEnds flags the bytes of the word w that end a name, ';' and '\n': the high bit of each is set
// in the result, and the lowest flag is the first of them (bits.TrailingZeros64/8 is its index, 8
// if there is none). It is the classic "has a zero byte" trick on w^';' and w^'\n' in every byte: a
// zero byte borrows when 1 is subtracted and gets its high bit set; bytes above the first zero may
// be flagged too, which is why only the lowest flag counts.
func nameEnds(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	s, nl := w^(ones*';'), w^(ones*'\n')
	return ((s-ones)&^s | (nl-ones)&^nl) & highs
}

// Lookup returns the Stats of the station name, and whether it is in the table.
func (t *Table) Lookup(name string) (Stats, bool) {
	h := hash([]byte(name))
	mask := uint64(len(t.slots) - 1)
	for i, probes := h&mask, 0; ; i, probes = (i+1)&mask, probes+1 {
		if probes > t.n { // more slots in a row than stations: impossible, unless raced
			panic(concurrentUse)
		}
		s := &t.slots[i]
		if s.name == "" {
			return Stats{}, false
		}
		if s.hash == h && s.name == name {
			return s.stats, true
		}
	}
}

// Len reports how many stations are in the table.
func (t *Table) Len() int { return t.n }

// All yields every station and its Stats, in no particular order. The table must not be changed
// while All runs.
func (t *Table) All() iter.Seq2[string, Stats] {
	return func(yield func(string, Stats) bool) {
		for i := range t.slots {
			if s := &t.slots[i]; s.name != "" && !yield(s.name, s.stats) {
				return
			}
		}
	}
}

// Names returns the names of every station, sorted by their bytes.
func (t *Table) Names() []string {
	names := make([]string, 0, t.n)
	for name := range t.All() {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// grow doubles the number of slots and re-inserts every station.
func (t *Table) grow() {
	old := t.slots
	t.slots = make([]slot, 2*len(old))
	mask := uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.name == "" {
			continue
		}
		i := s.hash & mask
		for probes := 0; t.slots[i].name != ""; probes++ {
			if probes > t.n { // as in Get: only another goroutine changing the table gets here
				panic(concurrentUse)
			}
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// hash mixes the name eight bytes at a time (a multiply-xorshift on little-endian words): in the hot
// loop it costs a few nanoseconds for a typical name. It is hashWord for every whole word of the
// name, then hashTail for the rest (zero to seven bytes, the missing ones zero), which AddLines
// computes from the line's first two words without looking for the ';' first.
func hash(b []byte) uint64 {
	var h uint64
	for ; len(b) >= 8; b = b[8:] {
		h = hashWord(h, binary.LittleEndian.Uint64(b))
	}
	var tail uint64
	if len(b) > 0 && cap(b) >= 8 {
		// The bytes after the name (its ';' and temperature, in a line) are in the same array:
		// load eight and keep the name's. The result is the same as the loop's below.
		tail = binary.LittleEndian.Uint64(b[:8]) & (1<<(8*len(b)) - 1)
	} else {
		for i, c := range b {
			tail |= uint64(c) << (8 * i)
		}
	}
	return hashTail(h, tail)
}

const hashK = 0x9E3779B97F4A7C15 // 2^64 divided by the golden ratio: odd, with well-mixed bits

// hashWord mixes eight bytes of a name into h.
func hashWord(h, w uint64) uint64 {
	h = (h ^ w) * hashK
	return h ^ h>>32
}

// hashTail mixes the last, partial word of a name into h and finishes the hash.
func hashTail(h, tail uint64) uint64 {
	h = (h ^ tail) * hashK
	return h ^ h>>29
}
