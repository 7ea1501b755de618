package boundedbuf

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPutGetFIFO(t *testing.T) {
	for _, capacity := range []int{1, 2, 5} {
		t.Run(fmt.Sprintf("capacity %d", capacity), func(t *testing.T) {
			coursetest.BubbleWatchingLocks(t, "Put or Get blocked although the buffer was neither full nor empty", func(t *testing.T) {
				b := New[int](capacity)
				for round := range 3 { // fill up, drain, again: the buffer must reuse its space
					for i := range capacity {
						require.NoError(t, b.Put(round*100+i), "Put into a buffer holding %d of %d", i, capacity)
					}
					require.Equal(t, capacity, b.Len(), "Len of a full buffer")
					for i := range capacity {
						v, err := b.Get()
						require.NoError(t, err, "Get from a buffer holding %d items", capacity-i)
						require.Equal(t, round*100+i, v, "Get returns items in the order they were Put (FIFO)")
					}
					require.Equal(t, 0, b.Len(), "Len after taking everything out")
				}
			})
		})
	}
}

func TestPutBlocksWhenFull(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	coursetest.BubbleWatchingLocks(t, "a Put or Get was left blocked for good", func(t *testing.T) {
		b := New[string](2)
		require.NoError(t, b.Put("a"))
		require.NoError(t, b.Put("b"))
		p := putAsync(b, "c")
		synctest.Wait()
		if p.returned() {
			t.Fatalf("Put into a full buffer (capacity 2) returned %v instead of waiting; Len is now %d. "+
				"Put must wait on a condition while len(items) == capacity", p.err, b.Len())
		}
		assert.Equal(t, 2, b.Len(), "Len of a full buffer with a Put waiting")

		v, err := b.Get()
		require.NoError(t, err)
		assert.Equal(t, "a", v, "first Get")
		synctest.Wait()
		require.True(t, p.returned(), "Get made room but the waiting Put did not wake up: Get must Signal a waiting Put")
		require.NoError(t, p.err, "the Put that waited for room")
		assert.Equal(t, 2, b.Len(), "Len after one Get and the waiting Put")
		for _, want := range []string{"b", "c"} {
			v, err := b.Get()
			require.NoError(t, err)
			assert.Equal(t, want, v, "items come out in order")
		}
	})
}

func TestGetBlocksWhenEmpty(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	coursetest.BubbleWatchingLocks(t, "a Get was left blocked for good", func(t *testing.T) {
		b := New[int](3)
		g := getAsync(b)
		synctest.Wait()
		if g.returned() {
			t.Fatalf("Get on an empty, open buffer returned (%v, %v) instead of waiting for a Put", g.v, g.err)
		}
		require.NoError(t, b.Put(42))
		synctest.Wait()
		require.True(t, g.returned(), "Put added an item but the waiting Get did not wake up: Put must Signal a waiting Get")
		require.NoError(t, g.err, "the Get that waited for an item")
		assert.Equal(t, 42, g.v, "the Get that waited for an item")
		assert.Equal(t, 0, b.Len(), "Len after the waiting Get took the item")
	})
}

