package profiling

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// countingLock is a sync.RWMutex that counts how often it was taken, each way, and can hold its
// next Lock: held is closed once that Lock is taken, and the Lock waits for release before it
// returns to the caller.
type countingLock struct {
	mu            sync.RWMutex
	locks, rlocks atomic.Int64
	gate          atomic.Pointer[gate]
}

type gate struct{ held, release chan struct{} }

// held and maxHeld count the countingLocks held at once, by anyone, and the most ever held. The
// tests that read maxHeld run one operation at a time, so more than one means one call held two.
var held, maxHeld atomic.Int64

func hold() {
	n := held.Add(1)
	for m := maxHeld.Load(); n > m && !maxHeld.CompareAndSwap(m, n); m = maxHeld.Load() {
	}
}

func (l *countingLock) Lock() {
	l.mu.Lock()
	hold()
	l.locks.Add(1)
	if g := l.gate.Swap(nil); g != nil {
		close(g.held)
		<-g.release
	}
}
func (l *countingLock) Unlock()  { held.Add(-1); l.mu.Unlock() }
func (l *countingLock) RLock()   { l.mu.RLock(); hold(); l.rlocks.Add(1) }
func (l *countingLock) RUnlock() { held.Add(-1); l.mu.RUnlock() }

// counted makes a Store with n shards whose locks count, and returns the locks in shard order.
func counted(t *testing.T, n int) (*Store, []*countingLock) {
	t.Helper()
	var locks []*countingLock
	s := New(n, func() Locker {
		l := new(countingLock)
		locks = append(locks, l)
		return l
	})
	require.Len(t, locks, n, "New(%d, newLock) must call newLock once per shard", n)
	return s, locks
}

func total(locks []*countingLock) (w, r int64) {
	for _, l := range locks {
		w += l.locks.Load()
		r += l.rlocks.Load()
	}
	return w, r
}

// shardOf finds which lock key's shard uses, by watching which counter an Add moves.
func shardOf(t *testing.T, s *Store, locks []*countingLock, key string) int {
	t.Helper()
	before := make([]int64, len(locks))
	for i, l := range locks {
		before[i] = l.locks.Load()
	}
	within(t, func() { s.Add(key, 0) })
	found := -1
	for i, l := range locks {
		if d := l.locks.Load() - before[i]; d != 0 {
			require.Equal(t, int64(1), d, "one Add took shard %d's write lock %d times: take it once", i, d)
			require.Equal(t, -1, found, "one Add of %q took the write locks of two shards (%d and %d): "+
				"an Add takes only its key's shard's lock", key, found, i)
			found = i
		}
	}
	require.NotEqual(t, -1, found, "Add(%q) took no shard's write lock: update a shard's map under its Lock", key)
	return found
}

func TestStoreCounts(t *testing.T) {
	coursetest.CheckLeaks(t)
	s := New(8, nil)
	var missing, okA, okZero bool
	var a, b, emptyLen, n int
	within(t, func() {
		_, missing = s.Get("missing")
		emptyLen = s.Len()
		s.Add("a", 2)
		s.Add("a", 3)
		s.Add("b", -1)
		a, okA = s.Get("a")
		b, _ = s.Get("b")
		s.Add("zero", 0)
		_, okZero = s.Get("zero")
		n = s.Len()
	})
	assert.False(t, missing, "Get of a key never added reports false")
	assert.Zero(t, emptyLen, "a new Store is empty")
	assert.True(t, okA)
	assert.Equal(t, 5, a, "Add adds to the key's counter")
	assert.Equal(t, -1, b)
	assert.True(t, okZero, "Add(key, 0) creates the key")
	assert.Equal(t, 3, n, "Len counts the keys of every shard")

	// Many goroutines on few keys, readers beside writers: exact sums, and no data race. The given
	// HotStore runs the same load, as the baseline Store must agree with.
	const goroutines, each = 8, 500
	hot := NewHotStore()
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				s.Add(fmt.Sprint("k", i%10), 1)
				s.Get(fmt.Sprint("k", (i+g)%10))
				hot.Add(fmt.Sprint("k", i%10), 1)
				hot.Get(fmt.Sprint("k", (i+g)%10))
				if i%100 == 0 {
					s.Len()
				}
			}
		})
	}
	coursetest.Within(t, wg.Wait, "concurrent Adds and Gets never finished: a lock that is never unlocked?")
	for k := range 10 {
		v, _ := s.Get(fmt.Sprint("k", k))
		require.Equal(t, goroutines*each/10, v, "key k%d: concurrent Adds were lost", k)
		h, _ := hot.Get(fmt.Sprint("k", k))
		require.Equal(t, v, h, "key k%d: Store and the given HotStore disagree", k)
	}
}

func TestStoreSpreadsKeysOverShards(t *testing.T) {
	for _, shards := range []int{16, 7} { // a power of two, and not one
		spread(t, shards, 100*shards)
	}
}

