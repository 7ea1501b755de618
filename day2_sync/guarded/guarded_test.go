package guarded

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCounterCountsEveryInc(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	const goroutines, perGoroutine = 8, 1000
	var c Counter
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			<-start // all goroutines begin together, so their Incs really overlap
			for range perGoroutine {
				c.Inc()
			}
		})
	}
	close(start)
	await(t, wg.Wait, "%d goroutines calling Inc never finished: does Inc forget to Unlock?", goroutines)
	require.Equal(t, goroutines*perGoroutine, c.Value(),
		"%d goroutines each called Inc %d times: every increment must count. A lost update means "+
			"Inc read and wrote n without holding the mutex", goroutines, perGoroutine)
}

func TestCounterValueWhileIncrementing(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	const writers, readers, perGoroutine = 4, 4, 500
	var c Counter
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			<-start
			for range perGoroutine {
				c.Inc()
			}
		})
	}
	errs := make(chan string, readers)
	for range readers {
		wg.Go(func() {
			<-start
			last := 0
			for range perGoroutine {
				v := c.Value()
				if v < last || v > writers*perGoroutine {
					errs <- fmt.Sprintf("Value returned %d after %d (it may only grow, up to %d)", v, last, writers*perGoroutine)
					return
				}
				last = v
			}
		})
	}
	close(start)
	await(t, wg.Wait, "Inc and Value called at once never finished: is a lock not released?")
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	assert.Equal(t, writers*perGoroutine, c.Value(), "final count")
	// If the race detector reported a race above: Value must take the mutex too, not only Inc.
}

func TestCacheGetSetLen(t *testing.T) {
	tests := []struct {
		name    string
		sets    [][2]string // key, value, in order
		get     string
		want    string
		wantOK  bool
		wantLen int
	}{
		{name: "empty cache misses", get: "a", wantOK: false, wantLen: 0},
		{name: "stored key hits", sets: [][2]string{{"a", "1"}}, get: "a", want: "1", wantOK: true, wantLen: 1},
		{name: "other key misses", sets: [][2]string{{"a", "1"}}, get: "b", wantOK: false, wantLen: 1},
		{name: "set replaces", sets: [][2]string{{"a", "1"}, {"b", "2"}, {"a", "3"}}, get: "a", want: "3", wantOK: true, wantLen: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCache[string, string]()
			var got string
			var ok bool
			var n int
			await(t, func() {
				for _, kv := range tt.sets {
					c.Set(kv[0], kv[1])
				}
				got, ok = c.Get(tt.get)
				n = c.Len()
			}, "Set, Get and Len, called one after the other, never returned: does every method Unlock (RUnlock) "+
				"on every path? defer c.mu.Unlock() right after Lock")
			assert.Equal(t, tt.wantOK, ok, "Get(%q) found a value?", tt.get)
			assert.Equal(t, tt.want, got, "Get(%q) value", tt.get)
			assert.Equal(t, tt.wantLen, n, "Len after %v", tt.sets)
		})
	}
}

func TestCacheConcurrentReadersAndWriters(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	const writers, readers, keys = 4, 4, 200
	c := NewCache[int, int]()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			<-start
			for k := range keys {
				c.Set(k, w*keys+k) // every writer writes every key: writes really collide
			}
		})
	}
	errs := make(chan string, readers)
	for range readers {
		wg.Go(func() {
			<-start
			for k := range keys {
				if v, ok := c.Get(k); ok && v%keys != k {
					errs <- fmt.Sprintf("Get(%d) = %d, a value never stored for that key", k, v)
					return
				}
				if n := c.Len(); n < 0 || n > keys {
					errs <- fmt.Sprintf("Len() = %d while at most %d keys exist", n, keys)
					return
				}
			}
		})
	}
	close(start)
	await(t, wg.Wait, "Get, Set and Len called at once never finished: is a lock not released?")
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	assert.Equal(t, keys, c.Len(), "every key was Set at least once")
	// If the race detector reported a race above: Get and Len need RLock, and Set needs Lock — an
	// RLock lets two writers into the map at once.
}

