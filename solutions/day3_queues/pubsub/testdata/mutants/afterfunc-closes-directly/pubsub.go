// Mutant: When ctx ends the subscription's channel is closed directly, without removing it from the broker, so a later Publish sends on a closed channel.
// Package pubsub is a small publish/subscribe broker: every message published goes to every current
// subscriber, each of which reads its own channel.
//
// Policy for slow subscribers: Publish never waits. Each subscription has a buffer of its own size;
// when a subscriber's buffer is full, that subscriber misses the message (it is dropped for that
// subscriber only) and Publish moves on. A slow or stuck subscriber loses messages, but it can never
// hold up a publisher or the other subscribers.
package pubsub

import (
	"context"
	"sync"
)

// Broker delivers published messages to subscribers. It is safe for concurrent use. Create one with
// New.
type Broker[T any] struct {
	mu     sync.RWMutex // Publish holds it for reading: publishers don't wait for each other
	subs   map[<-chan T]*subscription[T]
	closed bool
}

type subscription[T any] struct {
	ch   chan T
	stop func() bool // cancels the context.AfterFunc that unsubscribes when ctx ends
}

// New returns a broker with no subscribers.
func New[T any]() *Broker[T] {
	return &Broker[T]{subs: make(map[<-chan T]*subscription[T])}
}

// Subscribe returns a channel that receives every message published from now on, with room for
// buffer messages that have not been received yet (see the package documentation for what happens
// when it is full). The subscription ends, and the channel is closed after any messages already in
// it, when Unsubscribe is called, when ctx ends or when the broker is closed. Subscribe on a closed
// broker returns a closed channel. It starts no goroutine.
func (b *Broker[T]) Subscribe(ctx context.Context, buffer int) <-chan T {
	ch := make(chan T, buffer)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(ch)
		return ch
	}
	b.subs[ch] = &subscription[T]{
		ch:   ch,
		stop: context.AfterFunc(ctx, func() { close(ch) }),
	}
	return ch
}

// Unsubscribe ends the subscription whose channel is ch and closes ch; messages already in it can
// still be received. Unsubscribing a channel twice, or one the broker did not make, does nothing.
func (b *Broker[T]) Unsubscribe(ch <-chan T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.subs[ch]; ok {
		delete(b.subs, ch)
		b.end(s)
	}
}

// Publish offers msg to every subscriber without waiting, and returns how many received it: a
// subscriber whose buffer is full misses msg. Messages from one publisher reach each subscriber in
// the order they were published.
func (b *Broker[T]) Publish(msg T) int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	delivered := 0
	for _, s := range b.subs {
		select {
		case s.ch <- msg:
			delivered++
		default: // full: this subscriber misses msg
		}
	}
	return delivered
}

// Close ends every subscription. After Close, Publish delivers to nobody and Subscribe returns a
// closed channel. Closing twice does nothing.
func (b *Broker[T]) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch, s := range b.subs {
		delete(b.subs, ch)
		b.end(s)
	}
}

// end stops s's context watch and closes its channel. The caller holds b.mu for writing, so no
// Publish is sending on the channel.
func (b *Broker[T]) end(s *subscription[T]) {
	if s.stop() {
		close(s.ch)
	}
}
