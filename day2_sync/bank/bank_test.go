package bank

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// leftLocked ends the message of a guard on a read made after every call the test made has returned:
// if the read waits, one of those calls returned with an account still locked.
const leftLocked = "never returned, although every call before it had returned: one of them left an account " +
	"locked. Unlock on every path, early returns with an error too (defer a.mu.Unlock() right after Lock)"

func TestDepositWithdraw(t *testing.T) {
	tests := []struct {
		name    string
		start   int64
		op      func(b *Bank) error
		wantErr error
		want    int64
	}{
		{"deposit", 100, func(b *Bank) error { return b.Deposit(0, 50) }, nil, 150},
		{"withdraw", 100, func(b *Bank) error { return b.Withdraw(0, 30) }, nil, 70},
		{"withdraw everything", 100, func(b *Bank) error { return b.Withdraw(0, 100) }, nil, 0},
		{"withdraw too much", 100, func(b *Bank) error { return b.Withdraw(0, 101) }, ErrInsufficientFunds, 100},
		{"deposit zero", 100, func(b *Bank) error { return b.Deposit(0, 0) }, ErrInvalidAmount, 100},
		{"deposit negative", 100, func(b *Bank) error { return b.Deposit(0, -5) }, ErrInvalidAmount, 100},
		{"withdraw zero", 100, func(b *Bank) error { return b.Withdraw(0, 0) }, ErrInvalidAmount, 100},
		{"withdraw negative", 100, func(b *Bank) error { return b.Withdraw(0, -5) }, ErrInvalidAmount, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.start)
			var err error
			await(t, func() { err = tt.op(b) }, "%s never returned", tt.name)
			require.ErrorIs(t, err, tt.wantErr, "%s: error", tt.name)
			var bal int64
			await(t, func() { bal = b.Balance(0) }, "Balance after %s %s", tt.name, leftLocked)
			assert.Equal(t, tt.want, bal, "balance after %s (started at %d)", tt.name, tt.start)
		})
	}
	t.Run("concurrent deposits and withdrawals", func(t *testing.T) {
		coursetest.CheckLeaksBriefly(t)
		const goroutines, ops = 4, 500
		b := New(1000)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				<-start
				for range ops {
					if err := b.Deposit(0, 3); err != nil {
						t.Errorf("Deposit(0, 3) = %v", err)
						return
					}
					if err := b.Withdraw(0, 3); err != nil {
						t.Errorf("Withdraw(0, 3) after a deposit of 3 = %v", err)
						return
					}
					if bal := b.Balance(0); bal < 1000-3*goroutines || bal > 1000+3*goroutines {
						t.Errorf("Balance(0) = %d, impossible while each goroutine has at most 3 deposited", bal)
						return
					}
				}
			})
		}
		close(start)
		await(t, wg.Wait, "Deposit, Withdraw and Balance called at once never finished")
		var bal int64
		await(t, func() { bal = b.Balance(0) }, "Balance after the deposits and withdrawals %s", leftLocked)
		assert.EqualValues(t, 1000, bal,
			"%d goroutines each deposited and withdrew 3, %d times: the balance must be back to 1000 (a lost update means a read-modify-write without the lock)", goroutines, ops)
	})
}