func TestGetOrComputeRunsOncePerKey(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	const callers = 8
	c := NewCache[string, int]()
	var calls atomic.Int32
	release := make(chan struct{})
	compute := func(key string) int {
		calls.Add(1)
		<-release // hold every computation open until all callers are inside GetOrCompute
		return len(key)
	}
	results := make(chan int, callers)
	var wg sync.WaitGroup
	// The test holds the write lock while the callers start, so each one's read-locked lookup waits.
	// Unlocking lets them all in as readers together: every one of them misses before any can take
	// the write lock, which is the moment a missing second look lets them all compute.
	c.mu.Lock()
	for range callers {
		wg.Go(func() { results <- c.GetOrCompute("gopher", compute) })
	}
	waitParked(t, ").GetOrCompute(", callers,
		"%d goroutines called GetOrCompute while the test held the cache's lock, but they never all waited inside it", callers)
	c.mu.Unlock()
	// Gate: wait until all callers are blocked inside GetOrCompute again (one in compute, the rest
	// waiting for it — or, if the key is not guarded, all of them in compute).
	waitParked(t, ").GetOrCompute(", callers,
		"%d goroutines called GetOrCompute at once but they never all waited inside it", callers)
	close(release)
	await(t, wg.Wait, "GetOrCompute never returned after compute finished: do you Unlock on every path?")
	close(results)
	require.EqualValues(t, 1, calls.Load(),
		"compute ran %d times for one key while %d goroutines called GetOrCompute(\"gopher\") at once, all of them "+
			"missing in their read-locked lookup; want exactly 1. Hold the write lock while you compute and store, "+
			"and after taking it look the key up again (another goroutine may have stored it since your "+
			"read-locked lookup)", calls.Load(), callers)
	for got := range results {
		assert.Equal(t, len("gopher"), got, "every caller gets the computed value")
	}

	await(t, func() { c.GetOrCompute("gopher", compute) }, "GetOrCompute on a stored key never returned")
	assert.EqualValues(t, 1, calls.Load(), "GetOrCompute on a key that is already stored must not compute it again")
}

func TestGetOrComputeKeys(t *testing.T) {
	t.Run("stored key is not computed", func(t *testing.T) {
		c := NewCache[string, int]()
		c.Set("a", 7)
		var got int
		await(t, func() {
			got = c.GetOrCompute("a", func(string) int { t.Error("compute called for a key that was Set"); return 0 })
		}, "GetOrCompute on a stored key never returned: does it take a lock it already holds?")
		assert.Equal(t, 7, got, "GetOrCompute returns the stored value")
	})
	t.Run("missing key is stored", func(t *testing.T) {
		c := NewCache[string, int]()
		var got int
		await(t, func() { got = c.GetOrCompute("abc", func(k string) int { return len(k) }) },
			"GetOrCompute on a missing key never returned: RWMutex is not reentrant — calling Get or Lock "+
				"again while you hold the lock blocks forever")
		assert.Equal(t, 3, got, "GetOrCompute returns what compute returned")
		v, ok := c.Get("abc")
		assert.True(t, ok && v == 3, "after GetOrCompute, Get finds the computed value (got %d, %v)", v, ok)
	})
	t.Run("many keys at once", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		const goroutines, keys = 8, 100
		c := NewCache[int, int]()
		var calls [keys]atomic.Int32
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				<-start
				for k := range keys {
					if v := c.GetOrCompute(k, func(k int) int { calls[k].Add(1); return k * k }); v != k*k {
						t.Errorf("GetOrCompute(%d) = %d, want %d", k, v, k*k)
						return
					}
					c.Get(k)
				}
			})
		}
		close(start)
		await(t, wg.Wait, "GetOrCompute for many keys at once never finished")
		for k := range keys {
			assert.EqualValues(t, 1, calls[k].Load(), "compute calls for key %d (want exactly one per key)", k)
		}
		assert.Equal(t, keys, c.Len(), "every key is stored")
	})
}

