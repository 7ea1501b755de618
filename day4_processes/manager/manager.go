// Package manager is Day 4's fifth exercise: Python's multiprocessing.Manager, a process that owns
// some state and serves it to other processes, which change it only by asking. Here the state is a
// map of int64 counters, served with net/rpc over a Unix socket; the Client is what another process
// uses. Because every change happens in the server, one lock there makes each operation atomic for
// every client at once.
package manager

// State is the map the server owns. Its exported methods are the remote procedures, in net/rpc's
// form: func (s *State) Name(args T, reply *R) error. It is safe for concurrent use.
type State struct {
	// TODO: a map[string]int64 and the sync.Mutex that guards it: net/rpc runs the calls of different
	// clients on different goroutines, at the same time.
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
	panic("TODO: implement State.Get (day4_processes/manager)")
}

// Set sets key to args.Value.
func (s *State) Set(args SetArgs, _ *struct{}) error {
	panic("TODO: implement State.Set (day4_processes/manager)")
}

// Increment adds args.Delta to args.Key, as one step, and sets *reply to the new value.
func (s *State) Increment(args IncrementArgs, reply *int64) error {
	// TODO: the read, the addition and the write, all under the lock.
	panic("TODO: implement State.Increment (day4_processes/manager)")
}

// Keys sets *reply to every key that has been set or incremented, sorted.
func (s *State) Keys(_ struct{}, reply *[]string) error {
	panic("TODO: implement State.Keys (day4_processes/manager)")
}

// Server serves a State over net/rpc on a Unix socket, to any number of clients at once.
type Server struct {
	// TODO: the listener, the *rpc.Server, the open connections (so that Close can close them), and
	// a sync.WaitGroup over the server's goroutines.
}

// Start listens on a Unix socket at path and serves a new, empty State there in the background.
func Start(path string) (*Server, error) {
	// TODO: rpc.NewServer and Register a new State; net.Listen("unix", path); then one goroutine
	// that accepts connections and serves each with ServeConn on a goroutine of its own.
	// (rpc.Server.Accept would do the loop, but then Close could not reach the connections.)
	panic("TODO: implement Start (day4_processes/manager)")
}

// Close stops the server: it stops accepting, closes every client's connection, waits for every
// goroutine of the server to finish, and removes the socket file.
func (s *Server) Close() error {
	// TODO: closing the listener ends the accept loop (and a UnixListener removes its socket file);
	// each ServeConn returns once its connection is closed.
	panic("TODO: implement Server.Close (day4_processes/manager)")
}

// Client is one process's connection to the server. It is safe for concurrent use.
type Client struct {
	// TODO: an *rpc.Client.
}

// Dial connects to the server listening on the Unix socket at path.
func Dial(path string) (*Client, error) {
	// TODO: rpc.Dial("unix", path).
	panic("TODO: implement Dial (day4_processes/manager)")
}

// Get returns the value of key: 0 if it was never set.
func (c *Client) Get(key string) (int64, error) {
	// TODO: c.Call("State.Get", key, &v); and so on for the others.
	panic("TODO: implement Client.Get (day4_processes/manager)")
}

// Set sets key to value.
func (c *Client) Set(key string, value int64) error {
	panic("TODO: implement Client.Set (day4_processes/manager)")
}

// Increment adds delta to key and returns the new value. It is atomic: however many clients
// increment the same key at once, no increment is lost.
func (c *Client) Increment(key string, delta int64) (int64, error) {
	// TODO: one call to State.Increment. A Get followed by a Set is two calls, and other clients'
	// increments get in between.
	panic("TODO: implement Client.Increment (day4_processes/manager)")
}

// Keys returns every key that has been set or incremented, sorted.
func (c *Client) Keys() ([]string, error) {
	panic("TODO: implement Client.Keys (day4_processes/manager)")
}

// Close closes the connection.
func (c *Client) Close() error {
	panic("TODO: implement Client.Close (day4_processes/manager)")
}
