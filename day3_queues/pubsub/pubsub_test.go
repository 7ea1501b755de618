package pubsub

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gocourse/week11/internal/coursetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type msg struct{ publisher, seq int }

// receiveAll reads ch until it is closed, failing the test if it never is.
func receiveAll[T any](t *testing.T, ch <-chan T, what string) []T {
	t.Helper()
	var all []T
	coursetest.Within(t, func() {
		for v := range ch {
			all = append(all, v)
		}
	}, "%s: the subscription's channel was never closed", what)
	return all
}

func TestEverySubscriberGetsEveryMessage(t *testing.T) {
	coursetest.CheckLeaks(t)
	const publishers, perPublisher, subscribers = 8, 500, 5
	const total = publishers * perPublisher
	b := New[msg]()
	ctx := context.Background()

	chans := make([]<-chan msg, subscribers)
	for i := range chans {
		chans[i] = b.Subscribe(ctx, total) // room for everything: nothing is dropped
	}
	got := make([][]msg, subscribers)
	var short atomic.Int64
	coursetest.Within(t, func() {
		var readers, pubs sync.WaitGroup
		for i, ch := range chans {
			readers.Go(func() {
				for m := range ch {
					got[i] = append(got[i], m)
				}
			})
		}
		for p := range publishers {
			pubs.Go(func() {
				for seq := range perPublisher {
					if n := b.Publish(msg{p, seq}); n != subscribers {
						short.Add(1)
					}
				}
			})
		}
		pubs.Wait()
		b.Close()
		readers.Wait()
	}, "publishing to %d subscribers and closing the broker never finished", subscribers)

	require.Zero(t, short.Load(), "Publish returned fewer than %d deliveries although every buffer had room", subscribers)
	for i, msgs := range got {
		require.Equal(t, total, len(msgs), "subscriber %d: number of messages received", i)
		next := make([]int, publishers)
		for _, m := range msgs {
			if m.seq != next[m.publisher] {
				t.Fatalf("subscriber %d got message %d of publisher %d, expected %d: each subscriber must get every "+
					"message once, in the order its publisher published them", i, m.seq, m.publisher, next[m.publisher])
			}
			next[m.publisher]++
		}
	}
}

func TestSlowSubscriberDoesNotBlockPublish(t *testing.T) {
	coursetest.Bubble(t, "Publish blocked on a subscriber that never reads: Publish must never wait. Send with "+
		"select { case ch <- msg: ... default: } and drop the message for a subscriber whose buffer is full",
		func(t *testing.T) {
			b := New[int]()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stuck := b.Subscribe(ctx, 3) // never reads until the end
			fast := b.Subscribe(ctx, 1)  // reads every message at once

			for i := range 100 {
				n := b.Publish(i)
				want := 1
				if i < 3 {
					want = 2 // the stuck subscriber's buffer still has room
				}
				require.Equal(t, want, n, "Publish(%d) delivered to %d subscribers, want %d: the stuck subscriber "+
					"(buffer 3) gets messages 0-2 and misses the rest", i, n, want)
				require.Equal(t, i, <-fast, "the fast subscriber must get every message")
			}
			b.Close()
			assert.Equal(t, []int{0, 1, 2}, receiveAll(t, stuck, "stuck subscriber"),
				"a full subscriber keeps the messages it has and misses the newer ones")
		})
}

func TestUnsubscribe(t *testing.T) {
	t.Run("basics", func(t *testing.T) {
		b := New[string]()
		ctx := context.Background()
		a := b.Subscribe(ctx, 10)
		c := b.Subscribe(ctx, 10)
		require.Equal(t, 2, b.Publish("one"))
		require.Equal(t, 2, b.Publish("two"))

		b.Unsubscribe(a)
		assert.Equal(t, []string{"one", "two"}, receiveAll(t, a, "unsubscribed channel"),
			"after Unsubscribe the messages already in the channel can still be read, then it is closed")
		require.Equal(t, 1, b.Publish("three"), "Publish after one of two unsubscribed")
		b.Unsubscribe(a)                 // twice: nothing happens
		b.Unsubscribe(make(chan string)) // not the broker's: nothing happens
		require.Equal(t, 1, b.Publish("four"))

		b.Unsubscribe(c)
		assert.Equal(t, []string{"one", "two", "three", "four"}, receiveAll(t, c, "second channel"))
		assert.Zero(t, b.Publish("five"), "Publish with no subscribers")
	})

	t.Run("while publishing", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		b := New[msg]()
		const publishers, churners, rounds = 4, 8, 100
		var bad atomic.Int64
		stop := make(chan struct{})
		coursetest.Within(t, func() {
			var pubs, churn sync.WaitGroup
			for p := range publishers {
				pubs.Go(func() {
					for seq := 0; ; seq++ {
						select {
						case <-stop:
							return
						default:
							b.Publish(msg{p, seq})
							runtime.Gosched() // don't hog the CPU: the churners need it too
						}
					}
				})
			}
			for range churners {
				churn.Go(func() {
					for range rounds {
						ch := b.Subscribe(context.Background(), 4)
						last := map[int]int{}
						for range 2 { // take a couple of messages, then leave
							m := <-ch
							if prev, ok := last[m.publisher]; ok && m.seq <= prev {
								bad.Add(1)
							}
							last[m.publisher] = m.seq
						}
						b.Unsubscribe(ch)
						for range ch { // drains what is left; ends only if ch is closed
						}
					}
				})
			}
			churn.Wait()
			close(stop)
			pubs.Wait()
		}, "subscribing and unsubscribing while others publish never finished: does Unsubscribe close the channel? "+
			"Does Publish wait for a subscriber whose buffer is full?")
		require.Zero(t, bad.Load(), "a subscriber got one publisher's messages out of order")
	})
}

