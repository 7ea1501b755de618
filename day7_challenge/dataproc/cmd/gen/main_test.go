package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGen(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"-rows", "5", "-stations", "3", "-seed", "9"}, &out, &errOut))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	assert.Len(t, lines, 5)
	for _, l := range lines {
		assert.Regexp(t, `^[^;]+;-?\d{1,2}\.\d$`, l)
	}
	path := filepath.Join(t.TempDir(), "m.txt")
	require.Equal(t, 0, run([]string{"-rows", "5", "-stations", "3", "-seed", "9", "-o", path}, &bytes.Buffer{}, &errOut))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, out.String(), string(data), "the same flags give the same bytes")
	assert.Contains(t, errOut.String(), "gen: 5 rows")

	errOut.Reset()
	assert.Equal(t, 0, run([]string{"-h"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "Usage: gen")
	assert.Equal(t, 2, run([]string{"-stations", "0"}, &out, &errOut))
}
