// Package concmap is a map that many goroutines can use at once: the keys are spread over shards,
// each with its own sync.RWMutex, so goroutines working on different shards never wait for each
// other, and readers of one shard never wait for each other either.
package concmap

// Map is a hash map safe for concurrent use, split into shards. Create one with New.
type Map[K comparable, V any] struct {
	// TODO: choose the fields: a slice of shards, each a plain map with its own sync.RWMutex, and
	// a maphash.Seed to pick a key's shard (hash/maphash.Comparable hashes any comparable key).
}

// New returns an empty map with the given number of shards. It panics if shards < 1.
func New[K comparable, V any](shards int) *Map[K, V] {
	// TODO: make the shards, each with an empty map.
	panic("TODO: implement New (day3_queues/concmap)")
}

// Load returns the value stored for key, and whether there was one.
func (m *Map[K, V]) Load(key K) (V, bool) {
	// TODO: read under the key's shard read lock.
	panic("TODO: implement Map.Load (day3_queues/concmap)")
}

// Store sets the value for key.
func (m *Map[K, V]) Store(key K, value V) {
	// TODO: write under the key's shard write lock.
	panic("TODO: implement Map.Store (day3_queues/concmap)")
}

// Delete removes key, if it is present.
func (m *Map[K, V]) Delete(key K) {
	// TODO: delete under the key's shard write lock.
	panic("TODO: implement Map.Delete (day3_queues/concmap)")
}

// GetOrSet returns the value stored for key and true if there is one; otherwise it stores value and
// returns it and false. Check and store are one atomic step: when many goroutines call GetOrSet on
// the same missing key, exactly one of them stores its value and all of them return that value.
func (m *Map[K, V]) GetOrSet(key K, value V) (actual V, loaded bool) {
	// TODO: check and store under ONE write lock.
	panic("TODO: implement Map.GetOrSet (day3_queues/concmap)")
}

// Compute atomically replaces the value for key with the result of f. f receives the current value
// and whether key is present; if it returns keep == true its value is stored, otherwise key is
// deleted. Compute returns what f returned. No other operation on key runs between f's read and
// Compute's write, so read-modify-write updates are never lost. f runs with the key's shard locked:
// it must be quick and must not call methods of m.
func (m *Map[K, V]) Compute(key K, f func(old V, loaded bool) (value V, keep bool)) (V, bool) {
	// TODO: read, call f and write, all under one write lock.
	panic("TODO: implement Map.Compute (day3_queues/concmap)")
}

// Len reports the number of keys. While other goroutines change the map, the result is a count
// that was true shard by shard, not a snapshot of one instant.
func (m *Map[K, V]) Len() int {
	// TODO: add up the shards' sizes, each under its read lock.
	panic("TODO: implement Map.Len (day3_queues/concmap)")
}