// TestReadersShareTheLock holds the cache's read lock in the test, as another reader would: every read
// must get in alongside it. A read that takes the write lock waits until the test lets go, so readers
// queue up one behind the other, which is what an RWMutex is there to avoid.
func TestReadersShareTheLock(t *testing.T) {
	reads := []struct {
		name string
		read func(c *Cache[string, int])
	}{
		{"Get", func(c *Cache[string, int]) { c.Get("a") }},
		{"Len", func(c *Cache[string, int]) { c.Len() }},
		{"GetOrCompute of a stored key", func(c *Cache[string, int]) {
			c.GetOrCompute("a", func(string) int { t.Error("compute called for a key that was Set"); return 0 })
		}},
	}
	for _, tt := range reads {
		t.Run(tt.name, func(t *testing.T) {
			coursetest.CheckLeaksBriefly(t)
			c := NewCache[string, int]()
			await(t, func() { c.Set("a", 1); c.mu.RLock() }, // the test is a reader
				"the test could not read-lock the cache after one Set: does Set Unlock?")
			// done receives what read panicked with, or nil when it returned.
			done := make(chan any, 1)
			go readBesideAReader(done, func() { tt.read(c) })
			coursetest.WaitUntil(t, func() bool { return len(done) > 0 || parked("guarded.readBesideAReader") > 0 },
				"%s neither returned nor waited", tt.name)
			if len(done) == 0 {
				t.Errorf("%s waited while another goroutine held the read lock: reads must share the lock — "+
					"take c.mu.RLock, not c.mu.Lock, where you only look (in GetOrCompute too, while the key is stored)", tt.name)
			}
			c.mu.RUnlock()
			var r any
			await(t, func() { r = <-done }, "%s never returned after the test released the read lock", tt.name)
			if r != nil {
				panic(r) // re-raise on the test goroutine so the report names the test
			}
		})
	}
}

// TestReadsRaceWithWrites runs each read alone in a goroutine of its own, beside a goroutine that
// writes. The reader takes no other lock on the way, so nothing orders its reads after the writes
// unless the read itself takes the lock, and the race detector reports an unguarded read on every run.
func TestReadsRaceWithWrites(t *testing.T) {
	const rounds = 300
	reads := []struct {
		name  string
		write func(c *Cache[int, int], cnt *Counter, i int)
		read  func(c *Cache[int, int], cnt *Counter, i int)
	}{
		{"Counter.Value beside Inc", func(_ *Cache[int, int], cnt *Counter, _ int) { cnt.Inc() },
			func(_ *Cache[int, int], cnt *Counter, _ int) { cnt.Value() }},
		{"Get beside Set", func(c *Cache[int, int], _ *Counter, i int) { c.Set(i, i) },
			func(c *Cache[int, int], _ *Counter, i int) { c.Get(i) }},
		{"Len beside Set", func(c *Cache[int, int], _ *Counter, i int) { c.Set(i, i) },
			func(c *Cache[int, int], _ *Counter, _ int) { c.Len() }},
		{"GetOrCompute of a stored key beside Set", func(c *Cache[int, int], _ *Counter, i int) { c.Set(i, i) },
			func(c *Cache[int, int], _ *Counter, _ int) { c.GetOrCompute(-1, func(int) int { return -1 }) }},
	}
	for _, tt := range reads {
		t.Run(tt.name, func(t *testing.T) {
			coursetest.CheckLeaksBriefly(t)
			c := NewCache[int, int]()
			c.Set(-1, -1)
			var cnt Counter
			start := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				<-start
				for i := range rounds {
					tt.write(c, &cnt, i)
				}
			})
			wg.Go(func() {
				<-start
				for i := range rounds {
					tt.read(c, &cnt, i)
				}
			})
			close(start)
			await(t, wg.Wait, "%s never finished: is a lock not released?", tt.name)
			// If the race detector reported a race above: this read must take the lock (RLock for the
			// cache, Lock for the counter), because a write can happen at the same moment.
		})
	}
}