func TestSubscriptionEndsWithContext(t *testing.T) {
	t.Run("no goroutine per subscription", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		before := goleak.IgnoreCurrent()
		b := New[int]()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var chans []<-chan int
		for range 50 {
			chans = append(chans, b.Subscribe(ctx, 1))
		}
		for _, ch := range chans {
			b.Unsubscribe(ch)
		}
		if err := goleak.Find(before); err != nil {
			t.Errorf("after 50 Subscribe and 50 Unsubscribe calls (their context still alive), goroutines are left "+
				"running: a goroutine per subscription that waits for ctx.Done() leaks when the subscriber "+
				"unsubscribes. Use context.AfterFunc and call its stop func in Unsubscribe.\n%v", err)
		}
	})

	t.Run("an ended subscription stops watching its context", func(t *testing.T) {
		coursetest.CheckLeaks(t)
		ctx := &foreignCtx{Context: context.Background(), done: make(chan struct{})}
		defer close(ctx.done)
		before := goleak.IgnoreCurrent()
		b := New[int]()
		for range 10 {
			b.Unsubscribe(b.Subscribe(ctx, 1))
		}
		for range 10 {
			b.Subscribe(ctx, 1)
		}
		b.Close()
		if err := goleak.Find(before); err != nil {
			t.Errorf("10 subscriptions were ended by Unsubscribe and 10 by Close while their context was still "+
				"alive, but something still watches that context: when a subscription ends (Unsubscribe, Close), "+
				"call the stop func that context.AfterFunc returned. Otherwise every subscription leaves its watch "+
				"behind until the context ends (for a context from outside the context package, that is a "+
				"goroutine each).\n%v", err)
		}
	})

	t.Run("cancel ends the subscription", func(t *testing.T) {
		coursetest.Bubble(t, "a subscription did not end with its context: use context.AfterFunc(ctx, ...) to "+
			"unsubscribe", func(t *testing.T) {
			b := New[int]()
			ctx, cancel := context.WithCancel(context.Background())
			mine := b.Subscribe(ctx, 10)
			otherCtx, cancelOther := context.WithCancel(context.Background())
			defer cancelOther()
			other := b.Subscribe(otherCtx, 10)
			require.Equal(t, 2, b.Publish(1))

			cancel()
			synctest.Wait()
			// Nothing is published after the cancel: the subscription must end by itself, not at the next
			// Publish.
			assert.Equal(t, []int{1}, receiveAll(t, mine, "subscription whose context was cancelled, with no "+
				"Publish after the cancel (ending it lazily, when a later Publish notices, is not enough: use "+
				"context.AfterFunc)"),
				"a subscription whose context ends keeps the messages it has, then its channel is closed")
			require.Equal(t, 1, b.Publish(2), "Publish after one subscriber's context was cancelled")

			late := b.Subscribe(ctx, 10) // ctx is already cancelled
			synctest.Wait()
			assert.Empty(t, receiveAll(t, late, "subscription made with a cancelled context"),
				"Subscribe with a cancelled context must give a channel that is (soon) closed")
			b.Unsubscribe(other)
			assert.Equal(t, []int{1, 2}, receiveAll(t, other, "the other subscription"))
		})
	})
}

