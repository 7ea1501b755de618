// Mutant: any ReadAt error is taken as the end of the file, so an I/O error silently truncates the result

package dataproc

import (
	"bytes"
	"io"
)

// maxScanBuf is the largest read buffer ScanChunk uses: reads of 1 MiB make the cost of each ReadAt
// call negligible.
const maxScanBuf = 1 << 20

// ScanChunk adds every line that starts in the chunk c of r to t (see Chunk): if c.Off > 0 it
// skips to the first line that starts at or after c.Off, and it reads past c.End to finish the
// last line that starts before c.End. The last line of the file may lack its '\n'. It stops at the
// first malformed line and returns NewLineError with that line's offset in the file.
func ScanChunk(r io.ReaderAt, c Chunk, t *Table) error {
	// Read from one byte early: a line starts at c.Off only if the byte before it is a '\n', so
	// when c.Off > 0 the first "line" read (up to the first '\n') belongs to the chunk before.
	pos := max(c.Off-1, 0) // the file offset of buf[0]
	skip := c.Off > 0
	var buf []byte
	n, eof := 0, false // buf[:n] holds data; eof: nothing more after it

	// A file is mapped: its rest is scanned in place, without a copy. Any other reader is read
	// into a buffer of our own.
	if m, unmap, ok := MapFile(r, pos); ok {
		defer unmap()
		buf, n, eof = m, len(m), true
	} else {
		buf = make([]byte, min(maxScanBuf, c.End-pos+MaxLineLen+2))
	}
	for i := 0; ; {
		if !skip { // the fast path: the whole, well-formed lines that start before c.End
			i += t.AddLines(buf[i:n], c.End-pos-int64(i))
		}
		// Where AddLines stopped: the end of the chunk, a line cut by the end of buf, the file's
		// last line without its '\n', or a malformed line. Look at that line the plain way.
		j := bytes.IndexByte(buf[i:n], '\n')
		if j < 0 && !eof { // no whole line left: keep the partial one and read more after it
			n = copy(buf, buf[i:n])
			pos += int64(i)
			i = 0
			if n == len(buf) { // a line longer than the buffer
				if !skip {
					return NewLineError(pos, buf[:n])
				}
				pos, n = pos+int64(n), 0 // still in the line the chunk before owns
			}
			m, err := r.ReadAt(buf[n:], pos+int64(n))
			n += m
			if err != nil {
				eof = true
			} else if err != nil {
				return err
			}
			continue
		}
		off := pos + int64(i) // where this line starts in the file
		if j < 0 {            // the last line of the file, without its '\n'
			j = n - i
		}
		line := buf[i : i+j]
		i += j + 1
		switch {
		case skip:
			skip = false
		case off >= c.End || len(line) == 0 && i > n:
			return nil // the next chunk's line, or the end of the file
		default:
			name, tenths, ok := ParseLine(line)
			if !ok {
				return NewLineError(off, line)
			}
			t.Add(name, tenths)
		}
		if i > n {
			return nil // that was the last line of the file
		}
	}
}
