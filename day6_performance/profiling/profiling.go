// Package profiling is Day 6's third exercise: find a lock that everybody waits for, and split it.
// HotStore (given) keeps every counter behind one mutex; the mutex profile puts it at the top. Store
// splits the map into shards, each with its own lock, so that goroutines working on different keys
// do not wait for each other. The tests prove the split with evidence rather than speed: a lock
// injected into each shard counts who took it.
package profiling

// Locker is the lock of one shard: a *sync.RWMutex, or in the tests one that counts its uses.
type Locker interface {
	Lock()
	Unlock()
	RLock()
	RUnlock()
}

// Store is a map of counters split into shards, each guarded by its own lock. It is safe for
// concurrent use. Use New to make one.
type Store struct {
	// TODO: the shards, and what you need to pick a key's shard (a hash/maphash.Seed is a good start).
}

// New returns an empty Store with n shards. It calls newLock once per shard to make that shard's
// lock; a nil newLock means a new sync.RWMutex each. It panics if n < 1.
func New(n int, newLock func() Locker) *Store {
	// TODO: check n, default newLock to one that returns new(sync.RWMutex), and give every shard its
	// own lock and map.
	panic("TODO: implement New (day6_performance/profiling)")
}

// Add adds delta to key's counter, creating it at 0 first if needed. It takes the write lock (Lock)
// of key's shard, and no other lock.
func (s *Store) Add(key string, delta int) {
	// TODO: find key's shard (hash the key, modulo the number of shards) and update it under its lock.
	panic("TODO: implement Store.Add (day6_performance/profiling)")
}

// Get returns key's counter, and whether it exists. It takes the read lock (RLock) of key's shard,
// and no other lock.
func (s *Store) Get(key string) (int, bool) {
	panic("TODO: implement Store.Get (day6_performance/profiling)")
}

// Len returns the number of keys. It takes each shard's read lock in turn, never two at once.
func (s *Store) Len() int {
	panic("TODO: implement Store.Len (day6_performance/profiling)")
}
