// Package pubsub is a small publish/subscribe broker: every message published goes to every current
// subscriber, each of which reads its own channel.
//
// Policy for slow subscribers: Publish never waits. Each subscription has a buffer of its own size;
// when a subscriber's buffer is full, that subscriber misses the message (it is dropped for that
// subscriber only) and Publish moves on. A slow or stuck subscriber loses messages, but it can never
// hold up a publisher or the other subscribers.
package pubsub

import "context"

// Broker delivers published messages to subscribers. It is safe for concurrent use. Create one with
// New.
type Broker[T any] struct {
	// TODO: choose the fields: a lock, the subscriptions keyed by their channel, a closed flag.
}

// New returns a broker with no subscribers.
func New[T any]() *Broker[T] {
	// TODO: build an empty broker.
	panic("TODO: implement New (day3_queues/pubsub)")
}

// Subscribe returns a channel that receives every message published from now on, with room for
// buffer messages that have not been received yet (see the package documentation for what happens
// when it is full). The subscription ends, and the channel is closed after any messages already in
// it, when Unsubscribe is called, when ctx ends or when the broker is closed. Subscribe on a closed
// broker returns a closed channel. It starts no goroutine.
func (b *Broker[T]) Subscribe(ctx context.Context, buffer int) <-chan T {
	// TODO: register a buffered channel; to end it when ctx ends without a goroutine per
	// subscription, use context.AfterFunc (and keep its stop func for Unsubscribe).
	panic("TODO: implement Broker.Subscribe (day3_queues/pubsub)")
}

// Unsubscribe ends the subscription whose channel is ch and closes ch; messages already in it can
// still be received. Unsubscribing a channel twice, or one the broker did not make, does nothing.
func (b *Broker[T]) Unsubscribe(ch <-chan T) {
	// TODO: remove and close under the lock, so no Publish can send on a closed channel.
	panic("TODO: implement Broker.Unsubscribe (day3_queues/pubsub)")
}

// Publish offers msg to every subscriber without waiting, and returns how many received it: a
// subscriber whose buffer is full misses msg. Messages from one publisher reach each subscriber in
// the order they were published.
func (b *Broker[T]) Publish(msg T) int {
	// TODO: a select with a default case sends without waiting.
	panic("TODO: implement Broker.Publish (day3_queues/pubsub)")
}

// Close ends every subscription. After Close, Publish delivers to nobody and Subscribe returns a
// closed channel. Closing twice does nothing.
func (b *Broker[T]) Close() {
	// TODO: end every subscription and remember that the broker is closed.
	panic("TODO: implement Broker.Close (day3_queues/pubsub)")
}
