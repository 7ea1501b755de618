// Mutant: the chunk is read only up to End, so the line that crosses End is cut in two

package dataproc

import (
	"bufio"
	"errors"
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
	// Start one byte early: a line starts at c.Off only if the byte before it is a '\n'.
	pos := max(c.Off-1, 0)
	size := min(maxScanBuf, c.End-pos+MaxLineLen+2)
	br := bufio.NewReaderSize(io.NewSectionReader(r, pos, c.End-pos), int(size))
	if c.Off > 0 {
		for { // skip the end of the line the chunk before owns (only its '\n' if one starts at c.Off)
			skipped, err := br.ReadSlice('\n')
			pos += int64(len(skipped))
			if err == io.EOF {
				return nil
			}
			if err == nil {
				break
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				return err
			}
		}
	}
	for pos < c.End {
		line, err := br.ReadSlice('\n')
		if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
		if len(line) == 0 {
			return nil // the end of the file, right after a '\n'
		}
		off := pos
		pos += int64(len(line))
		if err == nil {
			line = line[:len(line)-1]
		}
		name, tenths, ok := ParseLine(line)
		if !ok || errors.Is(err, bufio.ErrBufferFull) {
			return NewLineError(off, line)
		}
		t.Add(name, tenths)
		if err == io.EOF {
			return nil
		}
	}
	return nil
}