// TestWakeupsRecheckTheCondition wakes many waiters for one item (or one free slot) at a time. Only
// one of them may proceed; whatever wakes the others (a Broadcast, another goroutine getting there
// first), they must find the condition false again and go back to waiting.
func TestWakeupsRecheckTheCondition(t *testing.T) {
	const waiters = 5
	t.Run("many Gets, one item at a time", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "Gets were left blocked for good", func(t *testing.T) {
			b := New[int](waiters)
			gets := make([]*getCall, waiters)
			for i := range gets {
				gets[i] = getAsync(b)
			}
			defer closeUntilReturned(b, gets...)
			synctest.Wait()
			seen := map[int]bool{}
			for item := range waiters {
				require.NoError(t, b.Put(item))
				synctest.Wait()
				done := 0
				for _, g := range gets {
					if g.returned() {
						done++
						require.NoError(t, g.err, "a Get woken up after Put(%d) failed: after waking, check the "+
							"condition again in a for loop — another Get may have taken the item", item)
						seen[g.v] = true
					}
				}
				require.Equal(t, item+1, done, "after %d Puts, %d of %d waiting Gets have returned; want exactly %d",
					item+1, done, waiters, item+1)
				assert.Equal(t, 0, b.Len(), "the one item put was taken")
			}
			assert.Len(t, seen, waiters, "every item was received exactly once (got %v)", seen)
		})
	})
	t.Run("many Puts, one free slot at a time", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "Puts were left blocked for good", func(t *testing.T) {
			b := New[int](1)
			require.NoError(t, b.Put(-1))
			puts := make([]*call, waiters)
			for i := range puts {
				puts[i] = putAsync(b, i)
			}
			defer closeUntilReturned(b, puts...)
			synctest.Wait()
			for freed := range waiters {
				_, err := b.Get()
				require.NoError(t, err)
				synctest.Wait()
				done := 0
				for _, p := range puts {
					if p.returned() {
						done++
						require.NoError(t, p.err, "a waiting Put")
					}
				}
				require.LessOrEqual(t, b.Len(), 1, "buffer of capacity 1 holds %d items: a Put woken up must check "+
					"again, in a for loop, that there is room — another Put may have taken the slot", b.Len())
				require.Equal(t, freed+1, done, "after %d Gets, %d of %d waiting Puts have returned; want exactly %d",
					freed+1, done, waiters, freed+1)
			}
		})
	})
	// In the next two, the test itself takes the item (or the slot) that a waiting goroutine was woken
	// for, before that goroutine has run. It almost never runs before the test's second call; 20 rounds
	// make sure it doesn't in at least one. (If it does, the test's call waits, and a timer frees it a
	// fake second later: that round proves nothing.)
	const rounds = 20
	t.Run("a Get woken for an item another Get took", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "a Get was left blocked for good", func(t *testing.T) {
			b := New[int](1)
			for round := range rounds {
				g := getAsync(b)
				synctest.Wait()
				require.NoError(t, b.Put(1)) // wakes g
				rescue := time.AfterFunc(time.Second, func() { _ = b.Put(-1) })
				v, err := b.Get() // at once: the test takes the item g was woken for
				rescued := !rescue.Stop()
				require.NoError(t, err, "round %d: Get", round)
				synctest.Wait()
				if rescued { // g took the item first
					require.True(t, g.returned(), "round %d: the woken Get", round)
					require.NoError(t, g.err, "round %d: the woken Get", round)
					continue
				}
				require.Equal(t, 1, v, "round %d: Get", round)
				if g.returned() {
					t.Fatalf("round %d: a Get woken by a Put whose item another Get had taken returned (%v, %v) instead "+
						"of waiting again: wait in a for loop, not an if, so that a woken Get checks again that "+
						"there is an item", round, g.v, g.err)
				}
				require.NoError(t, b.Put(2), "round %d: Put", round)
				synctest.Wait()
				require.True(t, g.returned(), "round %d: the waiting Get never got the next item", round)
				require.NoError(t, g.err, "round %d: the waiting Get", round)
				assert.Equal(t, 2, g.v, "round %d: the waiting Get", round)
			}
		})
	})
	t.Run("a Put woken for a slot another Put took", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "a Put was left blocked for good", func(t *testing.T) {
			b := New[int](1)
			require.NoError(t, b.Put(0))
			for round := range rounds {
				p := putAsync(b, 2)
				synctest.Wait()
				_, err := b.Get() // wakes p
				require.NoError(t, err, "round %d: Get from a full buffer", round)
				rescue := time.AfterFunc(time.Second, func() { _, _ = b.Get() })
				err = b.Put(1) // at once: the test takes the slot p was woken for
				rescued := !rescue.Stop()
				require.NoError(t, err, "round %d: Put", round)
				synctest.Wait()
				if !rescued {
					if p.returned() {
						t.Fatalf("round %d: a Put woken by a Get whose free slot another Put had taken returned (%v), and "+
							"the buffer of capacity 1 now holds %d items: wait in a for loop, not an if, so that a woken "+
							"Put checks again that there is room", round, p.err, b.Len())
					}
					v, err := b.Get()
					require.NoError(t, err, "round %d: Get", round)
					require.Equal(t, 1, v, "round %d: Get", round)
					synctest.Wait()
				} // else p put its item first, and the timer's Get took it to make room for the test's
				require.True(t, p.returned(), "round %d: the waiting Put never got a free slot", round)
				require.NoError(t, p.err, "round %d: the waiting Put", round)
				v, err := b.Get()
				require.NoError(t, err, "round %d: Get", round)
				want := 2 // p's item
				if rescued {
					want = 1 // the test's item, since the timer's Get took p's
				}
				require.Equal(t, want, v, "round %d: Get", round)
				require.NoError(t, b.Put(0), "round %d: Put into an empty buffer", round)
			}
		})
	})
}

