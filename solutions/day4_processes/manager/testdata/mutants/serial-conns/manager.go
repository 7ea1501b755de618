// Mutant: the accept loop serves each connection itself, not on a goroutine of its own, so a second client waits until the first hangs up.
// Package manager is Day 4's fifth exercise: Python's multiprocessing.Manager, a process that owns
// some state and serves it to other processes, which change it only by asking. Here the state is a
// map of int64 counters, served with net/rpc over a Unix socket; the Client is what another process
// uses. Because every change happens in the server, one lock there makes each operation atomic for
// every client at once.
package manager

import (
	"net"
	"net/rpc"
	"slices"
	"sync"
)

// State is the map the server owns. Its exported methods are the remote procedures, in net/rpc's
// form: func (s *State) Name(args T, reply *R) error. It is safe for concurrent use.
type State struct {
	mu sync.Mutex
	m  map[string]int64
}

// SetArgs are the arguments of State.Set.
type SetArgs struct {
	Key   string
	Value int64
}

// IncrementArgs are the arguments of State.Increment.
type IncrementArgs struct {
	Key   string
	Delta int64
}

// Get sets *reply to the value of key: 0 if key was never set.
func (s *State) Get(key string, reply *int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	*reply = s.m[key]
	return nil
}

// Set sets key to args.Value.
func (s *State) Set(args SetArgs, _ *struct{}) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[args.Key] = args.Value
	return nil
}

// Increment adds args.Delta to args.Key, as one step, and sets *reply to the new value.
func (s *State) Increment(args IncrementArgs, reply *int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[args.Key] += args.Delta
	*reply = s.m[args.Key]
	return nil
}

// Keys sets *reply to every key that has been set or incremented, sorted.
func (s *State) Keys(_ struct{}, reply *[]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	*reply = keys
	return nil
}

// Server serves a State over net/rpc on a Unix socket, to any number of clients at once.
type Server struct {
	ln  net.Listener
	rpc *rpc.Server
	wg  sync.WaitGroup // the accept loop and one goroutine per connection

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Start listens on a Unix socket at path and serves a new, empty State there in the background.
func Start(path string) (*Server, error) {
	srv := rpc.NewServer()
	if err := srv.Register(&State{m: map[string]int64{}}); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, rpc: srv, conns: map[net.Conn]struct{}{}}
	s.wg.Go(s.accept)
	return s, nil
}

// accept serves each connection on its own goroutine until the listener is closed.
func (s *Server) accept() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.mu.Unlock()
		s.rpc.ServeConn(conn) // returns when the client hangs up or Close closes conn
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
	}
}

// Close stops the server: it stops accepting, closes every client's connection, waits for every
// goroutine of the server to finish, and removes the socket file.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close() // a UnixListener removes its socket file when it closes
	for conn := range s.conns {
		conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Client is one process's connection to the server. It is safe for concurrent use.
type Client struct {
	c *rpc.Client
}

// Dial connects to the server listening on the Unix socket at path.
func Dial(path string) (*Client, error) {
	c, err := rpc.Dial("unix", path)
	if err != nil {
		return nil, err
	}
	return &Client{c: c}, nil
}

// Get returns the value of key: 0 if it was never set.
func (c *Client) Get(key string) (int64, error) {
	var v int64
	err := c.c.Call("State.Get", key, &v)
	return v, err
}

// Set sets key to value.
func (c *Client) Set(key string, value int64) error {
	return c.c.Call("State.Set", SetArgs{Key: key, Value: value}, &struct{}{})
}

// Increment adds delta to key and returns the new value. It is atomic: however many clients
// increment the same key at once, no increment is lost.
func (c *Client) Increment(key string, delta int64) (int64, error) {
	var v int64
	err := c.c.Call("State.Increment", IncrementArgs{Key: key, Delta: delta}, &v)
	return v, err
}

// Keys returns every key that has been set or incremented, sorted.
func (c *Client) Keys() ([]string, error) {
	var keys []string
	err := c.c.Call("State.Keys", struct{}{}, &keys)
	return keys, err
}

// Close closes the connection.
func (c *Client) Close() error { return c.c.Close() }
