package concmap

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gocourse/week11/internal/coursetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var shardCounts = []int{1, 7, 32}

func TestBasicOperations(t *testing.T) {
	for _, shards := range shardCounts {
		t.Run(fmt.Sprint(shards, " shards"), func(t *testing.T) {
			await(t, func() { basicOperations(t, shards) }, "Load, Store, Delete, GetOrSet, Compute and Len, "+
				"called one after the other, never all returned: does every method Unlock (RUnlock) on every path, "+
				"and never lock a shard it already holds? An RWMutex cannot be upgraded: Lock while you hold RLock "+
				"waits for ever")
		})
	}
	require.Panics(t, func() { New[int, int](0) }, "New(0) must panic")
}

// basicOperations is TestBasicOperations with shards shards.
func basicOperations(t *testing.T, shards int) {
	m := New[string, int](shards)
	_, ok := m.Load("a")
	require.False(t, ok, "Load on an empty map must report false")
	require.Zero(t, m.Len())

	for i := range 100 {
		m.Store(fmt.Sprint("k", i), i)
	}
	require.Equal(t, 100, m.Len(), "Len after storing 100 keys")
	m.Store("k5", 500)
	v, ok := m.Load("k5")
	require.True(t, ok)
	require.Equal(t, 500, v, "Store must overwrite")
	require.Equal(t, 100, m.Len(), "overwriting must not add a key")

	m.Delete("k5")
	m.Delete("nope")
	_, ok = m.Load("k5")
	require.False(t, ok, "Load after Delete")
	require.Equal(t, 99, m.Len(), "Len after deleting one key (and one that was never there)")

	v, loaded := m.GetOrSet("k7", -1)
	assert.True(t, loaded, "GetOrSet on a present key must report loaded")
	assert.Equal(t, 7, v, "GetOrSet on a present key must return the stored value, not store its own")
	v, loaded = m.GetOrSet("new", 42)
	assert.False(t, loaded, "GetOrSet on a missing key must report not loaded")
	assert.Equal(t, 42, v)
	v, _ = m.Load("new")
	assert.Equal(t, 42, v, "GetOrSet on a missing key must store the value")

	inc := func(old int, loaded bool) (int, bool) { return old + 1, true }
	v, keep := m.Compute("counter", inc)
	assert.Equal(t, []any{1, true}, []any{v, keep}, "Compute on a missing key gets old = zero value")
	v, _ = m.Compute("counter", inc)
	assert.Equal(t, 2, v, "Compute must see the value it stored before")
	var sawLoaded bool
	_, keep = m.Compute("counter", func(old int, loaded bool) (int, bool) {
		sawLoaded = loaded
		return 0, false
	})
	assert.True(t, sawLoaded, "Compute on a present key must pass loaded = true")
	assert.False(t, keep)
	_, ok = m.Load("counter")
	assert.False(t, ok, "Compute returning keep = false must delete the key")
	require.Equal(t, 100, m.Len(), "Len at the end (99 + \"new\")")
}

// await is coursetest.WithinUnlessDeadlocked for this test's goroutines inside a Map method: it reports
// a lock that is never released, or locked twice, at once instead of after the guard's patience.
func await(t *testing.T, fn func(), format string, args ...any) bool {
	t.Helper()
	test, _, _ := strings.Cut(t.Name(), "/")
	mine := "concmap." + test + "."
	return coursetest.WithinUnlessDeadlocked(t, func(g coursetest.Goroutine) bool {
		return strings.Contains(g.Stack, mine) && strings.Contains(g.Stack, "concmap.(*Map[")
	}, fn, format, args...)
}

func TestConcurrentReadersAndWriters(t *testing.T) {
	for _, shards := range shardCounts {
		t.Run(fmt.Sprint(shards, " shards"), func(t *testing.T) {
			coursetest.CheckLeaks(t)
			const writers, perWriter, readers = 4, 2000, 4
			m := New[int, int](shards)
			var bad atomic.Int64
			var writing sync.WaitGroup
			stop := make(chan struct{})
			coursetest.Within(t, func() {
				var reading sync.WaitGroup
				for r := range readers {
					reading.Go(func() {
						rng := rand.New(rand.NewPCG(uint64(r), 9))
						for {
							select {
							case <-stop:
								return
							default:
							}
							k := rng.IntN(writers * perWriter)
							if v, ok := m.Load(k); ok && v != k*10 {
								bad.Add(1)
							}
							if v, _ := m.GetOrSet(-1-k, k); v != k { // every caller offers k for key -1-k
								bad.Add(1)
							}
							_ = m.Len()
						}
					})
				}
				for w := range writers {
					writing.Go(func() {
						for i := range perWriter {
							k := w*perWriter + i
							m.Store(k, k*10)
							if i%3 == 0 {
								m.Delete(k)
							}
						}
					})
				}
				writing.Wait()
				close(stop)
				reading.Wait()
			}, "readers and writers never finished")

			require.Zero(t, bad.Load(), "Load or GetOrSet returned a value that nobody stored for that key")
			for k := range writers * perWriter {
				v, ok := m.Load(k)
				if i := k % perWriter; i%3 == 0 {
					require.False(t, ok, "key %d was deleted by its writer but is still present", k)
				} else {
					require.True(t, ok, "key %d was stored but is missing", k)
					require.Equal(t, k*10, v, "value of key %d", k)
				}
			}
		})
	}
}

