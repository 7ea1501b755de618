//go:build unix

package framing

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/require"
)

func TestEchoChildOverUnixSocket(t *testing.T) {
	coursetest.CheckLeaks(t)
	dir, err := os.MkdirTemp("", "fr") // short: Unix socket paths are limited to about 104 bytes
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	defer ln.Close()

	bin, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(bin, helperRole, "unix", sock)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	var c net.Conn
	if !coursetest.Within(t, func() { c, err = ln.Accept() }, "the child never connected to the socket") {
		ln.Close()
		return
	}
	require.NoError(t, err)
	defer c.Close()
	uc := c.(*net.UnixConn)
	echoes(t, NewConn(uc, uc, testLimit), closeWriter{uc}, "a child process that echoes over a Unix socket")
}

// closeWriter closes only the sending half of a Unix socket, so that the peer sees the end of its
// input while its echoes can still come back.
type closeWriter struct{ c *net.UnixConn }

func (w closeWriter) Close() error { return w.c.CloseWrite() }