// TestGetOrComputeStoresBeforeUnlocking puts a reader in line for the cache's lock while
// GetOrCompute computes a missing key under the write lock. An RWMutex lets waiting readers in the
// moment the writer unlocks, before any other writer: so the reader sees whatever GetOrCompute left
// behind when it unlocked. If the value is not stored by then, another caller can take the lock in
// that moment, miss again and compute the key a second time.
func TestGetOrComputeStoresBeforeUnlocking(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	c := NewCache[string, int]()
	entered, release := make(chan struct{}), make(chan struct{})
	var returned atomic.Bool
	got := make(chan int, 1)
	go func() {
		got <- c.GetOrCompute("k", func(k string) int {
			close(entered)
			<-release
			returned.Store(true)
			return 42
		})
	}()
	await(t, func() { <-entered }, "GetOrCompute(\"k\") on an empty cache never called compute")
	seen := make(chan [2]bool, 1) // {value stored, compute had returned}
	go probeAfterCompute(c, "k", &returned, seen)
	// With the write lock held during compute the probe waits for it; a solution that computes
	// outside the cache's lock lets it through at once, which tells nothing but is allowed.
	coursetest.WaitUntil(t, func() bool { return len(seen) > 0 || parked("guarded.probeAfterCompute") > 0 },
		"a reader that started while compute ran neither finished nor waited for the lock")
	close(release)
	var v int
	await(t, func() { v = <-got }, "GetOrCompute never returned after compute finished: do you Unlock on every path?")
	assert.Equal(t, 42, v, "GetOrCompute returns what compute returned")
	var s [2]bool
	await(t, func() { s = <-seen }, "a reader waiting for the cache's lock never got it after GetOrCompute returned")
	if s[1] && !s[0] {
		t.Errorf("GetOrCompute let go of the write lock before it had stored the value compute returned: a reader " +
			"waiting for the lock got in and found the key still missing. Another GetOrCompute caller could " +
			"get in the same way and compute the key again. Store the value before you Unlock (with defer Unlock, " +
			"write c.m[key] = v; do not call Set after unlocking)")
	}
}

// probeAfterCompute read-locks c, looks key up, and sends whether it was stored and whether compute
// had returned by then. TestGetOrComputeStoresBeforeUnlocking finds it by name in the stack dump.
func probeAfterCompute(c *Cache[string, int], key string, returned *atomic.Bool, seen chan<- [2]bool) {
	c.mu.RLock()
	_, ok := c.m[key]
	r := returned.Load()
	c.mu.RUnlock()
	seen <- [2]bool{ok, r}
}

// await is coursetest.WithinUnlessDeadlocked for this test's goroutines inside a Counter or Cache
// method: it reports a deadlock at once instead of after the guard's patience.
func await(t *testing.T, fn func(), format string, args ...any) {
	t.Helper()
	test, _, _ := strings.Cut(t.Name(), "/")
	mine := "guarded." + test + "."
	coursetest.WithinUnlessDeadlocked(t, func(g coursetest.Goroutine) bool {
		return strings.Contains(g.Stack, mine) &&
			(strings.Contains(g.Stack, "guarded.(*Cache[") || strings.Contains(g.Stack, "guarded.(*Counter)"))
	}, fn, format, args...)
}

// readBesideAReader runs read, then sends what it panicked with (nil if it returned) on done.
// TestReadersShareTheLock finds it by name in the stack dump.
func readBesideAReader(done chan<- any, read func()) {
	defer func() { done <- recover() }()
	read()
}

// waitParked waits until want goroutines are parked (blocked on a channel or a lock, not running) with
// fn on their stack, and fails the test with the message if that does not happen within
// coursetest.Patience. It polls a stack dump: that is how a test can see goroutines that wait on a
// sync.Mutex, which testing/synctest cannot.
func waitParked(t *testing.T, fn string, want int, format string, args ...any) {
	t.Helper()
	coursetest.WaitUntil(t, func() bool { return parked(fn) >= want }, format, args...)
}

// parked counts the goroutines that are blocked (on a channel, a mutex, a condition...) with fn
// somewhere on their stack.
func parked(fn string) int {
	count := 0
	for _, g := range coursetest.Goroutines() {
		switch g.State {
		case "running", "runnable", "syscall", "preempted", "copystack", "dead", "idle":
			continue
		}
		if strings.Contains(g.Stack, fn) {
			count++
		}
	}
	return count
}
