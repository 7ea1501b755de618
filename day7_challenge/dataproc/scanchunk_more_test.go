package dataproc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestScanChunkSkippedLineEndsWithTheFirstRead(t *testing.T) {
	// A chunk that starts inside a line longer than any read buffer (the chunk before's, and
	// malformed), whose '\n' is the last byte of the chunk's first read: the buffer is used up
	// exactly, but the file goes on, and so do the chunk's own lines. Tried for the usual buffer
	// sizes, up to the 1 MiB the tips suggest.
	const long = 1<<20 + 1000
	lines := strings.Repeat("Aa;1.0\nBb;-2.5\nCc;33.3\n", 400)
	data := []byte("Zz;0.1\n" + strings.Repeat("x", long) + "\n" + lines)
	nl := int64(bytes.IndexByte(data[7:], '\n') + 7) // the long line's '\n'
	want, _ := reference([]byte(lines))
	for _, size := range []int64{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 256 << 10, 1 << 20} {
		c := Chunk{Off: nl - size + 2, End: int64(len(data))} // reads start at Off-1, so the '\n' is byte size-1
		tbl := NewTable()
		require.NoError(t, ScanChunk(bytes.NewReader(data), c, tbl), "ScanChunk(%+v): the malformed line is the chunk before's", c)
		requireSame(t, want, tbl, fmt.Sprintf("ScanChunk(%+v), a chunk that starts inside a line of %d bytes whose '\\n' is byte %d "+
			"from Off-1 (the end of a %d-byte read: the file does not end there, read on)", c, long, size-1, size))
	}
}
