// Mutant: a chunk that starts inside a line does not skip it, so the chunk before and this one both take a piece of it

package dataproc

import (
	"bufio"
	"errors"
	"io"
	"math"
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
	pos := c.Off
	size := min(maxScanBuf, c.End-pos+MaxLineLen+2)
	br := bufio.NewReaderSize(io.NewSectionReader(r, pos, math.MaxInt64-pos), int(size))
	if false {
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
