package framing

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Child processes are the test binary itself, started with helperRole as its first argument.
const helperRole = "framing-helper"

// testLimit is the largest frame the tests' Conns accept.
const testLimit = 16 << 20

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == helperRole {
		os.Exit(helperMain(os.Args[2], os.Args[3:]))
	}
	goleak.VerifyTestMain(m)
}

// helperMain echoes every frame it receives, over stdin/stdout ("stdio") or over a Unix socket
// ("unix PATH"), with the Conn under test, until its input ends.
func helperMain(role string, args []string) int {
	var r io.Reader
	var w io.Writer
	switch role {
	case "stdio":
		r, w = os.Stdin, os.Stdout
	case "unix":
		c, err := net.Dial("unix", args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, "echo:", err)
			return 2
		}
		defer c.Close()
		r, w = c, c
	default:
		fmt.Fprintf(os.Stderr, "unknown helper role %q\n", role)
		return 2
	}
	c := NewConn(r, w, testLimit)
	for {
		msg, err := c.Recv()
		if err == io.EOF {
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "echo child: Recv:", err)
			return 1
		}
		if err := c.Send(msg); err != nil {
			fmt.Fprintln(os.Stderr, "echo child: Send:", err)
			return 1
		}
	}
}

// testPattern returns n bytes that differ from message to message and from byte to byte.
func testPattern(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7 + i/251)
	}
	return b
}

// sameBytes fails the test if got differs from want, saying where, without dumping them.
func sameBytes(t *testing.T, want, got []byte, format string, args ...any) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	t.Errorf("%s: got %d bytes, want %d; first difference at byte %d", fmt.Sprintf(format, args...), len(got), len(want), i)
}

// readFrame is ReadFrame, failing the test within seconds if it does not return: a read loop that
// calls Read again after the stream has ended spins for ever.
func readFrame(t *testing.T, r io.Reader, max int) ([]byte, error) {
	t.Helper()
	var msg []byte
	var err error
	coursetest.Within(t, func() { msg, err = ReadFrame(r, max) }, "ReadFrame did not return: once Read reports "+
		"an error (io.EOF at the end of the stream, which it then reports again and again), stop reading and "+
		"return it. io.ReadFull keeps reading until the buffer is full or the stream ends, and reports which")
	return msg, err
}

// writeFrame is WriteFrame, failing the test within seconds if it does not return: a write loop that
// tries again after an error spins for ever on a writer that keeps failing.
func writeFrame(t *testing.T, w io.Writer, msg []byte) error {
	t.Helper()
	var err error
	coursetest.Within(t, func() { err = WriteFrame(w, msg) }, "WriteFrame did not return: when Write returns "+
		"an error, return it; a writer that failed keeps failing, so writing again never ends")
	return err
}

func TestWireFormat(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, writeFrame(t, &buf, []byte("hi")))
	assert.Equal(t, []byte{0, 0, 0, 2, 'h', 'i'}, buf.Bytes(),
		"a frame is the message's length as 4 bytes, big-endian (binary.BigEndian), then the message")
	buf.Reset()
	require.NoError(t, writeFrame(t, &buf, nil))
	assert.Equal(t, []byte{0, 0, 0, 0}, buf.Bytes(), "an empty message is a frame with length 0 and nothing after it")
	msg, err := readFrame(t, bytes.NewReader([]byte{0, 0, 1, 2, 'x'}), testLimit)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the header 00 00 01 02 says 258 bytes follow (big-endian), but only 1 does")
	assert.Nil(t, msg)
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 4096, 1 << 20} {
		t.Run(fmt.Sprintf("%d bytes", n), func(t *testing.T) {
			var buf bytes.Buffer
			want := testPattern(n, n)
			require.NoError(t, writeFrame(t, &buf, want))
			assert.Equal(t, HeaderSize+n, buf.Len(), "a frame of an %d-byte message is %d bytes long", n, HeaderSize+n)
			got, err := readFrame(t, &buf, testLimit)
			require.NoError(t, err)
			sameBytes(t, want, got, "the message read back")
			_, err = readFrame(t, &buf, testLimit)
			assert.ErrorIs(t, err, io.EOF, "after the last frame, ReadFrame must return io.EOF")
		})
	}
}

