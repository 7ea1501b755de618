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
	semi := bytes.IndexByte(line, ';')
	if semi < 1 || semi > MaxNameLen {
		return nil, 0, false
	}
	t := line[semi+1:]
	neg := len(t) > 0 && t[0] == '-'
	if neg {
		t = t[1:]
	}
	var v int64
	switch {
	case len(t) == 3 && digit(t[0]) && t[1] == '.' && digit(t[2]):
		v = int64(t[0]-'0')*10 + int64(t[2]-'0')
	case len(t) == 4 && digit(t[0]) && digit(t[1]) && t[2] == '.' && digit(t[3]):
		v = int64(t[0]-'0')*100 + int64(t[1]-'0')*10 + int64(t[3]-'0')
	default:
		return nil, 0, false
	}
	if neg {
		v = -v
	}
	return line[:semi], v, true
}

func digit(b byte) bool { return '0' <= b && b <= '9' }
