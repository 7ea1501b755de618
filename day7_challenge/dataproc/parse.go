package dataproc

import "bytes"

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

// parseTenths parses the temperature at the start of b and the '\n' after it ("-23.4\n" gives
// -234 and 6): an optional '-', one or two digits, '.', one digit and '\n'. n is how many bytes
// that took, 0 if b does not start that way. It picks the shape with arithmetic rather than
// branches: the shapes come in random order, and a mispredicted branch costs more than the sums.
func parseTenths(b []byte) (tenths int64, n int) {
	neg := b2i(len(b) > 0 && b[0] == '-')
	b = b[neg:]
	two := b2i(len(b) > 1 && b[1] != '.') // 1 if two digits before the '.'
	if len(b) < 4+two || !digit(b[0]) || !digit(b[two]) || b[1+two] != '.' || !digit(b[2+two]) || b[3+two] != '\n' {
		return 0, 0
	}
	// One digit: b[0]*10 + b[2]; two: b[0]*100 + b[1]*10 + b[3] (b[two] is b[0] when two is 0).
	v := int64(b[0]-'0')*int64(10+90*two) + int64(b[two]-'0')*int64(10*two) + int64(b[2+two]-'0')
	sign := -int64(neg) // 0 or -1: v^sign - sign is v or -v
	return v ^ sign - sign, neg + two + 4
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
