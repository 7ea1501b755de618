// Package framing is Day 4's third exercise: messages over a byte stream. A pipe or a Unix socket
// carries bytes, not messages: one Write of 10 bytes may arrive as three Reads, and two Writes as one.
// So each message travels as a frame, a 4-byte big-endian length followed by that many bytes, and the
// reader reads exactly the length, then exactly the message. A length is never trusted: one above the
// reader's limit is refused before anything is allocated for it.
package framing

import (
	"errors"
	"io"
)

// HeaderSize is the size of a frame's length prefix: a big-endian uint32.
const HeaderSize = 4

// ErrTooLarge is returned (wrapped, with the sizes) by ReadFrame and Recv for a frame whose length
// is above the reader's limit.
var ErrTooLarge = errors.New("framing: frame larger than the limit")

// WriteFrame writes msg to w as one frame: its length as 4 bytes, big-endian, then msg itself. It
// returns an error if w fails (or writes less than it was given), or if msg is longer than a uint32
// can say.
func WriteFrame(w io.Writer, msg []byte) error {
	// TODO: encoding/binary's BigEndian.PutUint32 fills the header; write it, then msg, and return
	// the first error (an io.Writer that writes fewer bytes than asked must return an error, but
	// check n too: io.ErrShortWrite).
	panic("TODO: implement WriteFrame (day4_processes/framing)")
}

// ReadFrame reads one frame from r and returns its message. It keeps reading until it has the whole
// header and the whole message, however few bytes each Read returns. It returns io.EOF if r ends
// before the frame starts, io.ErrUnexpectedEOF if r ends inside a frame, and an error wrapping
// ErrTooLarge, without allocating the message, if the frame's length is above max.
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	// TODO: a single r.Read may return any number of bytes from 1 up: use io.ReadFull for the header
	// and again for the message. Check the length against max BEFORE make([]byte, length). Mind
	// that io.ReadFull returns io.EOF when it read nothing at all, which inside a frame is unexpected.
	panic("TODO: implement ReadFrame (day4_processes/framing)")
}

// Conn sends and receives frames on a stream, such as the two ends of a pipe or a Unix socket.
// It is safe for concurrent use: frames sent by different goroutines never interleave, and each
// frame is received whole by exactly one Recv.
type Conn struct {
	// TODO: the reader, the writer, the limit, and what keeps concurrent Sends (and concurrent Recvs)
	// from mixing their bytes.
}

// NewConn returns a Conn that receives frames from r, refusing any longer than max, and sends them
// to w.
func NewConn(r io.Reader, w io.Writer, max int) *Conn {
	panic("TODO: implement NewConn (day4_processes/framing)")
}

// Send writes msg to the Conn's writer as one frame.
func (c *Conn) Send(msg []byte) error {
	// TODO: a frame is two writes (header, message): another goroutine's frame must not get between
	// them.
	panic("TODO: implement Conn.Send (day4_processes/framing)")
}

// Recv reads the next frame from the Conn's reader and returns its message.
func (c *Conn) Recv() ([]byte, error) {
	panic("TODO: implement Conn.Recv (day4_processes/framing)")
}