// TestNoLostWakeups makes two changes in a row, before the goroutines woken by the first one have run:
// every change must wake a goroutine that waits for it, and the right kind of goroutine (a Get for a new
// item, a Put for a free slot). The woken goroutines almost never run between the two calls; 20 rounds
// make sure they don't in at least one.
func TestNoLostWakeups(t *testing.T) {
	const rounds = 20
	t.Run("two Puts in a row wake two Gets", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "Gets were left blocked for good", func(t *testing.T) {
			b := New[int](2)
			for round := range rounds {
				gets := []*getCall{getAsync(b), getAsync(b)}
				synctest.Wait()
				require.NoError(t, b.Put(1))
				require.NoError(t, b.Put(2)) // at once: the first Get has not taken its item yet
				synctest.Wait()
				for i, g := range gets {
					if !g.returned() {
						n := b.Len()
						closeUntilReturned(b, gets...)
						t.Fatalf("round %d: two Puts in a row into an empty buffer with two Gets waiting, and Get #%d "+
							"was never woken although an item was waiting for it (Len %d): signal notEmpty on every Put, "+
							"not only when the buffer was empty — the Get woken by the first Put may not have run yet", round, i, n)
					}
					require.NoError(t, g.err, "round %d: a waiting Get", round)
				}
				assert.ElementsMatch(t, []int{1, 2}, []int{gets[0].v, gets[1].v}, "round %d: the two Gets' items", round)
			}
		})
	})
	t.Run("two Gets in a row wake two Puts", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "Puts were left blocked for good", func(t *testing.T) {
			b := New[int](2)
			for round := range rounds {
				require.NoError(t, b.Put(-1))
				require.NoError(t, b.Put(-2))
				puts := []*call{putAsync(b, 1), putAsync(b, 2)}
				synctest.Wait()
				for _, want := range []int{-1, -2} { // two Gets at once: the first Put has not used its slot yet
					v, err := b.Get()
					require.NoError(t, err)
					require.Equal(t, want, v, "round %d: Get from a full buffer", round)
				}
				synctest.Wait()
				for i, p := range puts {
					if !p.returned() {
						n := b.Len()
						closeUntilReturned(b, puts...)
						t.Fatalf("round %d: two Gets in a row from a full buffer with two Puts waiting, and Put #%d was "+
							"never woken although there was room for it (Len %d): signal notFull on every Get, not only "+
							"when the buffer was full — the Put woken by the first Get may not have run yet", round, i, n)
					}
					require.NoError(t, p.err, "round %d: a waiting Put", round)
				}
				for range 2 {
					_, err := b.Get()
					require.NoError(t, err, "round %d: Get of what the woken Puts added", round)
				}
			}
		})
	})
	// In the next two, the test's second call waits until the goroutine woken by its first call has run.
	// If a Put can wake a Put (or a Get a Get), that wake-up goes to the wrong kind of goroutine, which
	// goes back to sleep, and nobody wakes the test.
	wrongKind := "with one sync.Cond for both Puts and Gets, Signal can wake a goroutine of the wrong kind, which " +
		"goes back to sleep while the one that could proceed is never woken (a lost wake-up): use two conditions, " +
		"notFull for Puts and notEmpty for Gets, and Signal the one whose condition you changed"
	t.Run("a Put wakes a Get, not a Put", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "a Put into a buffer of capacity 1 waited for good while the buffer was empty: "+wrongKind, func(t *testing.T) {
			b := New[int](1)
			for round := range rounds {
				gets := []*getCall{getAsync(b), getAsync(b)}
				synctest.Wait()
				require.NoError(t, b.Put(1))
				require.NoError(t, b.Put(2)) // waits until the first Get has taken 1
				synctest.Wait()
				for _, g := range gets {
					require.True(t, g.returned(), "round %d: a Get waiting on a buffer that received two items never returned", round)
					require.NoError(t, g.err, "round %d: a waiting Get", round)
				}
				assert.ElementsMatch(t, []int{1, 2}, []int{gets[0].v, gets[1].v}, "round %d: the two Gets' items", round)
			}
		})
	})
	t.Run("a Get wakes a Put, not a Get", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "a Get from a buffer of capacity 1 waited for good while the buffer held an item: "+wrongKind, func(t *testing.T) {
			b := New[int](1)
			for round := range rounds {
				require.NoError(t, b.Put(0))
				puts := []*call{putAsync(b, 1), putAsync(b, 2)}
				synctest.Wait()
				var got []int
				for range 2 { // the second Get waits until the first Put has added its item
					v, err := b.Get()
					require.NoError(t, err)
					got = append(got, v)
				}
				synctest.Wait()
				for _, p := range puts {
					require.True(t, p.returned(), "round %d: a Put waiting on a buffer that lost two items never returned", round)
					require.NoError(t, p.err, "round %d: a waiting Put", round)
				}
				v, err := b.Get()
				require.NoError(t, err)
				got = append(got, v)
				assert.Equal(t, 0, got[0], "round %d: the first Get takes the item that was there", round)
				assert.ElementsMatch(t, []int{1, 2}, got[1:], "round %d: then the two Puts' items", round)
			}
		})
	})
}