func spread(t *testing.T, shards, keys int) {
	t.Helper()
	s, locks := counted(t, shards)
	maxHeld.Store(0)
	within(t, func() {
		for i := range keys {
			s.Add(fmt.Sprintf("station-%d", i), 1)
		}
	})
	w, r := total(locks)
	require.Equal(t, int64(keys), w, "%d Adds took %d write locks in all: each Add takes exactly one, its shard's "+
		"(no extra lock around the whole Store: that is the hot spot again)", keys, w)
	require.Zero(t, r, "Add took read locks: it writes, so it takes its shard's Lock")
	mean := float64(keys) / float64(shards)
	for i, l := range locks {
		n := l.locks.Load()
		require.Positive(t, n, "shard %d was never used by %d different keys: hash the whole key to pick a "+
			"shard (hash/maphash), modulo the number of shards", i, keys)
		require.LessOrEqual(t, float64(n), 3*mean, "shard %d got %d of %d keys (a fair share is %.0f): keys "+
			"must spread evenly, or one shard is the new hot spot", i, n, keys, mean)
	}
	lost := -1
	within(t, func() {
		for i := range keys {
			if _, ok := s.Get(fmt.Sprintf("station-%d", i)); !ok {
				lost = i
				return
			}
		}
	})
	if lost >= 0 {
		t.Fatalf("key station-%d was added but Get does not find it: Get must look in the same shard Add used", lost)
	}
	w2, r2 := total(locks)
	assert.Equal(t, w, w2, "Get took write locks: a read takes its shard's RLock")
	assert.Equal(t, int64(keys), r2, "%d Gets took %d read locks: each takes exactly one, its shard's", keys, r2)
	before, _ := total(locks)
	var n int
	within(t, func() { n = s.Len() })
	assert.Equal(t, keys, n)
	after, rAfter := total(locks)
	assert.Equal(t, before, after, "Len took write locks: it only reads")
	assert.Equal(t, r2+int64(shards), rAfter, "Len takes each shard's read lock once")
	assert.Equal(t, int64(1), maxHeld.Load(), "a goroutine held %d shard locks at once: Len must take each shard's "+
		"read lock in turn, never two at once (holding many invites deadlocks with code that locks them in another "+
		"order)", maxHeld.Load())
}

func TestStoreSameKeySameShard(t *testing.T) {
	s, locks := counted(t, 7)
	for _, key := range []string{"a", "b", "oslo", "a much longer key than the others"} {
		first := shardOf(t, s, locks, key)
		for range 5 {
			assert.Equal(t, first, shardOf(t, s, locks, key), "key %q went to different shards: the same key "+
				"must always go to the same shard, or its counter splits in two", key)
		}
	}
}

func TestShardsWorkIndependently(t *testing.T) {
	coursetest.CheckLeaks(t)
	s, locks := counted(t, 8)
	// Two keys in different shards.
	a := "key-a"
	sa := shardOf(t, s, locks, a)
	b, sb := "", -1
	for i := range 1000 {
		k := fmt.Sprint("key-", i)
		if sb = shardOf(t, s, locks, k); sb != sa {
			b = k
			break
		}
	}
	require.NotEqual(t, -1, sb, "a thousand keys all went to one shard")
	require.NotEqual(t, sa, sb)

	// An Add of a stops while it holds its shard's lock; an Add and a Get of b must still go through.
	g := &gate{held: make(chan struct{}), release: make(chan struct{})}
	locks[sa].gate.Store(g)
	stuck := make(chan struct{})
	go func() {
		defer close(stuck)
		s.Add(a, 1)
	}()
	t.Cleanup(func() { // after a failure too, so that nothing is left blocked
		close(g.release)
		<-stuck
	})
	coursetest.Within(t, func() { <-g.held }, "Add(%q) never took its shard's lock", a)
	coursetest.Within(t, func() {
		s.Add(b, 1)
		s.Get(b)
	}, "Add(%q) waited while another goroutine held shard %d's lock, although %q lives in shard %d: "+
		"is there one lock around the whole Store? Each shard's lock guards only that shard", b, sa, b, sb)
}

func TestNew(t *testing.T) {
	assert.Panics(t, func() { New(0, nil) }, "New(0, ...) must panic: a Store needs a shard")
	s := New(1, nil) // the default locks work
	var v int
	within(t, func() { s.Add("x", 1); v, _ = s.Get("x") })
	assert.Equal(t, 1, v)
}

// within runs Store calls, failing the test within seconds if they do not return: a shard lock that
// is never unlocked, or taken again by the goroutine that holds it, blocks them for ever.
func within(t *testing.T, fn func()) {
	t.Helper()
	coursetest.Within(t, fn, "a Store method never returned: does it unlock every lock it takes, and never take "+
		"its shard's lock again (calling Get or Add) while it holds it? Go's locks are not reentrant")
}

// The benchmarks compare the hot spot and the sharded store under load from every P:
// go test -bench=Store -cpu=1,2,4 ./day6_performance/profiling/
// and with -mutexprofile=mutex.out, `go tool pprof -top mutex.out` shows who waited for which lock.
func BenchmarkHotStore(b *testing.B) {
	s := NewHotStore()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Add(keys[i%len(keys)], 1)
			i++
		}
	})
}

func BenchmarkStore(b *testing.B) {
	s := New(64, nil)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Add(keys[i%len(keys)], 1)
			i++
		}
	})
}

var keys = func() []string {
	k := make([]string, 1024)
	for i := range k {
		k[i] = fmt.Sprint("station-", i)
	}
	return k
}()
