// Package choose is Day 6's second exercise: choosing between goroutines, a bounded pool of
// goroutines and worker processes for a job, from what its tasks do. Python chooses by the GIL:
// threads for waiting, processes for computing. Go has no GIL, so goroutines do both; processes are
// for what goroutines cannot give: isolation. A goroutine that crashes takes the whole program with
// it, a goroutine cannot be killed or limited in memory, and all goroutines share one address space
// with code you may not trust. A process can be killed, limited and restarted, and its crash is an
// exit status.
package choose

import "fmt"

// Traits describe the tasks of a job.
type Traits struct {
	Tasks        int  // how many tasks there are
	CPUHeavy     bool // a task keeps a core busy from start to finish
	Blocking     bool // a task spends most of its time waiting: network, disk, other services
	CrashProne   bool // a task may crash the process: cgo, unsafe, a library that calls os.Exit
	MemoryHungry bool // a task may need more memory than the program can spare, and must be limited
	Untrusted    bool // a task runs code nobody here wrote or checked
	NonGo        bool // a task is another program, in another language
}

// Model is a way to run a job's tasks.
type Model int

const (
	// Goroutines runs each task on a goroutine of its own, all at once.
	Goroutines Model = iota
	// Pool runs the tasks on a fixed number of goroutines.
	Pool
	// Processes runs the tasks in a fixed number of worker processes.
	Processes
)

func (m Model) String() string {
	switch m {
	case Goroutines:
		return "Goroutines"
	case Pool:
		return "Pool"
	case Processes:
		return "Processes"
	}
	return fmt.Sprintf("Model(%d)", int(m))
}

// MaxGoroutines is the largest job of Blocking tasks that Choose gives a goroutine per task: past it,
// they go to a Pool, so that a burst of waiting work cannot open millions of connections at once.
const MaxGoroutines = 10_000

// IOWorkersPerP is how many workers per P a Pool of waiting tasks gets.
const IOWorkersPerP = 16

// Choice is how to run a job: the model, how many goroutines or processes run tasks at once, and
// why, in one sentence.
type Choice struct {
	Model   Model
	Workers int
	Reason  string
}

// Choose picks how to run a job on procs Ps (GOMAXPROCS), by these rules, the first that applies:
//
//  1. Tasks that are NonGo, Untrusted, CrashProne or MemoryHungry need isolation: Processes, one
//     worker per P (procs).
//  2. CPUHeavy tasks are limited by cores: a Pool of procs workers (more only take turns).
//  3. Blocking tasks use no core while they wait: Goroutines, one per task, when there are at most
//     MaxGoroutines of them, and otherwise a Pool of IOWorkersPerP × procs workers.
//  4. Anything else is cheap: Goroutines, one per task.
//
// Workers is the rule's number, but never more than Tasks, and never less than 1. Reason is never
// empty. Choose panics if procs < 1 or Tasks < 0.
func Choose(t Traits, procs int) Choice {
	// TODO: check the arguments, then apply the rules above in order; clamp Workers to 1..Tasks.
	panic("TODO: implement Choose (day6_performance/choose)")
}
