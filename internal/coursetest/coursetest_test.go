package coursetest

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeTB records what a helper reports instead of failing the real test. Like testing.T's, its
// Fatalf ends the goroutine that calls it. The embedded testing.TB is nil: a helper that calls any
// other method panics, which the test reports.
type fakeTB struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Error(args ...any) { f.errors = append(f.errors, fmt.Sprint(args...)) }

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// runCleanups runs the registered cleanups, last registered first, as the testing package does.
func (f *fakeTB) runCleanups() {
	for _, fn := range slices.Backward(f.cleanups) {
		fn()
	}
}

// parkOnChannel blocks until ch is closed. Tests start it on a goroutine and look for it by name.
func parkOnChannel(ch <-chan struct{}) { <-ch }

// parkOnMutex blocks until it can lock mu, then closes done and unlocks mu.
func parkOnMutex(mu *sync.Mutex, done chan<- struct{}) {
	mu.Lock()
	close(done)
	mu.Unlock()
}

func TestCheckLeaks(t *testing.T) {
	t.Run("ignores goroutines that were already running", func(t *testing.T) {
		stop := make(chan struct{})
		defer close(stop)
		go parkOnChannel(stop)

		f := &fakeTB{}
		CheckLeaks(f)
		done := make(chan struct{})
		go func() { close(done) }() // a goroutine that starts and ends during the test is no leak
		<-done
		f.runCleanups()
		assert.Empty(t, f.errors, "CheckLeaks blamed the test for a goroutine started before it was called")
	})
	t.Run("reports a goroutine the test left running", func(t *testing.T) {
		// In a bubble, goleak's retries before it reports a leak take no real time.
		synctest.Test(t, func(t *testing.T) {
			f := &fakeTB{}
			CheckLeaks(f)
			stop := make(chan struct{})
			go parkOnChannel(stop)
			f.runCleanups()
			close(stop)
			require.Len(t, f.errors, 1, "CheckLeaks must report the goroutine left blocked when the test ended")
			assert.Contains(t, f.errors[0], "parkOnChannel", "the report names the leaked goroutine's function")
		})
	})
}

func TestEventually(t *testing.T) {
	for _, holdsAfter := range []int{1, 3} {
		t.Run(fmt.Sprintf("cond holds on call %d", holdsAfter), func(t *testing.T) {
			f := &fakeTB{}
			calls := 0
			Eventually(f, func() bool { calls++; return calls >= holdsAfter }, "never")
			assert.Empty(t, f.errors, "Eventually failed although cond came to hold")
			assert.Equal(t, holdsAfter, calls, "Eventually must stop calling cond once it holds")
		})
	}
	t.Run("fails after Patience", func(t *testing.T) {
		// Patience passes in fake time, so this takes no real time.
		fired.Store(false)
		t.Cleanup(func() { fired.Store(false) })
		synctest.Test(t, func(t *testing.T) {
			f := &fakeTB{}
			calls := 0
			start := time.Now()
			done := make(chan struct{})
			go func() {
				defer close(done)
				Eventually(f, func() bool { calls++; return false }, "the %s never came", "bus")
				t.Error("Eventually returned although cond never held")
			}()
			<-done
			assert.Equal(t, Patience, time.Since(start), "Eventually gives up after Patience")
			assert.GreaterOrEqual(t, calls, int(Patience/time.Millisecond), "cond is polled every millisecond")
			require.Len(t, f.errors, 1, "Eventually must fail the test once")
			assert.Contains(t, f.errors[0], "the bus never came", "the failure carries the caller's message")
			assert.Equal(t, Hurried, CurrentPatience(), "once a guard fired, later guards must wait only Hurried")
		})
	})
	t.Run("a later guard hurries", func(t *testing.T) {
		fired.Store(true)
		t.Cleanup(func() { fired.Store(false) })
		synctest.Test(t, func(t *testing.T) {
			f := &fakeTB{}
			start := time.Now()
			done := make(chan struct{})
			go func() {
				defer close(done)
				Eventually(f, func() bool { return false }, "never")
			}()
			<-done
			assert.Equal(t, Hurried, time.Since(start), "after a guard fired, Eventually gives up after Hurried")
			require.Len(t, f.errors, 1, "Eventually must fail the test once")
		})
	})
}