func TestShortReads(t *testing.T) {
	sizes := []int{3, 1, 5000, 70000, 2}
	var stream bytes.Buffer
	for i, n := range sizes {
		require.NoError(t, WriteFrame(&stream, testPattern(i, n)))
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
		why  string
	}{
		{"OneByteReader", iotest.OneByteReader, "each Read returns a single byte"},
		{"HalfReader", iotest.HalfReader, "each Read returns half of what was asked"},
		{"DataErrReader", iotest.DataErrReader, "the last Read returns its data together with io.EOF"},
	}
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			r := rd.wrap(bytes.NewReader(stream.Bytes()))
			coursetest.Within(t, func() {
				for i, n := range sizes {
					got, err := ReadFrame(r, testLimit)
					if !assert.NoError(t, err, "frame %d (%d bytes) through iotest.%s, where %s: keep reading until "+
						"the header and the message are complete (io.ReadFull)", i, n, rd.name, rd.why) {
						return
					}
					if !bytes.Equal(testPattern(i, n), got) {
						sameBytes(t, testPattern(i, n), got, "frame %d (%d bytes) through iotest.%s, where %s: a single "+
							"Read does not return a whole message; use io.ReadFull", i, n, rd.name, rd.why)
						return
					}
				}
				_, err := ReadFrame(r, testLimit)
				assert.ErrorIs(t, err, io.EOF, "after the last frame, ReadFrame must return io.EOF")
			}, "ReadFrame through iotest.%s did not return", rd.name)
		})
	}
}

func TestTruncatedFrames(t *testing.T) {
	cases := []struct {
		name  string
		input []byte
		want  error
		why   string
	}{
		{"empty stream", nil, io.EOF, "a stream that ends before a frame starts is a clean end: io.EOF"},
		{"half a header", []byte{0, 0}, io.ErrUnexpectedEOF, "the stream ended inside the header"},
		{"header only", []byte{0, 0, 0, 10}, io.ErrUnexpectedEOF, "the header promised 10 bytes and none came: " +
			"io.ReadFull returns io.EOF when it reads nothing, which inside a frame is unexpected"},
		{"part of the message", []byte{0, 0, 0, 10, 1, 2, 3}, io.ErrUnexpectedEOF, "the header promised 10 bytes and 3 came"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg, err := readFrame(t, iotest.OneByteReader(bytes.NewReader(c.input)), testLimit)
			require.ErrorIs(t, err, c.want, "ReadFrame(% x): %s", c.input, c.why)
			assert.Nil(t, msg, "ReadFrame must not return a message with an error")
		})
	}
}

func TestLimit(t *testing.T) {
	const max = 1024
	var buf bytes.Buffer
	require.NoError(t, writeFrame(t, &buf, testPattern(1, max)))
	got, err := readFrame(t, &buf, max)
	require.NoError(t, err, "a frame of exactly max bytes is allowed")
	sameBytes(t, testPattern(1, max), got, "the frame of exactly max bytes")

	buf.Reset()
	require.NoError(t, writeFrame(t, &buf, testPattern(2, max+1)))
	_, err = readFrame(t, &buf, max)
	require.ErrorIs(t, err, ErrTooLarge, "a frame of max+1 bytes must be refused with an error wrapping ErrTooLarge")
	assert.Contains(t, err.Error(), fmt.Sprint(max+1), "a clear error says how large the frame claimed to be")

	// A hostile or corrupt header: 64 MiB announced, nothing sent. ReadFrame must refuse it without
	// allocating it (a 4 GiB header would otherwise exhaust memory).
	hdr := binary.BigEndian.AppendUint32(nil, 64<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = readFrame(t, bytes.NewReader(hdr), 1<<20)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrTooLarge, "a header announcing 64 MiB with a limit of 1 MiB must be refused with ErrTooLarge")
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(1<<20), "ReadFrame allocated %d MiB for a frame it refused: compare the "+
		"length with max before make([]byte, length)", allocated>>20)
}

// failingWriter accepts room bytes, then fails every Write, reporting how much of it it took.
type failingWriter struct {
	room int
	got  bytes.Buffer
}

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.room {
		w.room -= len(p)
		return w.got.Write(p)
	}
	n := w.room
	w.got.Write(p[:n])
	w.room = 0
	return n, errDiskFull
}

