package grader

import "strconv"

// capBuf keeps at most the first head and the last tail bytes written to it, so a program that prints
// without end cannot exhaust the grader's memory. The bytes in between are counted, not kept.
type capBuf struct {
	head, tail []byte
	headMax    int
	tailMax    int
	dropped    int
}

func newCapBuf(headMax, tailMax int) *capBuf { return &capBuf{headMax: headMax, tailMax: tailMax} }

func (b *capBuf) WriteString(s string) {
	if n := b.headMax - len(b.head); n > 0 {
		if n > len(s) {
			n = len(s)
		}
		b.head = append(b.head, s[:n]...)
		s = s[n:]
	}
	if s == "" {
		return
	}
	b.tail = append(b.tail, s...)
	if over := len(b.tail) - b.tailMax; over > 0 {
		b.dropped += over
		b.tail = append(b.tail[:0], b.tail[over:]...)
	}
}

// String returns what was kept, marking the gap where bytes were dropped.
func (b *capBuf) String() string {
	if b == nil {
		return ""
	}
	if b.dropped == 0 {
		return string(b.head) + string(b.tail)
	}
	return string(b.head) + "\n[... " + strconv.Itoa(b.dropped) + " bytes of output left out ...]\n" + string(b.tail)
}