func TestTransfer(t *testing.T) {
	tests := []struct {
		name             string
		from, to         int
		amount           int64
		wantErr          error
		want0, want1     int64
		explainIfBlocked string
	}{
		{name: "moves money", from: 0, to: 1, amount: 30, want0: 70, want1: 80},
		{name: "moves money backwards", from: 1, to: 0, amount: 50, want0: 150, want1: 0},
		{name: "empties the account", from: 0, to: 1, amount: 100, want0: 0, want1: 150},
		{name: "insufficient funds change nothing", from: 1, to: 0, amount: 51, wantErr: ErrInsufficientFunds, want0: 100, want1: 50},
		{name: "zero amount", from: 0, to: 1, amount: 0, wantErr: ErrInvalidAmount, want0: 100, want1: 50},
		{name: "negative amount", from: 0, to: 1, amount: -10, wantErr: ErrInvalidAmount, want0: 100, want1: 50},
		{name: "same account", from: 1, to: 1, amount: 10, wantErr: ErrSameAccount, want0: 100, want1: 50,
			explainIfBlocked: ": locking the same account twice blocks forever, because Go's sync.Mutex is not " +
				"reentrant (Go has nothing like Python's reentrant RLock) — check from == to before locking"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(100, 50)
			var err error
			await(t, func() { err = b.Transfer(tt.from, tt.to, tt.amount) },
				"Transfer(%d, %d, %d) never returned%s", tt.from, tt.to, tt.amount, tt.explainIfBlocked)
			require.ErrorIs(t, err, tt.wantErr, "Transfer(%d, %d, %d): error", tt.from, tt.to, tt.amount)
			var got []int64
			var total int64
			await(t, func() { got, total = []int64{b.Balance(0), b.Balance(1)}, b.Total() },
				"Balance or Total after Transfer(%d, %d, %d) %s", tt.from, tt.to, tt.amount, leftLocked)
			assert.Equal(t, []int64{tt.want0, tt.want1}, got,
				"balances after Transfer(%d, %d, %d), starting from [100 50]", tt.from, tt.to, tt.amount)
			assert.EqualValues(t, 150, total, "Total after a transfer: money is moved, never made or lost")
		})
	}
}

// TestOppositeTransfersDoNotDeadlock forces the interleaving that deadlocks code which locks in
// argument order: Transfer(0, 1) holds account 0 and wants 1 while Transfer(1, 0) holds 1 and wants 0.
func TestOppositeTransfersDoNotDeadlock(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	b := New(100, 100)
	errs := make(chan error, 2)

	b.accounts[0].mu.Lock() // the test holds account 0, so both transfers queue up on it
	go func() { errs <- b.Transfer(0, 1, 10) }()
	waitLockedOut(t, 1, func() bool { return len(errs) > 0 }, "Transfer(0, 1, 10) never waited for account 0's mutex, which the test holds: "+
		"does Transfer lock each account's mu?")
	go func() { errs <- b.Transfer(1, 0, 20) }()
	waitLockedOut(t, 2, func() bool { return len(errs) > 0 }, "Transfer(1, 0, 20) never waited for a mutex while the test held account 0")
	// Now Transfer(0, 1) is first in line for account 0. If Transfer(1, 0) took account 1 before
	// queueing for account 0 (argument order), Transfer(0, 1) will get account 0 and wait for 1: deadlock.
	b.accounts[0].mu.Unlock()

	await(t, func() { <-errs; <-errs }, "Transfer(0, 1) and Transfer(1, 0) ran at the same time and never finished")
	var got []int64
	await(t, func() { got = []int64{b.Balance(0), b.Balance(1)} }, "Balance after the transfers %s", leftLocked)
	assert.Equal(t, []int64{110, 90}, got, "balances after +20 and -10 on account 0")
}

// TestTransferChecksFundsUnderLock runs two transfers of the whole balance at once. Both get past
// any check made before the locks are held; only a check made while holding them stops the second.
func TestTransferChecksFundsUnderLock(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	b := New(100, 0)
	errs := make(chan error, 2)

	b.accounts[1].mu.Lock() // hold the destination: both transfers must wait for it (directly or behind each other)
	for range 2 {
		go func() { errs <- b.Transfer(0, 1, 100) }()
	}
	coursetest.WaitUntil(t, func() bool {
		_, waiting := inBank(t)
		return waiting+len(errs) >= 2
	}, "two Transfer(0, 1, 100) calls neither returned nor waited for a mutex while the test held account 1: "+
		"does Transfer lock both accounts?")
	b.accounts[1].mu.Unlock()

	var results []error
	await(t, func() { results = append(results, <-errs, <-errs) }, "two Transfer(0, 1, 100) calls never finished")
	ok := 0
	for _, err := range results {
		if err == nil {
			ok++
		} else {
			assert.ErrorIs(t, err, ErrInsufficientFunds, "the transfer that finds no money left")
		}
	}
	assert.Equal(t, 1, ok, "two transfers of 100 from an account holding 100: exactly one may succeed (got %v)", results)
	var got []int64
	await(t, func() { got = []int64{b.Balance(0), b.Balance(1)} }, "Balance after the transfers %s", leftLocked)
	assert.Equal(t, []int64{0, 100}, got,
		"balances: account 0 must never be overdrawn. Check the balance while you hold both locks, "+
			"not before taking them (check-then-act)")
}