func TestCloseWakesEveryoneAndDrains(t *testing.T) {
	const waiters = 3
	t.Run("waiting Gets", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "Gets were left blocked after Close", func(t *testing.T) {
			b := New[int](2)
			gets := make([]*getCall, waiters)
			for i := range gets {
				gets[i] = getAsync(b)
			}
			defer closeUntilReturned(b, gets...)
			synctest.Wait()
			b.Close()
			synctest.Wait()
			done := 0
			for _, g := range gets {
				if g.returned() {
					done++
					assert.ErrorIs(t, g.err, ErrClosed, "Get on a closed, empty buffer")
				}
			}
			require.Equal(t, waiters, done, "Close woke %d of %d waiting Gets: Close must Broadcast — Signal wakes only "+
				"one, and the others sleep forever (a lost wake-up)", done, waiters)
		})
	})
	t.Run("waiting Puts", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "Puts were left blocked after Close", func(t *testing.T) {
			b := New[int](1)
			require.NoError(t, b.Put(7))
			puts := make([]*call, waiters)
			for i := range puts {
				puts[i] = putAsync(b, i)
			}
			defer closeUntilReturned(b, puts...)
			synctest.Wait()
			b.Close()
			synctest.Wait()
			done := 0
			for _, p := range puts {
				if p.returned() {
					done++
					assert.ErrorIs(t, p.err, ErrClosed, "a Put waiting when Close was called")
				}
			}
			require.Equal(t, waiters, done, "Close woke %d of %d waiting Puts: Close must Broadcast on both conditions",
				done, waiters)
			assert.Equal(t, 1, b.Len(), "Puts that failed with ErrClosed must not add their item")
		})
	})
	t.Run("drains before reporting closed", func(t *testing.T) {
		coursetest.BubbleWatchingLocks(t, "Get blocked on a closed buffer", func(t *testing.T) {
			b := New[int](3)
			require.NoError(t, b.Put(1))
			require.NoError(t, b.Put(2))
			b.Close()
			b.Close() // closing twice is allowed
			assert.ErrorIs(t, b.Put(3), ErrClosed, "Put after Close")
			for _, want := range []int{1, 2} {
				v, err := b.Get()
				require.NoError(t, err, "Get after Close while items are left must still return them")
				assert.Equal(t, want, v, "items left after Close come out in order")
			}
			for range 2 {
				v, err := b.Get()
				assert.ErrorIs(t, err, ErrClosed, "Get on a closed buffer that is empty")
				assert.Zero(t, v, "the value that goes with ErrClosed")
			}
		})
	})
}

