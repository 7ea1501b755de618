package coursetest

import "time"

// Guard is After for a guard that is usually abandoned because the awaited event happened first: it
// returns the channel and a stop function to call then (defer it). A guard that is not stopped fires
// CurrentPatience later anyway, and marks the binary as having hung: in a long run (-count=50) every
// later guard would then wait only Hurried although nothing hung.
func Guard() (timeout <-chan time.Time, stop func()) {
	ch := make(chan time.Time, 1)
	t := time.AfterFunc(CurrentPatience(), func() {
		fired.Store(true)
		ch <- time.Now()
	})
	return ch, func() { t.Stop() }
}

// MarkHung records that a test has declared a hang without a guard (a shorter patience of its own
// ran out), so that every later guard of the binary waits only Hurried, as after a guard's.
func MarkHung() { fired.Store(true) }
