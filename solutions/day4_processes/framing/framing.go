// Package framing is Day 4's third exercise: messages over a byte stream. A pipe or a Unix socket
// carries bytes, not messages: one Write of 10 bytes may arrive as three Reads, and two Writes as one.
// So each message travels as a frame, a 4-byte big-endian length followed by that many bytes, and the
// reader reads exactly the length, then exactly the message. A length is never trusted: one above the
// reader's limit is refused before anything is allocated for it.
package framing

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
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
	if uint64(len(msg)) > math.MaxUint32 {
		return fmt.Errorf("framing: a message of %d bytes does not fit in a frame", len(msg))
	}
	var hdr [HeaderSize]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(msg)))
	if err := writeAll(w, hdr[:]); err != nil {
		return err
	}
	return writeAll(w, msg)
}

// writeAll writes p to w and reports a short write as an error.
func writeAll(w io.Writer, p []byte) error {
	n, err := w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return err
}

// ReadFrame reads one frame from r and returns its message. It keeps reading until it has the whole
// header and the whole message, however few bytes each Read returns. It returns io.EOF if r ends
// before the frame starts, io.ErrUnexpectedEOF if r ends inside a frame, and an error wrapping
// ErrTooLarge, without allocating the message, if the frame's length is above max.
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	var hdr [HeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err // io.EOF before the frame, io.ErrUnexpectedEOF inside the header
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: the frame says %d bytes, the limit is %d", ErrTooLarge, n, max)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the header promised a message
		}
		return nil, err
	}
	return msg, nil
}

// Conn sends and receives frames on a stream, such as the two ends of a pipe or a Unix socket.
// It is safe for concurrent use: frames sent by different goroutines never interleave, and each
// frame is received whole by exactly one Recv.
type Conn struct {
	max    int
	sendMu sync.Mutex // held for a whole frame: header and message
	w      io.Writer
	recvMu sync.Mutex
	r      io.Reader
}

// NewConn returns a Conn that receives frames from r, refusing any longer than max, and sends them
// to w.
func NewConn(r io.Reader, w io.Writer, max int) *Conn {
	return &Conn{r: r, w: w, max: max}
}

// Send writes msg to the Conn's writer as one frame.
func (c *Conn) Send(msg []byte) error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	return WriteFrame(c.w, msg)
}

// Recv reads the next frame from the Conn's reader and returns its message.
func (c *Conn) Recv() ([]byte, error) {
	c.recvMu.Lock()
	defer c.recvMu.Unlock()
	return ReadFrame(c.r, c.max)
}