// TestTotalIsASnapshot forces the interleaving that makes a Total which locks one account at a time
// count money twice: Total has counted account 0 and waits for account 1, which the test holds, when
// a transfer moves everything from account 0 to account 2, which Total has not counted yet.
func TestTotalIsASnapshot(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	b := New(100, 0, 0)
	total := make(chan int64, 1)
	transferred := make(chan error, 1)

	b.accounts[1].mu.Lock() // the test holds account 1, so Total stops there
	go func() { total <- b.Total() }()
	waitLockedOut(t, 1, func() bool { return len(total) > 0 }, "Total never waited for account 1's mutex, which the test holds: does Total lock every account?")
	go func() { transferred <- b.Transfer(0, 2, 100) }()
	// A Total that still holds account 0 makes the transfer wait for it; one that let it go lets the
	// transfer through.
	coursetest.WaitUntil(t, func() bool {
		_, waiting := inBank(t)
		return len(transferred) > 0 || waiting == 2
	}, "Transfer(0, 2, 100) neither finished nor waited for a mutex while Total was running")
	b.accounts[1].mu.Unlock()

	var sum int64
	var err error
	await(t, func() { sum, err = <-total, <-transferred }, "Total and Transfer(0, 2, 100), run at the same time, never finished")
	require.NoError(t, err, "Transfer(0, 2, 100) from an account holding 100")
	assert.EqualValues(t, 100, sum, "Total() returned %d while Transfer(0, 2, 100) ran, starting from [100 0 0]; want 100. "+
		"Total counted account 0 before the transfer and account 2 after it: it let go of account 0 before it had "+
		"locked the others. Lock every account (in id order) first, then sum, then unlock", sum)
}

// TestTotalHoldsEveryLockUntilItHasSummed lets a transfer run while Total is halfway through the
// accounts: Total has counted account 0 and waits for account 2, which the test holds, while
// Transfer(0, 3, 100) waits for account 3, which the test holds too. The test lets the transfer
// have account 3 first. A Total that still holds account 0 keeps the transfer waiting; one that let
// account 0 go (after locking account 1, say) lets it move the money to account 3, which Total has
// not counted yet: the 100 is counted twice.
func TestTotalHoldsEveryLockUntilItHasSummed(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	b := New(100, 0, 0, 0)
	total := make(chan int64, 1)
	transferred := make(chan error, 1)

	b.accounts[2].mu.Lock()
	b.accounts[3].mu.Lock()
	unlocked := [4]bool{}
	defer func() { // on a failure below, let go of what the test still holds
		for _, i := range []int{2, 3} {
			if !unlocked[i] {
				b.accounts[i].mu.Unlock()
			}
		}
	}()
	go func() { total <- b.Total() }()
	waitLockedOut(t, 1, func() bool { return len(total) > 0 }, "Total never waited for account 2's mutex, which the test holds: does Total lock every account?")
	go func() { transferred <- b.Transfer(0, 3, 100) }()
	waitLockedOut(t, 2, func() bool { return len(transferred) > 0 }, "Transfer(0, 3, 100) never waited for a mutex while Total waited for account 2")
	b.accounts[3].mu.Unlock()
	unlocked[3] = true
	// A transfer that waited for account 3 now runs to the end; one that waits for account 0 (held by
	// a correct Total) stays where it is.
	coursetest.WaitUntil(t, func() bool {
		_, waiting := inBank(t)
		return len(transferred) > 0 || waiting == 2
	}, "Transfer(0, 3, 100) neither finished nor waited for a mutex")
	b.accounts[2].mu.Unlock()
	unlocked[2] = true

	var sum int64
	var err error
	await(t, func() { sum, err = <-total, <-transferred }, "Total and Transfer(0, 3, 100), run at the same time, never finished")
	require.NoError(t, err, "Transfer(0, 3, 100) from an account holding 100")
	assert.EqualValues(t, 100, sum, "Total() returned %d while Transfer(0, 3, 100) ran, starting from [100 0 0 0]; want 100. "+
		"Total let go of account 0 before it had counted account 3, so the transfer moved money it had counted into "+
		"an account it had not. Hold every account's lock until the sum is done, then unlock them all", sum)
}

