package dataproc

import "io"

// ScanChunk adds every line that starts in the chunk c of r to t (see Chunk): if c.Off > 0 it
// skips to the first line that starts at or after c.Off, and it reads past c.End to finish the
// last line that starts before c.End. The last line of the file may lack its '\n'. It stops at the
// first malformed line and returns NewLineError with that line's offset in the file.
func ScanChunk(r io.ReaderAt, c Chunk, t *Table) error {
	// TODO: read the chunk with large reads, not a byte at a time: a bufio.NewReaderSize over
	// io.NewSectionReader(r, start, math.MaxInt64-start) reads on past c.End by itself, and its
	// ReadSlice('\n') returns each line without copying it. Keep pos, the file offset of the next
	// byte you read.
	//  1. Whether a line starts at c.Off depends on the byte BEFORE it: start reading at c.Off-1
	//     (when c.Off > 0) and throw away everything up to and including the first '\n'. (A line
	//     that starts exactly at c.Off then survives; one that started earlier is the chunk before's.)
	//  2. Then take lines while the line's first byte (pos) is before c.End, even if the line
	//     itself ends after c.End. The file's last line may end at EOF without a '\n'.
	//  3. For each line (without its '\n'): ParseLine; on !ok return NewLineError(offset of the
	//     line's first byte IN THE FILE, line); else t.Add(name, tenths).
	// Keep the buffer at most about 1 MiB, and no bigger than the chunk needs (c.End-c.Off plus a
	// line): tests cut tiny files into thousands of tiny chunks.
	panic("TODO: implement ScanChunk (day7_challenge/dataproc)")
}
