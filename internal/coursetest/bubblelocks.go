package coursetest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// BubbleWatchingLocks is Bubble for code that uses a sync.Mutex inside the bubble. A goroutine
// blocked on a mutex is not durably blocked, so synctest never reports that deadlock, and Bubble's
// real-time watchdog needs CurrentPatience to see it. BubbleWatchingLocks also takes a snapshot of
// every goroutine each millisecond, and when every goroutine in a bubble is either durably blocked or
// waiting to lock a mutex (at least one of them), in three snapshots in a row, nothing in that bubble
// can ever move again: not even its fake clock, which only advances when every goroutine is durably
// blocked. It then ends the test binary at once, as the watchdog does, with hint and that explanation.
func BubbleWatchingLocks(t *testing.T, hint string, f func(t *testing.T)) {
	t.Helper()
	name := t.Name()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		stuck := 0
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if bubbleStuckOnLock(allStacks()) {
				stuck++
			} else {
				stuck = 0
			}
			if stuck == 3 {
				fired.Store(true)
				fmt.Fprintf(os.Stderr, "\n%s: %s\n(deadlock: every goroutine of the test is blocked, and at least one of "+
					"them waits to lock a sync.Mutex that a blocked goroutine holds; a goroutine that holds a lock "+
					"while it waits on a channel or a condition is the usual cause)\n", name, hint)
				panic(fmt.Sprintf("%s: deadlock on a mutex: %s", name, hint))
			}
		}
	}()
	Bubble(t, hint, f)
}

// allStacks returns runtime.Stack's dump of every goroutine.
func allStacks() string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// bubbleStuckOnLock reports whether, in the dump, some synctest bubble has every goroutine either
// durably blocked or waiting to lock a mutex, and at least one of them waiting to lock a mutex.
func bubbleStuckOnLock(dump string) bool {
	type bubble struct{ moving, onLock int }
	bubbles := map[string]*bubble{}
	for block := range strings.SplitSeq(strings.TrimSpace(dump), "\n\n") {
		header, _, _ := strings.Cut(block, "\n")
		_, inside, _ := strings.Cut(header, "[")
		inside, _, _ = strings.Cut(inside, "]")
		_, id, ok := strings.Cut(inside, "synctest bubble ")
		if !ok {
			continue
		}
		if bubbles[id] == nil {
			bubbles[id] = &bubble{}
		}
		state, _, _ := strings.Cut(inside, ",")
		switch {
		case strings.Contains(state, "(durable)"):
		case state == "sync.Mutex.Lock" || state == "sync.RWMutex.Lock" || state == "sync.RWMutex.RLock":
			bubbles[id].onLock++
		default:
			bubbles[id].moving++
		}
	}
	for _, b := range bubbles {
		if b.moving == 0 && b.onLock > 0 {
			return true
		}
	}
	return false
}
