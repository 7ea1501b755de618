// Mutant: Transfer is Withdraw then Deposit, two separate critical sections: Total can see the money in neither account.
// Package bank is Day 2's second exercise: Go has no reentrant lock (Python's threading.RLock), so
// code that needs two locks must take them in one agreed order, and helpers that run under a lock say
// so in their name (…Locked) instead of locking again.
package bank

import (
	"errors"
	"sync"
)

var (
	// ErrInsufficientFunds is returned when a withdrawal or transfer would make a balance negative.
	ErrInsufficientFunds = errors.New("bank: insufficient funds")
	// ErrSameAccount is returned by Transfer when from and to are the same account.
	ErrSameAccount = errors.New("bank: transfer from an account to itself")
	// ErrInvalidAmount is returned when an amount is zero or negative.
	ErrInvalidAmount = errors.New("bank: amount must be positive")
)

// Bank is a fixed set of accounts numbered 0, 1, 2, ... Every method may be called from many
// goroutines at once. An id that is not an account's is a programming error and panics.
//
// Lock order: a goroutine that needs several accounts locks them in increasing id order, so no two
// goroutines can each hold an account the other one waits for.
type Bank struct {
	accounts []*account
}

// account is one account; mu guards balance.
type account struct {
	id      int
	mu      sync.Mutex
	balance int64
}

// New returns a bank with one account per balance: account i starts with balances[i].
func New(balances ...int64) *Bank {
	b := &Bank{accounts: make([]*account, len(balances))}
	for i, bal := range balances {
		b.accounts[i] = &account{id: i, balance: bal}
	}
	return b
}

// depositLocked adds amount to the balance. The caller must hold a.mu.
func (a *account) depositLocked(amount int64) {
	a.balance += amount
}

// withdrawLocked takes amount from the balance, or returns ErrInsufficientFunds and changes nothing.
// The caller must hold a.mu.
func (a *account) withdrawLocked(amount int64) error {
	if a.balance < amount {
		return ErrInsufficientFunds
	}
	a.balance -= amount
	return nil
}

// Balance returns the balance of account id.
func (b *Bank) Balance(id int) int64 {
	a := b.accounts[id]
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}

// Total returns the sum of all balances, as one consistent snapshot: a Transfer running at the same
// time is counted either wholly or not at all, so Total never changes while only Transfers run.
func (b *Bank) Total() int64 {
	for _, a := range b.accounts { // in id order, like every other multi-account lock
		a.mu.Lock()
	}
	var sum int64
	for _, a := range b.accounts {
		sum += a.balance
		a.mu.Unlock()
	}
	return sum
}

// Deposit adds amount to account id. It returns ErrInvalidAmount if amount <= 0.
func (b *Bank) Deposit(id int, amount int64) error {
	if amount <= 0 {
		return ErrInvalidAmount
	}
	a := b.accounts[id]
	a.mu.Lock()
	defer a.mu.Unlock()
	a.depositLocked(amount)
	return nil
}

// Withdraw takes amount from account id. It returns ErrInvalidAmount if amount <= 0 and
// ErrInsufficientFunds, changing nothing, if the balance is smaller than amount.
func (b *Bank) Withdraw(id int, amount int64) error {
	if amount <= 0 {
		return ErrInvalidAmount
	}
	a := b.accounts[id]
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.withdrawLocked(amount)
}

// Transfer moves amount from account from to account to, atomically: no other goroutine sees the
// money in both accounts or in neither. It returns ErrInvalidAmount if amount <= 0, ErrSameAccount
// if from == to, and ErrInsufficientFunds, changing nothing, if from's balance is smaller than
// amount. Transfers in opposite directions may run at the same time without deadlocking.
func (b *Bank) Transfer(from, to int, amount int64) error {
	if amount <= 0 {
		return ErrInvalidAmount
	}
	if from == to {
		return ErrSameAccount // locking one mutex twice would deadlock: Go's locks are not reentrant
	}
	if err := b.Withdraw(from, amount); err != nil {
		return err
	}
	return b.Deposit(to, amount)
}
