// Mutant: GetOrCompute takes the write lock and then calls Get, which read-locks a lock it already holds: deadlock.
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
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
}

// Value returns the current count.
func (c *Counter) Value() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Cache maps keys to values. Any number of goroutines may call its methods at once. Reads (Get, Len,
// and GetOrCompute when the key is stored) share the lock with each other; writes (Set, and
// GetOrCompute when the key is missing) hold it alone.
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
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[key]
	return v, ok
}

// Set stores value for key, replacing any previous value.
func (c *Cache[K, V]) Set(key K, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = value
}

// Len returns the number of keys stored.
func (c *Cache[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// GetOrCompute returns the value stored for key. If there is none, it calls compute(key), stores the
// result and returns it. However many goroutines call GetOrCompute for the same missing key at once,
// compute runs exactly once for that key: the others wait for it and return the value it produced.
// A key that is already stored is never computed.
func (c *Cache[K, V]) GetOrCompute(key K, compute func(K) V) V {
	if v, ok := c.Get(key); ok {
		return v // the common case: readers share the lock
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.Get(key); ok {
		return v
	}
	v := compute(key)
	c.m[key] = v
	return v
}