func TestComputeIsAtomic(t *testing.T) {
	for _, shards := range shardCounts {
		t.Run(fmt.Sprint(shards, " shards"), func(t *testing.T) {
			coursetest.CheckLeaks(t)
			const goroutines, perGoroutine, keys = 8, 1000, 5
			m := New[int, int](shards)
			coursetest.Within(t, func() {
				var wg sync.WaitGroup
				for g := range goroutines {
					wg.Go(func() {
						for i := range perGoroutine {
							m.Compute((g+i)%keys, func(old int, _ bool) (int, bool) {
								runtime.Gosched() // let others run between the read and the write
								return old + 1, true
							})
							_, _ = m.Load(i % keys)
						}
					})
				}
				wg.Wait()
			}, "concurrent Compute calls never finished")

			for k := range keys {
				v, _ := m.Load(k)
				require.Equal(t, goroutines*perGoroutine/keys, v,
					"key %d after %d concurrent increments with Compute: updates were lost. Read, f and write "+
						"must happen under one write lock", k, goroutines*perGoroutine/keys)
			}
		})
	}
}

func TestGetOrSetIsAtomic(t *testing.T) {
	const goroutines = 8
	// check runs goroutines GetOrSet calls for each key, and verifies that exactly one stored its
	// value and that all of them returned that value.
	check := func(t *testing.T, key int, results []int, stored int) {
		t.Helper()
		if stored != 1 {
			t.Fatalf("key %d: %d callers were told they stored their value, want exactly 1. Check and store "+
				"must happen under one write lock", key, stored)
		}
		for g, v := range results {
			if v != results[0] {
				t.Fatalf("key %d: GetOrSet returned %d to one caller and %d to another: every caller must get "+
					"the one stored value", key, results[0], results[g])
			}
		}
	}

	t.Run("all start together", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		const keys = 2000
		m := New[int, int](4)
		var stored [keys]atomic.Int32
		results := make([][]int, keys)
		for k := range results {
			results[k] = make([]int, goroutines)
		}
		var arrived atomic.Int64
		start := make(chan struct{})
		coursetest.Within(t, func() {
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					if arrived.Add(1) == goroutines {
						close(start)
					}
					<-start // everyone starts together
					for k := range keys {
						v, loaded := m.GetOrSet(k, g)
						if !loaded {
							stored[k].Add(1)
						}
						results[k][g] = v
					}
				})
			}
			wg.Wait()
		}, "concurrent GetOrSet calls never finished")
		for k := range keys {
			check(t, k, results[k], int(stored[k].Load()))
		}
	})

	t.Run("callers queued behind a writer", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		m := New[int, int](1)
		for k := range 100 {
			results := make([]int, goroutines)
			var stored, started atomic.Int32
			coursetest.Within(t, func() {
				// Hold the key's shard with a Compute that leaves the key absent, so every GetOrSet
				// queues up behind it; then let them all go at once.
				inside, release, computed := make(chan struct{}), make(chan struct{}), make(chan struct{})
				go func() {
					defer close(computed)
					m.Compute(k, func(int, bool) (int, bool) {
						close(inside)
						<-release
						return 0, false
					})
				}()
				<-inside
				var wg sync.WaitGroup
				for g := range goroutines {
					wg.Go(func() {
						started.Add(1)
						v, loaded := m.GetOrSet(k, g)
						if !loaded {
							stored.Add(1)
						}
						results[g] = v
					})
				}
				for started.Load() < goroutines {
					runtime.Gosched()
				}
				runtime.Gosched()
				close(release)
				<-computed
				wg.Wait()
			}, "GetOrSet calls never finished after a Compute on the same key returned")
			check(t, k, results, int(stored.Load()))
		}
	})
}