// failsOnce fails its first Write and accepts every later one.
type failsOnce struct{ failed bool }

func (w *failsOnce) Write(p []byte) (int, error) {
	if !w.failed {
		w.failed = true
		return 0, errDiskFull
	}
	return len(p), nil
}

// liar accepts at most room bytes per Write and says nothing about the rest: it breaks io.Writer's
// contract, as a buggy writer might.
type liar struct {
	room int
}

func (w liar) Write(p []byte) (int, error) { return min(len(p), w.room), nil }

func TestWriteErrors(t *testing.T) {
	msg := testPattern(3, 10)
	for _, room := range []int{0, 2, 4, 9} {
		t.Run(fmt.Sprintf("fails after %d bytes", room), func(t *testing.T) {
			w := &failingWriter{room: room}
			err := writeFrame(t, w, msg)
			assert.ErrorIs(t, err, errDiskFull, "the writer failed after %d of the frame's %d bytes: WriteFrame must "+
				"return its error, whether the header or the message was cut", room, HeaderSize+len(msg))
		})
	}
	once := &failsOnce{}
	err := writeFrame(t, once, msg)
	assert.ErrorIs(t, err, errDiskFull, "the writer's first Write (the header) failed: WriteFrame must return that "+
		"error at once, even though a later Write would succeed")
	err = writeFrame(t, liar{room: 6}, msg)
	assert.Error(t, err, "the writer took only part of the frame and returned no error: a short write must "+
		"still be an error (io.ErrShortWrite)")
}

func TestConcurrentSendersNeverInterleave(t *testing.T) {
	coursetest.CheckLeaks(t)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	sender := NewConn(nil, yielder{pw}, testLimit)
	receiver := NewConn(pr, nil, testLimit)
	const goroutines, frames = 8, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range frames {
				n := 1 + (g*frames+i)*97%9000 // sizes from 1 byte to 9 KB, above a pipe's atomic write size
				msg := append([]byte(fmt.Sprintf("%d %d %d|", g, i, n)), testPattern(g*frames+i, n)...)
				if sender.Send(msg) != nil {
					return
				}
			}
		})
	}
	go func() { wg.Wait(); pw.Close() }()
	next := make([]int, goroutines)
	ok := coursetest.Within(t, func() {
		for range goroutines * frames {
			msg, err := receiver.Recv()
			if !assert.NoError(t, err, "Recv") || !checkTagged(t, msg, next) {
				pr.Close()
				return
			}
		}
		_, err := receiver.Recv()
		assert.ErrorIs(t, err, io.EOF, "after every frame, the closed pipe must give io.EOF")
	}, "receiving %d frames sent by %d goroutines at once did not finish", goroutines*frames, goroutines)
	if !ok {
		pr.Close()
	}
	wg.Wait()
}

// yielder lets other goroutines run after each Write, as a busy machine would, so that a frame
// written as two Writes without a lock is soon cut in two by another goroutine's.
type yielder struct{ w io.Writer }

func (y yielder) Write(p []byte) (int, error) {
	n, err := y.w.Write(p)
	runtime.Gosched()
	return n, err
}

// yieldReader lets other goroutines run after each Read, so that a frame read as several Reads
// without a lock is soon split with another goroutine's Recv.
type yieldReader struct{ r io.Reader }

func (y yieldReader) Read(p []byte) (int, error) {
	n, err := y.r.Read(p)
	runtime.Gosched()
	return n, err
}

// checkTagged checks one message "G I N|pattern": whole, uncorrupted, and next in sender G's order.
func checkTagged(t *testing.T, msg []byte, next []int) bool {
	t.Helper()
	head, body, found := bytes.Cut(msg, []byte("|"))
	var g, i, n int
	if _, err := fmt.Sscan(string(head), &g, &i, &n); !found || err != nil || g < 0 || g >= len(next) {
		t.Errorf("received a frame that starts with %q, not with a sender's tag: two goroutines' frames got "+
			"mixed (hold one lock for a whole frame, header and message)", shorten(msg))
		return false
	}
	if !bytes.Equal(body, testPattern(g*50+i, n)) || i != next[g] {
		t.Errorf("frame %d of sender %d arrived corrupted or out of order (%d bytes, want %d; expected its "+
			"frame %d next): frames from different goroutines got mixed", i, g, len(body), n, next[g])
		return false
	}
	next[g]++
	return true
}