// TestWithdrawalsRunShort lines up eight withdrawals of 30 from an account holding 100 behind the
// account's lock, which the test holds, and lets them all go at once: exactly three may succeed.
// A check made under the lock but acted on after letting go of it (check, unlock, lock, subtract)
// lets several see the same balance: the test makes sure they do by switching the account's mutex to
// its first-come-first-served mode (see handOffInOrder), in which the lock passes from one waiter to
// the next and each one that unlocks to lock again goes to the back of the line.
func TestWithdrawalsRunShort(t *testing.T) {
	// The waiting goroutines must be able to run while another one holds the lock.
	procs := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(max(2, procs))
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	ops := []struct {
		name string
		op   func(b *Bank) error
	}{
		{"Withdraw(0, 30)", func(b *Bank) error { return b.Withdraw(0, 30) }},
		{"Transfer(0, 1, 30)", func(b *Bank) error { return b.Transfer(0, 1, 30) }},
	}
	const callers, rounds = 8, 5
	for _, tt := range ops {
		t.Run(tt.name, func(t *testing.T) {
			coursetest.CheckLeaksBriefly(t)
			for round := range rounds {
				b := New(100, 0)
				errs := make(chan error, callers)
				b.accounts[0].mu.Lock()
				for range callers {
					go func() { errs <- tt.op(b) }()
				}
				coursetest.WaitUntil(t, func() bool {
					_, waiting := inBank(t)
					return waiting+len(errs) >= callers
				}, "%d calls of %s neither returned nor waited for account 0's mutex, which the test holds", callers, tt.name)
				if len(errs) == 0 {
					handOffInOrder(t, &b.accounts[0].mu, callers, func() int { return len(errs) })
				}
				b.accounts[0].mu.Unlock()
				ok := 0
				await(t, func() {
					for range callers {
						err := <-errs
						if err == nil {
							ok++
						} else if !errors.Is(err, ErrInsufficientFunds) {
							t.Errorf("%s = %v, want nil or ErrInsufficientFunds", tt.name, err)
						}
					}
				}, "%d calls of %s at once never all returned", callers, tt.name)
				var bal int64
				await(t, func() { bal = b.Balance(0) }, "Balance after %d calls of %s %s", callers, tt.name, leftLocked)
				if ok != 3 || bal != 10 {
					t.Fatalf("round %d: %d calls of %s at once on an account holding 100: %d succeeded and the balance is "+
						"%d; want 3 and 10. Check the balance and take the money in one critical section: a check "+
						"made before the lock, or under a lock you let go of before subtracting, lets several "+
						"callers see the same money", round+1, callers, tt.name, ok, bal)
				}
			}
		})
	}
}