func TestShardsDoNotBlockEachOther(t *testing.T) {
	t.Run("other shards go ahead", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		m := New[int, int](16)
		inside := make(chan struct{})
		release := make(chan struct{})
		computed := make(chan struct{})
		go func() {
			defer close(computed)
			m.Compute(0, func(int, bool) (int, bool) {
				close(inside)
				<-release // hold key 0's shard locked
				return 1, true
			})
		}()
		coursetest.Within(t, func() { <-inside }, "Compute(0) did not call f although no other call held key 0's shard")

		// With 16 shards, some of keys 1..64 are certainly in other shards than key 0: work on them
		// must go ahead while key 0's shard is locked.
		const others = 64
		progressed := make(chan int, others)
		var wg sync.WaitGroup
		for k := 1; k <= others; k++ {
			wg.Go(func() { otherShardProbe(m, k, progressed) })
		}
		// Settled when every probe has finished or waits for a lock (key 0's shard, or one lock for all).
		coursetest.Eventually(t, func() bool {
			return len(lockStates("otherShardProbe"))+len(progressed) == others
		}, "operations on keys 1..64 neither finished nor waited for a lock")
		if len(progressed) == 0 {
			t.Errorf("while one Compute held key 0's shard, no operation on 64 other keys could finish: does " +
				"every key share one lock, or does Load (of a missing key) look into other shards? Each shard " +
				"needs its own RWMutex, and an operation on a key takes only that key's shard's lock")
		}
		close(release)
		coursetest.Within(t, func() { <-computed; wg.Wait() }, "operations never finished after the Compute returned")
		assert.Equal(t, 64+1, m.Len())
	})

	t.Run("keys use every shard", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		for _, shards := range []int{1, 7} {
			const keys = 300
			n := countLocks(t, New[int, int](shards), keys, shards)
			if n > shards {
				t.Fatalf("New(%d): while Computes held the shards of %d keys, Stores of other keys still went "+
					"through: %d keys were spread over more than %d separate locks, or some operation takes no "+
					"lock. New must make exactly the number of shards it is given, each with its own lock",
					shards, n, keys, shards)
			}
			require.Equal(t, shards, n, "New(%d): %d keys were spread over only %d separate locks, want one per "+
				"shard. Every key must be able to land in every shard: pick the shard with hash %% len(shards) "+
				"(hash & (len(shards)-1) only works when the count is a power of two)", shards, keys, n)
		}
	})

	t.Run("readers wait with a read lock", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		m := New[int, int](1)
		release := holdShard(t, m, 0)
		done := make(chan int, 2)
		go loadProbe(m, 0, done)
		go lenProbe(m, done)
		var states []string
		coursetest.Eventually(t, func() bool {
			states = lockStates("loadProbe", "lenProbe")
			return len(states) == 2 || len(done) > 0
		}, "Load and Len on a shard that a Compute holds neither finished nor waited for its lock")
		returnedEarly := len(done)
		coursetest.Within(t, func() {
			release()
			<-done
			<-done
		}, "Compute, Load or Len never returned after the Compute's f returned: does Compute Unlock on every path "+
			"(keep == false too), without locking the shard again (calling Delete) while it holds it?")
		require.Zero(t, returnedEarly, "Load or Len returned while a Compute held the shard's write lock: it read "+
			"the shard without taking its lock (a data race with every writer). Take the shard's RLock")
		for _, state := range states {
			require.Equal(t, "sync.RWMutex.RLock", state, "Load or Len, waiting for a shard that a writer holds, "+
				"waited in %s: readers must take the shard's read lock (RWMutex.RLock), so that readers of one "+
				"shard never wait for each other", state)
		}
	})
}

// otherShardProbe stores k, deletes it and loads the missing key (which must look only into k's
// shard), stores it again, and then reports on done.
func otherShardProbe(m *Map[int, int], k int, done chan<- int) {
	m.Store(k, k)
	m.Delete(k)
	_, _ = m.Load(k)
	m.Store(k, k)
	done <- k
}

// storeProbe, loadProbe and lenProbe call one method of m and then report on done. Tests find
// them by name in goroutine stacks (see lockStates).
func storeProbe(m *Map[int, int], k int, done chan<- int) {
	m.Store(k, k)
	done <- k
}

func loadProbe(m *Map[int, int], k int, done chan<- int) {
	_, _ = m.Load(k)
	done <- k
}

func lenProbe(m *Map[int, int], done chan<- int) {
	done <- m.Len()
}

