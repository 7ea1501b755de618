package dataproc

import "io"

// ScanChunk adds every line that starts in the chunk c of r to t (see Chunk): if c.Off > 0 it
// skips to the first line that starts at or after c.Off, and it reads past c.End to finish the
// last line that starts before c.End. The last line of the file may lack its '\n'. It stops at the
// first malformed line and returns NewLineError with that line's offset in the file.
func ScanChunk(r io.ReaderAt, c Chunk, t *Table) error {
	// TODO: read the chunk with ReadAt into a buffer of your own, large reads (up to 1 MiB), no
	// bigger than the chunk needs (c.End-c.Off plus a line: tests cut tiny files into thousands of
	// tiny chunks). Keep pos, the file offset of buf[0], and buf[i:n], the bytes not used yet.
	// Faster, for a file: if m, unmap, ok := MapFile(r, pos); ok, then m is the rest of the file
	// already (defer unmap()): scan it as one buffer that ends at the end of the file, no reads.
	//  1. Whether a line starts at c.Off depends on the byte BEFORE it: start reading at c.Off-1
	//     (when c.Off > 0) and throw away everything up to and including the first '\n'. (A line
	//     that starts exactly at c.Off then survives; one that started earlier is the chunk before's.)
	//  2. Then take lines while the line's first byte (pos+i) is before c.End, even if the line
	//     itself ends after c.End. The fast path takes all it can in one call:
	//     i += t.AddLines(buf[i:n], c.End-pos-int64(i)) adds the whole, well-formed lines that
	//     start before c.End, and stops at the first it does not take.
	//  3. Where it stopped, look at the line yourself (bytes.IndexByte for its '\n'): no '\n' and
	//     not at the end of the file, move the partial line to the front of buf and read more after
	//     it (a line that fills the whole buffer is malformed); the file's last line may end at EOF
	//     without a '\n'. ParseLine it: on !ok return NewLineError(offset of the line's first byte
	//     IN THE FILE, line); else t.Add(name, tenths).
	// (A bufio.Reader over io.NewSectionReader(r, start, math.MaxInt64-start) with ReadSlice('\n'),
	// ParseLine and t.Add per line is just as correct and shorter, but slower.)
	panic("TODO: implement ScanChunk (day7_challenge/dataproc)")
}