// TestWokenByTwoEventsAtOnce wakes a waiting Put or Get with two changes made back to back, before it
// can run: a slot frees up and the buffer closes, or an item arrives and the buffer closes. The
// waiter must judge by the state it finds, as the doc says: a Put on a closed buffer fails and adds
// nothing, even if there is room now; a Get returns the item left in a closed buffer.
//
// The two changes must both happen before the waiter runs: on one processor (forced here, and put
// back afterwards), the goroutine that Get or Put wakes cannot run until the test blocks in
// synctest.Wait, however many cores the machine has.
func TestWokenByTwoEventsAtOnce(t *testing.T) {
	procs := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	t.Run("a waiting Put, woken by a Get and a Close", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "a Put was left blocked after a Get and a Close", func(t *testing.T) {
			b := New[int](1)
			require.NoError(t, b.Put(1), "Put into an empty buffer")
			p := putAsync(b, 2)
			defer closeUntilReturned(b, p)
			synctest.Wait()
			require.False(t, p.returned(), "Put into a full buffer (capacity 1) must wait")
			v, err := b.Get() // frees the slot the Put waits for...
			require.NoError(t, err, "Get from a full buffer")
			require.Equal(t, 1, v, "Get from a full buffer")
			b.Close() // ...and closes the buffer before the Put has run
			synctest.Wait()
			require.True(t, p.returned(), "a Put waiting on a full buffer stayed blocked after a Get and a Close")
			assert.ErrorIs(t, p.err, ErrClosed, "a Put woken by a Get and a Close at once: once the buffer is closed, "+
				"Put fails, even if a slot is free by the time it looks. Check closed after the wait loop, "+
				"before you append")
			assert.Equal(t, 0, b.Len(), "a Put that failed with ErrClosed must not add its item")
		})
	})
	t.Run("a waiting Get, woken by a Put and a Close", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		coursetest.BubbleWatchingLocks(t, "a Get was left blocked after a Put and a Close", func(t *testing.T) {
			b := New[int](2)
			g := getAsync(b)
			defer closeUntilReturned(b, g)
			synctest.Wait()
			require.False(t, g.returned(), "Get on an empty buffer must wait")
			require.NoError(t, b.Put(7), "Put into an empty buffer") // an item for the waiting Get...
			b.Close()                                                // ...and Close before the Get has run
			synctest.Wait()
			require.True(t, g.returned(), "a Get waiting on an empty buffer stayed blocked after a Put and a Close")
			require.NoError(t, g.err, "a Get woken by a Put and a Close at once: the item is still in the buffer, and "+
				"Get returns what is left before it reports ErrClosed. Decide by the items, not by closed")
			assert.Equal(t, 7, g.v, "the item the Get was woken for")
		})
	})
}

func TestNewPanicsWithoutCapacity(t *testing.T) {
	for _, capacity := range []int{0, -1} {
		t.Run(fmt.Sprintf("New(%d)", capacity), func(t *testing.T) {
			var r any
			func() {
				defer func() { r = recover() }()
				New[int](capacity)
			}()
			require.NotNil(t, r, "New(%d) must panic: a buffer that can hold no item would make every Put wait forever",
				capacity)
			if strings.HasPrefix(fmt.Sprint(r), "TODO:") {
				panic(r) // not written yet: report it like every other test does
			}
		})
	}
}

func TestConcurrentProducersConsumers(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	const capacity, producers, consumers, perProducer = 4, 4, 4, 500
	b := New[int](capacity)
	var producersWG, consumersWG sync.WaitGroup
	start := make(chan struct{})
	for p := range producers {
		producersWG.Go(func() {
			<-start
			for i := range perProducer {
				if err := b.Put(p*perProducer + i); err != nil {
					t.Errorf("Put before Close = %v", err)
					return
				}
				if n := b.Len(); n > capacity {
					t.Errorf("Len() = %d in a buffer of capacity %d", n, capacity)
					return
				}
			}
		})
	}
	received := make([][]int, consumers)
	for c := range consumers {
		consumersWG.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Get panicked: %v (after a wake-up, re-check the condition in a for loop)", r)
				}
			}()
			<-start
			for {
				v, err := b.Get()
				if err != nil {
					assert.ErrorIs(t, err, ErrClosed, "Get")
					return
				}
				received[c] = append(received[c], v)
			}
		})
	}
	close(start)
	producersDone := make(chan struct{})
	go func() {
		producersWG.Wait()
		close(producersDone)
	}()
	if !returnsUnlessAllAsleep(producersDone, "boundedbuf.TestConcurrentProducersConsumers.") {
		t.Fatalf("%d producers putting into a buffer that %d consumers drain never finished: every producer and "+
			"consumer is asleep in Put or Get at once, so nobody is left to wake them: a lost wake-up (Put must "+
			"Signal notEmpty, Get must Signal notFull)", producers, consumers)
	}
	b.Close()
	consumersDone := make(chan struct{})
	go func() {
		consumersWG.Wait()
		close(consumersDone)
	}()
	if !returnsAfterClose(consumersDone) {
		t.Errorf("after Close, Gets stayed asleep in sync.Cond.Wait: Close must Broadcast, so that every waiter wakes up")
		for range consumers {
			b.Close() // free them anyway, if Close wakes one at a time
		}
	}
	coursetest.Within(t, func() { <-consumersDone }, "consumers never returned after Close")
	count := make([]int, producers*perProducer)
	for _, got := range received {
		for _, v := range got {
			count[v]++
		}
	}
	for v, n := range count {
		if n != 1 {
			t.Fatalf("item %d was received %d times; every item must be received exactly once", v, n)
		}
	}
	assert.Equal(t, 0, b.Len(), "everything was drained")
}

