package given

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	dp "github.com/gocourse/week11/day7_challenge/dataproc"
	"github.com/stretchr/testify/require"
)

func TestGivenMapFile(t *testing.T) {
	data := bytes.Repeat([]byte("Abha;-23.4\nBulawayo;8.9\n"), 1000) // several pages
	path := filepath.Join(t.TempDir(), "m.txt")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()

	_, _, ok := dp.MapFile(bytes.NewReader(data), 0)
	require.False(t, ok, "MapFile maps files only: another io.ReaderAt is read with ReadAt")
	for _, off := range []int64{int64(len(data)), int64(len(data)) + 5} {
		_, _, ok := dp.MapFile(f, off)
		require.False(t, ok, "MapFile(f, %d) of a file of %d bytes: nothing left to map", off, len(data))
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		_, _, ok := dp.MapFile(f, 0)
		require.False(t, ok, "no mmap on %s", runtime.GOOS)
		return
	}
	for _, off := range []int64{0, 1, 4095, 4096, 4097, 10000, int64(len(data)) - 1} {
		m, unmap, ok := dp.MapFile(f, off)
		require.True(t, ok, "MapFile(f, %d)", off)
		require.Equal(t, data[off:], m, "MapFile(f, %d) gives the file's bytes from %d to its end", off, off)
		require.NoError(t, unmap(), "unmap after MapFile(f, %d)", off)
	}
}
