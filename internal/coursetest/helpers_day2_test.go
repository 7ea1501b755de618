package coursetest

import (
	"strings"
	"testing"
)

func TestBubbleStuckOnLock(t *testing.T) {
	dump := func(states ...string) string {
		var b strings.Builder
		for i, s := range states {
			b.WriteString("goroutine " + string(rune('1'+i)) + " [" + s + "]:\nmain.f()\n\t/x.go:1 +0x1\n\n")
		}
		return b.String()
	}
	tests := []struct {
		name string
		dump string
		want bool
	}{
		{"all durable", dump("chan receive (durable), synctest bubble 1", "synctest.Wait (durable), synctest bubble 1"), false},
		{"durable and a mutex", dump("chan receive (durable), synctest bubble 1", "sync.Mutex.Lock, synctest bubble 1"), true},
		{"a mutex and a runnable one", dump("runnable, synctest bubble 1", "sync.Mutex.Lock, synctest bubble 1"), false},
		{"a mutex outside any bubble", dump("sync.Mutex.Lock", "chan receive (durable), synctest bubble 2"), false},
		{"read lock", dump("sync.RWMutex.RLock, synctest bubble 3"), true},
	}
	for _, tt := range tests {
		if got := bubbleStuckOnLock(tt.dump); got != tt.want {
			t.Errorf("%s: bubbleStuckOnLock = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSummariseLeaks(t *testing.T) {
	stack := "github.com/gocourse/week11/day2_sync/guarded.(*Cache[...]).Get(0x1)\n" +
		"\t/home/me/week11/day2_sync/guarded/guarded.go:46 +0x65\n" +
		"created by github.com/gocourse/week11/day2_sync/guarded.TestX in goroutine 7\n" +
		"\t/home/me/week11/day2_sync/guarded/guarded_test.go:9 +0x1\n"
	var gs []leaked
	for range 3 {
		gs = append(gs, leaked{state: "sync.RWMutex.RLock", stack: "sync.(*RWMutex).RLock(0x1)\n\t/go/src/sync/rwmutex.go:74 +0x48\n" + stack})
	}
	gs = append(gs, leaked{state: "chan receive", stack: "main.main()\n\t/x.go:1 +0x1\n"})
	got := summariseLeaks(gs)
	want := "  3 × sync.RWMutex.RLock in guarded.(*Cache[...]).Get (guarded.go:46)\n" +
		"  1 × chan receive in (no frame in the course's code)"
	if got != want {
		t.Errorf("summariseLeaks =\n%s\nwant\n%s", got, want)
	}
	var many []leaked
	for i := range 8 {
		many = append(many, leaked{state: "s" + string(rune('a'+i))})
	}
	if n := strings.Count(summariseLeaks(many), "\n") + 1; n != maxLeakLines+1 {
		t.Errorf("8 groups summarised in %d lines, want %d", n, maxLeakLines+1)
	}
}
