package dataproc

import (
	"bytes"
	"math/bits"
)

// MaxNameLen is the longest station name a line may have, in bytes (the challenge's rule).
const MaxNameLen = 100

// MaxLineLen is the longest well-formed line, without its newline: a name of MaxNameLen bytes, ';'
// and "-99.9".
const MaxLineLen = MaxNameLen + 6

// ParseLine splits one line (without its '\n') into the station name and the temperature in
// tenths of a degree: "Abha;-23.4" gives "Abha" and -234. A well-formed line is a name of 1 to
// MaxNameLen bytes without ';', then ';', then a temperature: an optional '-', one or two digits, '.'
// and exactly one digit. ok is false for anything else (an empty line, a missing ';', "1.23", "1e3",
// a trailing '\r' or space).
//
// name aliases line: copy it to keep it. ParseLine does not allocate.
func ParseLine(line []byte) (name []byte, tenths int64, ok bool) {
	// The temperature is at the end and has few shapes: read it backwards, then the ';' before it.
	n := len(line)
	if n < 5 || line[n-2] != '.' || !digit(line[n-1]) || !digit(line[n-3]) {
		return nil, 0, false
	}
	v := int64(line[n-3]-'0')*10 + int64(line[n-1]-'0')
	i := n - 4
	if digit(line[i]) {
		v += int64(line[i]-'0') * 100
		i--
	}
	if line[i] == '-' {
		v = -v
		i--
	}
	if i < 1 || line[i] != ';' || i > MaxNameLen || bytes.IndexByte(line[:i], ';') >= 0 {
		return nil, 0, false
	}
	return line[:i], v, true
}

func digit(b byte) bool { return '0' <= b && b <= '9' }

// parseTenths parses the temperature and its '\n' at the start of w, eight bytes of a line read as a
// little-endian word (the first byte is the lowest): an optional '-', one or two digits, '.', one
// digit and '\n' ("-23.4\n" gives -234 and 6). n is how many bytes that took, 0 if w does not start
// that way. It finds the shape with arithmetic rather than branches (the shapes come in random
// order, and a mispredicted branch costs more than the sums). In a well-formed temperature the '.'
// is byte 1, 2 or 3, and the first of those three bytes without the 0x10 bit that every digit has
// (anything else found there fails the checks below). Shifting w to move it to byte 3 puts the
// digits at bytes 1 (the tens, if any), 2 and 4.
func parseTenths(w uint64) (tenths int64, n int) {
	dot := bits.TrailingZeros64(^w&0x10101000) / 8 // 8 if none
	neg := b2i(byte(w) == '-')
	two := dot - neg - 1 // 1 if two digits before the '.', 0 if one
	if dot > 3 || uint(two) > 1 {
		return 0, 0
	}
	x := w << (8 * (3 - dot))
	tens, units, tenth := byte(two)*(byte(x>>8)-'0'), byte(x>>16)-'0', byte(x>>32)-'0'
	if tens > 9 || units > 9 || tenth > 9 || byte(x>>24) != '.' || byte(x>>40) != '\n' {
		return 0, 0
	}
	v := int64(tens)*100 + int64(units)*10 + int64(tenth)
	sign := -int64(neg) // 0 or -1: v^sign - sign is v or -v
	return v ^ sign - sign, dot + 3
}

// b2i is 1 for true and 0 for false (the compiler makes it a flag, not a branch).
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