// handOffInOrder switches mu, which the test holds while waiters goroutines of the test wait for it,
// to the mutex's starvation mode, in which Unlock hands the lock to the longest waiter and a goroutine
// that locks again queues behind the others (see the comment in sync.Mutex). A waiter enters that mode
// when it has waited over a millisecond and is woken but finds the lock taken: so the test holds mu
// a little longer, unlocks, locks again at once, and waits until the woken waiter is parked again.
// The mode only changes the order in which the waiters get the lock, which correct code must not
// depend on; it makes wrong code that lets go of the lock between a check and its action fail every
// time instead of now and then.
func handOffInOrder(t *testing.T, mu *sync.Mutex, waiters int, returned func() int) {
	t.Helper()
	time.Sleep(2 * time.Millisecond) // not to wait for a goroutine: Go's threshold for starvation mode is 1 ms
	mu.Unlock()
	// Not await: the waiters are meant to be parked on mu now, which await would take for a deadlock.
	coursetest.Within(t, mu.Lock, "the test let go of an account's mutex for the waiting calls and could not lock it "+
		"again: a call returned with the account still locked. Unlock on every path, early returns with an error too "+
		"(defer a.mu.Unlock() right after Lock)")
	coursetest.WaitUntil(t, func() bool {
		_, waiting := inBank(t)
		return waiting+returned() >= waiters // one may have got the lock before the test did
	}, "a goroutine woken while waiting for an account's mutex never waited again while the test held it")
}

// TestBadIDPanics: an id that is not an account's is a programming error, and every method panics on
// it, changing nothing.
func TestBadIDPanics(t *testing.T) {
	calls := []struct {
		name string
		call func(b *Bank)
	}{
		{"Balance(2)", func(b *Bank) { b.Balance(2) }},
		{"Balance(-1)", func(b *Bank) { b.Balance(-1) }},
		{"Deposit(2, 10)", func(b *Bank) { _ = b.Deposit(2, 10) }},
		{"Withdraw(-1, 10)", func(b *Bank) { _ = b.Withdraw(-1, 10) }},
		{"Transfer(0, 2, 10)", func(b *Bank) { _ = b.Transfer(0, 2, 10) }},
		{"Transfer(2, 0, 10)", func(b *Bank) { _ = b.Transfer(2, 0, 10) }},
		{"Transfer(-1, 1, 10)", func(b *Bank) { _ = b.Transfer(-1, 1, 10) }},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			b := New(100, 50)
			var r any
			await(t, func() {
				defer func() { r = recover() }()
				tt.call(b)
			}, "%s on a bank with accounts 0 and 1 never returned", tt.name)
			assert.NotNil(t, r, "%s on a bank with accounts 0 and 1 must panic: an id that is not an account's is a "+
				"programming error (indexing b.accounts does that for you; don't turn it into a zero or an error)", tt.name)
			var got []int64
			await(t, func() { got = []int64{b.Balance(0), b.Balance(1)} },
				"Balance never returned after %s panicked: did it panic while holding a lock? Look the accounts up before locking", tt.name)
			assert.Equal(t, []int64{100, 50}, got, "balances after %s panicked: nothing may change", tt.name)
		})
	}
}

