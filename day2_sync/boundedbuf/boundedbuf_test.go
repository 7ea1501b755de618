package boundedbuf

import (
	"fmt"
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
			coursetest.Bubble(t, "Put or Get blocked although the buffer was neither full nor empty", func(t *testing.T) {
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
	coursetest.CheckLeaks(t)
	coursetest.Bubble(t, "a Put or Get was left blocked for good", func(t *testing.T) {
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
	coursetest.CheckLeaks(t)
	coursetest.Bubble(t, "a Get was left blocked for good", func(t *testing.T) {
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
		coursetest.CheckLeaks(t)
		coursetest.Bubble(t, "Gets were left blocked for good", func(t *testing.T) {
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
		coursetest.CheckLeaks(t)
		coursetest.Bubble(t, "Puts were left blocked for good", func(t *testing.T) {
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
}

func TestCloseWakesEveryoneAndDrains(t *testing.T) {
	const waiters = 3
	t.Run("waiting Gets", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		coursetest.Bubble(t, "Gets were left blocked after Close", func(t *testing.T) {
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
		coursetest.CheckLeaks(t)
		coursetest.Bubble(t, "Puts were left blocked after Close", func(t *testing.T) {
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
		coursetest.Bubble(t, "Get blocked on a closed buffer", func(t *testing.T) {
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

func TestConcurrentProducersConsumers(t *testing.T) {
	coursetest.CheckLeaks(t)
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
	coursetest.Within(t, producersWG.Wait, "%d producers putting into a buffer that %d consumers drain never finished", producers, consumers)
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
	deadline := time.After(coursetest.Patience)
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
