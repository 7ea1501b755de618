// Package profiling is Day 6's third exercise: find a lock that everybody waits for, and split it.
// HotStore (given) keeps every counter behind one mutex; the mutex profile puts it at the top. Store
// splits the map into shards, each with its own lock, so that goroutines working on different keys
// do not wait for each other. The tests prove the split with evidence rather than speed: a lock
// injected into each shard counts who took it.
package profiling

import (
	"hash/maphash"
	"sync"
)

// Locker is the lock of one shard: a *sync.RWMutex, or in the tests one that counts its uses.
type Locker interface {
	Lock()
	Unlock()
	RLock()
	RUnlock()
}

// shard is one part of a Store: its own lock and its own map.
type shard struct {
	mu Locker
	m  map[string]int
}

// Store is a map of counters split into shards, each guarded by its own lock. It is safe for
// concurrent use. Use New to make one.
type Store struct {
	seed   maphash.Seed
	shards []shard
}

// New returns an empty Store with n shards. It calls newLock once per shard to make that shard's
// lock; a nil newLock means a new sync.RWMutex each. It panics if n < 1.
func New(n int, newLock func() Locker) *Store {
	if n < 1 {
		panic("profiling: a Store needs at least one shard")
	}
	if newLock == nil {
		newLock = func() Locker { return new(sync.RWMutex) }
	}
	s := &Store{seed: maphash.MakeSeed(), shards: make([]shard, n)}
	for i := range s.shards {
		s.shards[i] = shard{mu: newLock(), m: map[string]int{}}
	}
	return s
}

// shardOf returns the shard that holds key: always the same one for the same key, and keys spread
// evenly over the shards.
func (s *Store) shardOf(key string) *shard {
	return &s.shards[maphash.String(s.seed, key)%uint64(len(s.shards))]
}

// Add adds delta to key's counter, creating it at 0 first if needed. It takes the write lock (Lock)
// of key's shard, and no other lock.
func (s *Store) Add(key string, delta int) {
	sh := s.shardOf(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.m[key] += delta
}

// Get returns key's counter, and whether it exists. It takes the read lock (RLock) of key's shard,
// and no other lock.
func (s *Store) Get(key string) (int, bool) {
	sh := s.shardOf(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	v, ok := sh.m[key]
	return v, ok
}

// Len returns the number of keys. It takes each shard's read lock in turn, never two at once.
func (s *Store) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}