// foreignCtx is a cancellable context that the context package does not recognise as one of its
// own, like a context from another library. context.AfterFunc watches such a context with a
// goroutine, which ends when the context ends or when the stop func that AfterFunc returned is called.
type foreignCtx struct {
	context.Context // for Deadline and Value
	done            chan struct{}
}

func (c *foreignCtx) Done() <-chan struct{} { return c.done }

func (c *foreignCtx) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

func TestClose(t *testing.T) {
	coursetest.CheckLeaks(t)
	coursetest.Bubble(t, "Close, Publish or Subscribe on a closed broker got stuck", testClose)
}

func testClose(t *testing.T) {
	b := New[string]()
	ctx := context.Background()
	chans := make([]<-chan string, 5)
	for i := range chans {
		chans[i] = b.Subscribe(ctx, 2)
	}
	require.Equal(t, 5, b.Publish("last words"))

	b.Close()
	for i, ch := range chans {
		assert.Equal(t, []string{"last words"}, receiveAll(t, ch, fmt.Sprint("subscriber ", i)),
			"Close must end every subscription, after the messages already buffered")
	}
	assert.Zero(t, b.Publish("anyone?"), "Publish after Close must deliver to nobody")
	assert.Empty(t, receiveAll(t, b.Subscribe(ctx, 1), "Subscribe after Close"),
		"Subscribe after Close must return a closed channel")
	b.Close() // twice: nothing happens
	b.Unsubscribe(chans[0])
}

func TestPublishersRaceForTheLastSlot(t *testing.T) {
	coursetest.Procs(t, 4) // the Publish calls must really run at the same time, on any machine
	coursetest.Bubble(t, "Publish waited for a full subscriber", func(t *testing.T) {
		const rounds, publishers, subscribers = 1000, 4, 32
		b := New[int]()
		defer b.Close()
		chans := make([]<-chan int, subscribers)
		for i := range chans {
			chans[i] = b.Subscribe(context.Background(), 1) // room for one message; emptied after each round
		}
		for r := range rounds {
			var ready, returned, delivered atomic.Int64
			for p := range publishers {
				go func() {
					defer returned.Add(1)
					// Spin until every publisher is here, so that they call Publish together.
					for ready.Add(1); ready.Load() < publishers; {
						runtime.Gosched()
					}
					delivered.Add(int64(b.Publish(p)))
				}()
			}
			synctest.Wait() // every Publish has returned, or is blocked for good
			n := returned.Load()
			for _, ch := range chans {
				for len(ch) > 0 {
					<-ch // empty the buffers, which also lets stuck Publish calls finish
				}
			}
			synctest.Wait()
			if n != publishers {
				for _, ch := range chans {
					for len(ch) > 0 {
						<-ch
					}
				}
				t.Fatalf("round %d: %d Publish calls raced for the last free slot of %d subscribers' buffers, and %d "+
					"of them waited: Publish must never wait. Checking len(ch) < cap(ch) and then sending is two "+
					"steps: another Publish can fill the slot in between. Send with select and a default case",
					r+1, publishers, subscribers, publishers-n)
			}
			require.Equal(t, int64(subscribers), delivered.Load(), "round %d: %d Publish calls offered messages to %d "+
				"subscribers with room for one each: one delivery per subscriber must be counted",
				r+1, publishers, subscribers)
		}
	})
}

func TestCloseWhilePublishing(t *testing.T) {
	coursetest.CheckLeaks(t)
	coursetest.Procs(t, 4)
	for range 20 {
		b := New[int]()
		chans := make([]<-chan int, 8)
		for i := range chans {
			chans[i] = b.Subscribe(context.Background(), 1)
		}
		var panics atomic.Int64
		coursetest.Within(t, func() {
			var wg sync.WaitGroup
			start := make(chan struct{})
			for p := range 4 {
				wg.Go(func() {
					defer func() {
						if recover() != nil {
							panics.Add(1)
						}
					}()
					<-start
					for i := range 200 {
						b.Publish(p*1000 + i)
						if i%8 == 0 {
							b.Subscribe(context.Background(), 1)
						}
					}
				})
			}
			for _, ch := range chans {
				wg.Go(func() {
					for range ch { // ends when Close closes ch
					}
				})
			}
			close(start)
			b.Close()
			wg.Wait()
		}, "Publish, Subscribe and Close running at the same time never finished: does Close close every "+
			"subscription's channel? Does Publish wait for a full subscriber?")
		require.Zero(t, panics.Load(), "Publish or Subscribe panicked while Close ran (a send on a closed channel?): "+
			"Close changes the subscriptions and closes their channels, so it must hold the write lock (Lock, not "+
			"RLock), which no Publish can hold at the same time")
	}
}