func TestConcurrentTransfersConserveTotal(t *testing.T) {
	coursetest.CheckLeaksBriefly(t)
	// Readers and transfers truly at once, even under -cpu=1: with one P the goroutines take turns,
	// and the race detector then missed a Balance without its lock in about one run in three.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	const accounts, workers, transfers, initial = 4, 6, 1500, 1000
	balances := make([]int64, accounts)
	for i := range balances {
		balances[i] = initial
	}
	b := New(balances...)

	start, stop := make(chan struct{}), make(chan struct{})
	var workersWG, readersWG sync.WaitGroup
	for w := range workers {
		workersWG.Go(func() {
			<-start
			for i := range transfers {
				from := (w + i) % accounts
				to := (from + 1 + i%(accounts-1)) % accounts // every ordered pair, both directions
				err := b.Transfer(from, to, int64(1+(i*7+w)%60))
				if err != nil && !errors.Is(err, ErrInsufficientFunds) {
					t.Errorf("Transfer(%d, %d, ...) = %v", from, to, err)
					return
				}
			}
		})
	}
	readerErrs := make(chan string, 2)
	readersWG.Go(func() {
		<-start
		for {
			if total := b.Total(); total != accounts*initial {
				readerErrs <- fmt.Sprintf("Total() = %d during transfers, want %d: Total must lock every account "+
					"(in id order) before summing, so it never sees money in flight", total, accounts*initial)
				return
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	})
	readersWG.Go(func() {
		<-start
		for {
			for id := range accounts {
				if bal := b.Balance(id); bal < 0 {
					readerErrs <- fmt.Sprintf("Balance(%d) = %d: an account was overdrawn", id, bal)
					return
				}
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	})
	close(start)
	await(t, workersWG.Wait, "%d goroutines transferring between %d accounts in both directions never finished", workers, accounts)
	close(stop)
	await(t, readersWG.Wait, "Total and Balance never returned after the transfers finished")
	close(readerErrs)
	for e := range readerErrs {
		t.Error(e)
	}
	var total int64
	var bals []int64
	await(t, func() {
		total = b.Total()
		for id := range accounts {
			bals = append(bals, b.Balance(id))
		}
	}, "Total and Balance after the transfers %s", leftLocked)
	assert.EqualValues(t, accounts*initial, total, "money is conserved by transfers")
	for id, bal := range bals {
		assert.GreaterOrEqual(t, bal, int64(0), "Balance(%d) after the transfers", id)
	}
}

// await runs fn on a new goroutine and waits for it. It fails the test at once, with a sentence that
// says "deadlock", if every goroutine inside a Bank method is stuck waiting for an account's mutex,
// and after coursetest.Patience if fn is still running for another reason.
func await(t *testing.T, fn func(), format string, args ...any) {
	t.Helper()
	done := make(chan struct{})
	panicked := make(chan any, 1)
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				panicked <- r
			}
		}()
		fn()
	}()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	wait := coursetest.CurrentPatience()
	deadline, stop := coursetest.Guard()
	defer stop()
	stuck := 0
	for {
		select {
		case <-done:
			select {
			case r := <-panicked:
				panic(r) // re-raise on the test goroutine so the report names the test
			default:
			}
			return
		case <-deadline:
			t.Fatalf("%s\n(still blocked after %v)", fmt.Sprintf(format, args...), wait)
		case <-tick.C:
		}
		// A consistent snapshot in which every goroutine inside the bank waits for a mutex is a
		// deadlock: whoever holds those mutexes is waiting too. Seeing it three times in a row rules
		// out a goroutine that is between two states.
		if inside, waiting := inBank(t); inside > 0 && waiting == inside {
			stuck++
		} else {
			stuck = 0
		}
		if stuck == 3 {
			t.Fatalf("deadlock: %s.\nEvery goroutine inside the bank is waiting for an account's mutex that another "+
				"one holds. Lock accounts in one global order (increasing id), never in argument order, and never "+
				"lock a mutex you already hold", fmt.Sprintf(format, args...))
		}
	}
}

// waitLockedOut waits until want goroutines are inside a Bank method waiting for a sync.Mutex. If
// returned reports that a call the test expected to wait has returned instead, it fails at once.
func waitLockedOut(t *testing.T, want int, returned func() bool, msg string) {
	t.Helper()
	coursetest.WaitUntil(t, func() bool {
		_, waiting := inBank(t)
		return waiting >= want || returned()
	}, "%s", msg)
	if _, waiting := inBank(t); waiting < want && returned() {
		t.Fatalf("%s: it returned instead, while the test held that lock", msg)
	}
}

// inBank counts the goroutines of test t (of its top-level test function, so not those an earlier
// failed test left stuck) that are inside a Bank method, and how many of those are parked waiting to
// lock a sync.Mutex. The counts come from one snapshot (coursetest.Goroutines).
func inBank(t *testing.T) (inside, waiting int) {
	test, _, _ := strings.Cut(t.Name(), "/")
	mine := "bank." + test + ".func" // the test's closures are on the stack of every goroutine it started
	for _, g := range coursetest.Goroutines() {
		if !strings.Contains(g.Stack, "bank.(*Bank).") || !strings.Contains(g.Stack, mine) {
			continue
		}
		inside++
		if g.State == "sync.Mutex.Lock" {
			waiting++
		}
	}
	return inside, waiting
}
