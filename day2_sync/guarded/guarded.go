// Package guarded is Day 2's first exercise: state shared between goroutines, guarded by a lock.
// Counter uses a sync.Mutex (Python's threading.Lock); Cache is read far more often than it is
// written, so it uses a sync.RWMutex, which lets any number of readers in at once but a writer only
// alone.
package guarded

import "sync"

// Counter is a counter that many goroutines may increment and read at once. The zero Counter is
// ready to use and reads 0.
type Counter struct {
	mu sync.Mutex // guards n
	n  int
}

// Inc adds one to the counter.
func (c *Counter) Inc() {
	// TODO: increment n while holding c.mu (Lock, then defer Unlock).
	panic("TODO: implement Counter.Inc (day2_sync/guarded)")
}

// Value returns the current count.
func (c *Counter) Value() int {
	// TODO: read n while holding c.mu. A read needs the lock too: without it the race detector
	// reports the read racing with Inc's write, and the value may be stale.
	panic("TODO: implement Counter.Value (day2_sync/guarded)")
}

// Cache maps keys to values. Any number of goroutines may call its methods at once. Reads (Get, Len,
// and GetOrCompute when the key is stored) share the lock with each other; writes (Set, and
// GetOrCompute when the key is missing) hold it alone. (The tests hold mu themselves, to check that
// readers share it and to line up GetOrCompute callers: keep these fields.)
type Cache[K comparable, V any] struct {
	mu sync.RWMutex // guards m
	m  map[K]V
}

// NewCache returns an empty Cache.
func NewCache[K comparable, V any]() *Cache[K, V] {
	return &Cache[K, V]{m: make(map[K]V)}
}

// Get returns the value stored for key and whether there was one.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	// TODO: look key up while holding the read lock (RLock/RUnlock).
	panic("TODO: implement Cache.Get (day2_sync/guarded)")
}

// Set stores value for key, replacing any previous value.
func (c *Cache[K, V]) Set(key K, value V) {
	// TODO: store while holding the write lock (Lock/Unlock). A read lock is not enough: two
	// goroutines holding RLock may both be inside at once.
	panic("TODO: implement Cache.Set (day2_sync/guarded)")
}

// Len returns the number of keys stored.
func (c *Cache[K, V]) Len() int {
	// TODO: read len(c.m) while holding the read lock.
	panic("TODO: implement Cache.Len (day2_sync/guarded)")
}

// GetOrCompute returns the value stored for key. If there is none, it calls compute(key), stores the
// result and returns it. However many goroutines call GetOrCompute for the same missing key at once,
// compute runs exactly once for that key: the others wait for it and return the value it produced.
// A key that is already stored is never computed.
func (c *Cache[K, V]) GetOrCompute(key K, compute func(K) V) V {
	// TODO: try the cheap path first: look the key up under the read lock. On a miss, take the write
	// lock — an RLock cannot be upgraded to a Lock — and look again before computing: another
	// goroutine may have stored the key between your RUnlock and your Lock.
	panic("TODO: implement Cache.GetOrCompute (day2_sync/guarded)")
}