// lockStates returns the state of every live goroutine running one of the probe functions named,
// provided that every one of them is waiting for a lock; otherwise (one of them is still running)
// it returns nil.
func lockStates(probes ...string) []string {
	var states []string
	for _, g := range coursetest.Goroutines() {
		for _, p := range probes {
			if !strings.Contains(g.Stack, "concmap."+p+"(") {
				continue
			}
			switch g.State {
			case "sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock":
				states = append(states, g.State)
			default:
				return nil
			}
		}
	}
	return states
}

// holdShard locks the shard of key with a Compute whose f waits; the returned func lets it finish.
func holdShard(t *testing.T, m *Map[int, int], key int) (release func()) {
	t.Helper()
	inside, gate, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		m.Compute(key, func(old int, loaded bool) (int, bool) {
			close(inside)
			<-gate
			return old, loaded
		})
	}()
	timeout, stop := coursetest.Guard()
	defer stop()
	select {
	case <-inside:
	case <-timeout:
		t.Fatalf("Compute(%d) did not call f within %v although no other call held key %d's shard",
			key, coursetest.Patience, key)
	}
	return func() { close(gate); <-finished }
}

// countLocks finds out over how many separate locks m spreads the keys 0..keys-1. It holds the shard
// of key 0, then stores every other key: the Stores that finish are in shards not held yet, so it
// holds the shard of one of them and tries those again, until every Store waits. It stops counting at
// limit+1.
func countLocks(t *testing.T, m *Map[int, int], keys, limit int) int {
	t.Helper()
	var releases []func()
	done := make(chan int, keys*(limit+2))
	var probes sync.WaitGroup
	defer func() {
		for _, release := range releases {
			release()
		}
		coursetest.Within(t, probes.Wait, "Stores never finished after every Compute holding a shard returned")
	}()

	releases = append(releases, holdShard(t, m, 0))
	try := make([]int, 0, keys)
	for k := 1; k < keys; k++ {
		try = append(try, k)
	}
	launched, ended := 0, 0 // probes started, and probes that finished their Store
	for {
		for _, k := range try {
			probes.Go(func() { storeProbe(m, k, done) })
		}
		launched += len(try)
		var finished []int
		coursetest.Eventually(t, func() bool {
			for len(done) > 0 {
				finished = append(finished, <-done)
				ended++
			}
			// Settled when every probe has either finished or waits for a lock: a shard that is held.
			return len(lockStates("storeProbe")) == launched-ended
		}, "Stores of keys whose shards nobody holds did not finish")
		if len(finished) == 0 || len(releases) > limit {
			return len(releases)
		}
		releases = append(releases, holdShard(t, m, finished[0]))
		try = finished[1:]
	}
}

// The benchmark compares the sharded Map with a map behind one sync.RWMutex and with sync.Map at
// several read/write mixes:
//
//	go test -run='^$' -bench=. -cpu=1,2,4 ./day3_queues/concmap/

type kv interface {
	Load(int) (int, bool)
	Store(int, int)
}

type lockedMap struct {
	mu sync.RWMutex
	m  map[int]int
}

func (l *lockedMap) Load(k int) (int, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	v, ok := l.m[k]
	return v, ok
}

func (l *lockedMap) Store(k, v int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m[k] = v
}

type syncMap struct{ m sync.Map }

func (s *syncMap) Load(k int) (int, bool) {
	v, ok := s.m.Load(k)
	if !ok {
		return 0, false
	}
	return v.(int), true
}

func (s *syncMap) Store(k, v int) { s.m.Store(k, v) }

func BenchmarkMaps(b *testing.B) {
	const keys = 1 << 12
	impls := []struct {
		name string
		make func() kv
	}{
		{"sharded-32", func() kv { return New[int, int](32) }},
		{"one-rwmutex", func() kv { return &lockedMap{m: map[int]int{}} }},
		{"sync.Map", func() kv { return &syncMap{} }},
	}
	for _, reads := range []int{99, 90, 50, 10} {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("reads=%d%%/%s", reads, impl.name), func(b *testing.B) {
				m := impl.make()
				for k := range keys {
					m.Store(k, k)
				}
				var seed atomic.Uint64
				b.RunParallel(func(pb *testing.PB) {
					rng := rand.New(rand.NewPCG(seed.Add(1), 0))
					for pb.Next() {
						k := rng.IntN(keys)
						if rng.IntN(100) < reads {
							m.Load(k)
						} else {
							m.Store(k, k)
						}
					}
				})
			})
		}
	}
}
