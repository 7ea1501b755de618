package main

// Tests of the command's own parts. They do not process a file: on the course's stubs that would
// panic with the TODO (`make test` runs these tests on the stubs).

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, 0, run([]string{"-h"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "Usage: dataproc [flags] FILE")
	assert.Contains(t, errOut.String(), "-procs")
	errOut.Reset()
	assert.Equal(t, 2, run(nil, &out, &errOut), "no file is a usage error")
	assert.Equal(t, 2, run([]string{"-nope", "x"}, &out, &errOut), "an unknown flag is a usage error")
	errOut.Reset()
	assert.Equal(t, 1, run([]string{filepath.Join(t.TempDir(), "missing.txt")}, &out, &errOut))
	assert.Contains(t, errOut.String(), "no such file")
	assert.Empty(t, out.String())
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, 200<<20, false)
	p.add(50 << 20)
	assert.True(t, strings.HasPrefix(p.line(), "dataproc:  25.0%  50.0 MiB of 200.0 MiB"), p.line())
	assert.True(t, strings.HasSuffix(p.line(), "\n"))
	tty := newProgress(&b, 0, true)
	assert.True(t, strings.HasPrefix(tty.line(), "\rdataproc: 100.0%"), "a terminal's line is rewritten in place: %q", tty.line())
	p.start()
	p.stop()
	p.stop() // twice is fine
	assert.Equal(t, "3 B", bytesText(3))
	assert.Equal(t, "1.5 KiB", bytesText(1536))
	assert.Equal(t, "2.0 GiB", bytesText(2<<30))
}
