package grader

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// heartbeatEvery is how often the grader says what it is still doing while a step is slow.
var heartbeatEvery = 10 * time.Second

// heartbeat writes the progress lines of a grading run: one line per graded exercise and, every
// heartbeatEvery, one line for each step that has been running longer than that, so a student
// watching a slow exercise knows that the grader is still working and how long it will wait.
type heartbeat struct {
	w       io.Writer
	mu      sync.Mutex
	running map[string]time.Time
	done    chan struct{}
	wg      sync.WaitGroup
}

func newHeartbeat(w io.Writer) *heartbeat {
	h := &heartbeat{w: w, running: map[string]time.Time{}, done: make(chan struct{})}
	if w == nil {
		return h
	}
	h.wg.Go(func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-h.done:
				return
			case now := <-t.C:
				h.mu.Lock()
				for what, since := range h.running {
					if d := now.Sub(since); d >= heartbeatEvery {
						fmt.Fprintf(h.w, "  still %s (%s)...\n", what, d.Round(time.Second))
					}
				}
				h.mu.Unlock()
			}
		}
	})
	return h
}

func (h *heartbeat) begin(what string) {
	h.mu.Lock()
	h.running[what] = time.Now()
	h.mu.Unlock()
}

func (h *heartbeat) end(what string) { h.endWith(what, "") }

// endWith ends a step and writes line, under the same lock as the heartbeat's own lines.
func (h *heartbeat) endWith(what, line string) {
	h.mu.Lock()
	delete(h.running, what)
	if h.w != nil && line != "" {
		io.WriteString(h.w, line)
	}
	h.mu.Unlock()
}

func (h *heartbeat) stop() {
	close(h.done)
	h.wg.Wait()
}
