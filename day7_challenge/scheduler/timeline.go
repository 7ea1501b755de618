package scheduler

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"text/tabwriter"
	"time"
)

// Timeline records what ran when, relative to its start, for cmd/schedule. It is safe for
// concurrent use; a nil *Timeline records nothing.
type Timeline struct {
	mu      sync.Mutex
	start   time.Time
	entries []Entry
}

// Entry is one line of a Timeline.
type Entry struct {
	At   time.Duration // since the Timeline's start
	Task string
	What string
}

// NewTimeline returns an empty Timeline that starts at start.
func NewTimeline(start time.Time) *Timeline { return &Timeline{start: start} }

// Record adds an entry at the current time.
func (tl *Timeline) Record(task, what string) {
	if tl == nil {
		return
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.entries = append(tl.entries, Entry{At: time.Since(tl.start), Task: task, What: what})
}

// Entries returns a copy of the entries, in the order they were recorded.
func (tl *Timeline) Entries() []Entry {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return slices.Clone(tl.entries)
}

// Len returns the number of entries.
func (tl *Timeline) Len() int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return len(tl.entries)
}

// Print writes the entries as aligned text, one a line: the time since the start in seconds with
// millisecond precision, the task, what happened.
func (tl *Timeline) Print(w io.Writer) error {
	return PrintEntries(w, tl.Entries())
}

// PrintEntries writes entries as Timeline.Print does.
func PrintEntries(w io.Writer, entries []Entry) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, e := range entries {
		fmt.Fprintf(tw, "%8.3fs\t%s\t%s\n", e.At.Seconds(), e.Task, e.What)
	}
	return tw.Flush()
}