func shorten(b []byte) string {
	if len(b) > 20 {
		return string(b[:20]) + "..."
	}
	return string(b)
}

func TestConcurrentReceiversGetWholeFrames(t *testing.T) {
	coursetest.CheckLeaks(t)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	receiver := NewConn(yieldReader{iotest.HalfReader(pr)}, nil, testLimit)
	const receivers, frames = 4, 400
	go func() {
		defer pw.Close()
		for i := range frames {
			n := 1 + i*131%3000
			msg := append([]byte(fmt.Sprintf("0 %d %d|", i, n)), testPattern(i, n)...)
			if WriteFrame(pw, msg) != nil {
				return
			}
		}
	}()
	var mu sync.Mutex
	seen := map[int]bool{}
	var bad []string
	var wg sync.WaitGroup
	for range receivers {
		wg.Go(func() {
			for {
				msg, err := receiver.Recv()
				if err != nil {
					if err != io.EOF {
						mu.Lock()
						bad = append(bad, "Recv: "+err.Error())
						mu.Unlock()
					}
					return
				}
				head, body, _ := bytes.Cut(msg, []byte("|"))
				var g, i, n int
				_, err = fmt.Sscan(string(head), &g, &i, &n)
				mu.Lock()
				if err != nil || !bytes.Equal(body, testPattern(i, n)) {
					bad = append(bad, fmt.Sprintf("a frame starting %q", shorten(msg)))
				} else {
					seen[i] = true
				}
				mu.Unlock()
			}
		})
	}
	if !coursetest.Within(t, wg.Wait, "%d goroutines calling Recv at once did not all return at the end of the stream", receivers) {
		pr.Close()
		return
	}
	require.Empty(t, bad, "%d goroutines called Recv at once and got broken frames: one Recv must read a whole "+
		"frame before another may start (a lock around ReadFrame); first: %s", receivers, strings.Join(bad[:min(1, len(bad))], ""))
	assert.Len(t, seen, frames, "every frame must be received exactly once")
}

func TestEchoChildOverPipes(t *testing.T) {
	coursetest.CheckLeaks(t)
	bin, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(bin, helperRole, "stdio")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	echoes(t, NewConn(stdout, stdin, testLimit), stdin, "a child process that echoes over its stdin and stdout")
}

// sizes of the messages sent to an echoing child: small, empty, larger than a pipe's buffer.
var echoSizes = []int{5, 0, 1, 65536, 1<<20 + 7, 100000, 1}

// echoes sends echoSizes' messages on c (from another goroutine, so that large frames cannot fill
// both directions and deadlock), closes out, and checks that each comes back whole.
func echoes(t *testing.T, c *Conn, out io.Closer, peer string) {
	t.Helper()
	sent := make(chan error, 1)
	go func() {
		defer out.Close()
		for i, n := range echoSizes {
			if err := c.Send(testPattern(i, n)); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	received := coursetest.Within(t, func() {
		for i, n := range echoSizes {
			got, err := c.Recv()
			if !assert.NoError(t, err, "receiving echo %d (%d bytes) from %s", i, n, peer) {
				return
			}
			if !bytes.Equal(testPattern(i, n), got) {
				sameBytes(t, testPattern(i, n), got, "echo %d (%d bytes) from %s", i, n, peer)
				return
			}
		}
		_, err := c.Recv()
		assert.ErrorIs(t, err, io.EOF, "%s stops when its input ends; then Recv must return io.EOF", peer)
	}, "the echoes from %s did not all come back", peer)
	if !received || t.Failed() {
		// The sender may be stuck writing to a peer that stopped reading; the caller's cleanup ends the
		// peer, and the sender with it. Report its error only if it has one already.
		select {
		case err := <-sent:
			assert.NoError(t, err, "sending to %s", peer)
		default:
		}
		return
	}
	assert.NoError(t, <-sent, "sending to %s", peer)
}