func TestGoroutines(t *testing.T) {
	// find reports whether the snapshot has a goroutine in state with fn on its stack.
	find := func(gs []Goroutine, state, fn string) bool {
		return slices.ContainsFunc(gs, func(g Goroutine) bool {
			return g.State == state && strings.Contains(g.Stack, fn)
		})
	}
	t.Run("the caller is running", func(t *testing.T) {
		assert.True(t, find(Goroutines(), "running", "TestGoroutines"), "Goroutines must include its caller, running")
	})
	t.Run("a goroutine blocked on a channel", func(t *testing.T) {
		stop := make(chan struct{})
		defer close(stop)
		go parkOnChannel(stop)
		Eventually(t, func() bool { return find(Goroutines(), "chan receive", "coursetest.parkOnChannel") },
			"Goroutines never showed parkOnChannel in state \"chan receive\"")
	})
	t.Run("a goroutine blocked on a mutex", func(t *testing.T) {
		var mu sync.Mutex
		mu.Lock()
		done := make(chan struct{})
		go parkOnMutex(&mu, done)
		Eventually(t, func() bool { return find(Goroutines(), "sync.Mutex.Lock", "coursetest.parkOnMutex") },
			"Goroutines never showed parkOnMutex in state \"sync.Mutex.Lock\"")
		mu.Unlock()
		<-done
	})
}

func TestParseGoroutines(t *testing.T) {
	const stack = "main.f()\n\t/x/main.go:5 +0x1d\ncreated by main.main in goroutine 1\n\t/x/main.go:9 +0x25"
	tests := []struct {
		header, want string
	}{
		{"goroutine 1 [running]:", "running"},
		{"goroutine 7 [chan receive, 2 minutes]:", "chan receive"},
		{"goroutine 8 [sync.Mutex.Lock, locked to thread]:", "sync.Mutex.Lock"},
		{"goroutine 9 [select (durable), synctest bubble 1]:", "select (durable)"},
		{"goroutine 10 [select (no cases)]:", "select (no cases)"},
	}
	var dump strings.Builder
	var want []Goroutine
	for _, tt := range tests {
		fmt.Fprintf(&dump, "%s\n%s\n\n", tt.header, stack)
		want = append(want, Goroutine{State: tt.want, Stack: stack})
	}
	assert.Equal(t, want, parseGoroutines(dump.String()), "goroutines parsed from:\n%s", dump.String())
	assert.Empty(t, parseGoroutines(""), "an empty dump has no goroutines")
}

// A test that declares a hang on its own patience (MarkHung) hurries the later guards as a fired
// guard does.
func TestMarkHungHurriesLaterGuards(t *testing.T) {
	fired.Store(false)
	t.Cleanup(func() { fired.Store(false) })
	require.Equal(t, Patience, CurrentPatience(), "before any hang, a guard waits its whole Patience")
	MarkHung()
	assert.Equal(t, Hurried, CurrentPatience(), "after MarkHung, later guards must wait only Hurried")
}

// TestWithinForHurriesAfterAHang: the first WithinFor that runs out waits its whole patience and marks
// the binary as hung; a later one waits at most HurriedFor, however long its own patience.
func TestWithinForHurriesAfterAHang(t *testing.T) {
	fired.Store(false)
	t.Cleanup(func() { fired.Store(false) })
	require.Equal(t, time.Hour, PatienceFor(time.Hour), "before any hang, PatienceFor keeps the patience")
	block := make(chan struct{})
	defer close(block)
	within := func(patience time.Duration) (time.Duration, []string) {
		f := &fakeTB{}
		start := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			WithinFor(f, patience, func() { <-block }, "blocked")
		}()
		<-done
		return time.Since(start), f.errors
	}
	took, errs := within(50 * time.Millisecond)
	require.Len(t, errs, 1, "a WithinFor that runs out of patience fails the test")
	assert.GreaterOrEqual(t, took, 50*time.Millisecond, "before any hang, WithinFor waits its whole patience")
	assert.Equal(t, Hurried, CurrentPatience(), "a WithinFor that ran out marks the binary as hung: later guards hurry")
	assert.Equal(t, HurriedFor, PatienceFor(time.Hour), "after a hang, PatienceFor shortens a patience to HurriedFor")
	assert.Equal(t, time.Millisecond, PatienceFor(time.Millisecond), "PatienceFor never lengthens a patience")
	took, errs = within(time.Hour)
	require.Len(t, errs, 1)
	assert.Less(t, took, HurriedFor+time.Second, "after a hang, WithinFor waits at most HurriedFor, not its own hour")
}