// returnsAfterClose waits for done, and reports false as soon as a goroutine is seen asleep in
// sync.Cond.Wait inside Get in three stack dumps in a row: once the buffer is closed, nothing can make
// Get wait again, so such a goroutine was never woken by Close and never will be.
func returnsAfterClose(done <-chan struct{}) bool {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline, stop := coursetest.Guard()
	defer stop()
	asleep := 0
	for {
		select {
		case <-done:
			return true
		case <-deadline:
			return false
		case <-tick.C:
		}
		if sleepingInGet() {
			asleep++
		} else {
			asleep = 0
		}
		if asleep == 3 {
			return false
		}
	}
}

// returnsUnlessAllAsleep waits for done, and reports false as soon as, in three stack dumps in a row,
// every goroutine with test (a test's name followed by a dot) on its stack, except those waiting for a
// sync.WaitGroup, is asleep inside a Buffer
// method (in sync.Cond.Wait, or waiting for the mutex) and at least one of them is in Put. With a
// correct buffer that cannot happen: a Put waits only while the buffer is full, a Get only while it
// is empty, and whoever changed that state last woke one of them.
func returnsUnlessAllAsleep(done <-chan struct{}, test string) bool {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline, stop := coursetest.Guard()
	defer stop()
	asleep := 0
	for {
		select {
		case <-done:
			return true
		case <-deadline:
			return false
		case <-tick.C:
		}
		all, inPut, n := true, false, 0
		for _, g := range coursetest.Goroutines() {
			if !strings.Contains(g.Stack, test) || g.State == "sync.WaitGroup.Wait" { // not the test's own waiters
				continue
			}
			n++
			if !strings.Contains(g.Stack, "boundedbuf.(*Buffer[") ||
				(g.State != "sync.Cond.Wait" && g.State != "sync.Mutex.Lock") {
				all = false
				break
			}
			inPut = inPut || strings.Contains(g.Stack, ").Put(")
		}
		if all && inPut && n > 0 {
			asleep++
		} else {
			asleep = 0
		}
		if asleep == 3 {
			return false
		}
	}
}

// sleepingInGet reports whether some goroutine is parked in sync.Cond.Wait with Get on its stack.
func sleepingInGet() bool {
	for _, g := range coursetest.Goroutines() {
		if g.State == "sync.Cond.Wait" && strings.Contains(g.Stack, ").Get(") {
			return true
		}
	}
	return false
}

// call is a Put running on its own goroutine inside a synctest bubble.
type call struct {
	res  chan error
	done bool
	err  error
}

func putAsync[T any](b *Buffer[T], v T) *call {
	c := &call{res: make(chan error, 1)}
	go func() {
		defer recoverInto(c.res)
		c.res <- b.Put(v)
	}()
	return c
}

// returned reports whether the Put has returned, and if so records its error. Call it after
// synctest.Wait.
func (c *call) returned() bool {
	if !c.done {
		select {
		case c.err = <-c.res:
			c.done = true
		default:
		}
	}
	return c.done
}

// getCall is a Get running on its own goroutine inside a synctest bubble.
type getCall struct {
	call
	v    int
	vals chan int
}

func getAsync(b *Buffer[int]) *getCall {
	g := &getCall{call: call{res: make(chan error, 1)}, vals: make(chan int, 1)}
	go func() {
		defer recoverInto(g.res)
		v, err := b.Get()
		g.vals <- v
		g.res <- err
	}()
	return g
}

func (g *getCall) returned() bool {
	if !g.done && g.call.returned() {
		select {
		case g.v = <-g.vals:
		default:
		}
	}
	return g.done
}

// recoverInto turns a panic in Put or Get into an error, so the test reports it instead of crashing.
func recoverInto(res chan<- error) {
	if r := recover(); r != nil {
		res <- fmt.Errorf("panicked: %v", r)
	}
}

// closeUntilReturned closes b (more than once if need be, for code whose Close wakes only one waiter)
// until every call has returned, so that a failed test leaves no goroutine behind.
func closeUntilReturned[C interface{ returned() bool }](b *Buffer[int], calls ...C) {
	for range len(calls) + 1 {
		synctest.Wait()
		stuck := false
		for _, c := range calls {
			stuck = stuck || !c.returned()
		}
		if !stuck {
			return
		}
		b.Close()
	}
}
