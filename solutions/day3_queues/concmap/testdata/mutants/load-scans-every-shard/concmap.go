// Mutant: Load looks for the key in every shard in turn, so a Load of a missing key waits for every shard's lock, even shards other goroutines hold.
// Package concmap is a map that many goroutines can use at once: the keys are spread over shards,
// each with its own sync.RWMutex, so goroutines working on different shards never wait for each
// other, and readers of one shard never wait for each other either.
package concmap

import (
	"hash/maphash"
	"sync"
)

// Map is a hash map safe for concurrent use, split into shards. Create one with New.
type Map[K comparable, V any] struct {
	seed   maphash.Seed
	shards []shard[K, V]
}

type shard[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

// New returns an empty map with the given number of shards. It panics if shards < 1.
func New[K comparable, V any](shards int) *Map[K, V] {
	if shards < 1 {
		panic("concmap: need at least one shard")
	}
	m := &Map[K, V]{seed: maphash.MakeSeed(), shards: make([]shard[K, V], shards)}
	for i := range m.shards {
		m.shards[i].m = make(map[K]V)
	}
	return m
}

// shard returns the shard that holds key.
func (m *Map[K, V]) shard(key K) *shard[K, V] {
	return &m.shards[maphash.Comparable(m.seed, key)%uint64(len(m.shards))]
}

// Load returns the value stored for key, and whether there was one.
func (m *Map[K, V]) Load(key K) (V, bool) {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.RLock()
		v, ok := s.m[key]
		s.mu.RUnlock()
		if ok {
			return v, ok
		}
	}
	var zero V
	return zero, false
}

// Store sets the value for key.
func (m *Map[K, V]) Store(key K, value V) {
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
}

// Delete removes key, if it is present.
func (m *Map[K, V]) Delete(key K) {
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

// GetOrSet returns the value stored for key and true if there is one; otherwise it stores value and
// returns it and false. Check and store are one atomic step: when many goroutines call GetOrSet on
// the same missing key, exactly one of them stores its value and all of them return that value.
func (m *Map[K, V]) GetOrSet(key K, value V) (actual V, loaded bool) {
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[key]; ok {
		return v, true
	}
	s.m[key] = value
	return value, false
}

// Compute atomically replaces the value for key with the result of f. f receives the current value
// and whether key is present; if it returns keep == true its value is stored, otherwise key is
// deleted. Compute returns what f returned. No other operation on key runs between f's read and
// Compute's write, so read-modify-write updates are never lost. f runs with the key's shard locked:
// it must be quick and must not call methods of m.
func (m *Map[K, V]) Compute(key K, f func(old V, loaded bool) (value V, keep bool)) (V, bool) {
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, loaded := s.m[key]
	v, keep := f(old, loaded)
	if keep {
		s.m[key] = v
	} else {
		delete(s.m, key)
	}
	return v, keep
}

// Len reports the number of keys. While other goroutines change the map, the result is a count
// that was true shard by shard, not a snapshot of one instant.
func (m *Map[K, V]) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
