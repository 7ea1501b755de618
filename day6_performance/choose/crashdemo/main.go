// Command crashdemo shows what isolation buys. It runs five tasks, the third of which crashes (a
// nil map write, standing in for a bug in a cgo library or in code you did not write), two ways:
//
//	go run ./day6_performance/choose/crashdemo -mode=goroutines
//	go run ./day6_performance/choose/crashdemo -mode=processes
//
// With goroutines, the crash ends the whole program: no summary, tasks lost, exit status 2. With
// processes, each task runs in a child process (this program started again with -task=N); the crash
// ends that child only, the parent reports it as a failed task and finishes the others.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

const tasks = 5

// task is the work: task 3 has a bug that crashes the process it runs in.
func task(n int) string {
	if n == 3 {
		var m map[string]int
		//lint:ignore SA5000 the crash is what the demo shows
		m["boom"]++ // panics: assignment to entry in nil map
	}
	return fmt.Sprintf("task %d done", n)
}

func main() {
	mode := flag.String("mode", "processes", "goroutines or processes")
	child := flag.Int("task", 0, "run one task and exit (used by -mode=processes)")
	flag.Parse()
	if *child > 0 {
		fmt.Println(task(*child))
		return
	}
	switch *mode {
	case "goroutines":
		runGoroutines()
	case "processes":
		os.Exit(runProcesses())
	default:
		fmt.Fprintln(os.Stderr, "crashdemo: -mode is goroutines or processes")
		os.Exit(2)
	}
}

// runGoroutines runs every task on a goroutine of this process.
func runGoroutines() {
	results := make([]string, tasks)
	var wg sync.WaitGroup
	for i := range tasks {
		wg.Go(func() { results[i] = task(i + 1) })
	}
	wg.Wait()
	// Never reached: the panic in task 3 ended the program, and took the other results with it.
	fmt.Println("summary:", results)
}

// runProcesses runs every task in a child process and reports each one's fate. It returns the exit
// status: 1 if a task failed.
func runProcesses() int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashdemo:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	results := make([]string, tasks)
	var wg sync.WaitGroup
	for i := range tasks {
		wg.Go(func() {
			out, err := exec.CommandContext(ctx, self, "-task", strconv.Itoa(i+1)).Output()
			var exit *exec.ExitError
			switch {
			case errors.As(err, &exit):
				results[i] = fmt.Sprintf("task %d crashed (%v); the other tasks go on", i+1, exit)
			case err != nil:
				results[i] = fmt.Sprintf("task %d could not run: %v", i+1, err)
			default:
				results[i] = string(out[:len(out)-1])
			}
		})
	}
	wg.Wait()
	failed := 0
	for _, r := range results {
		fmt.Println(r)
		if r[len(r)-4:] != "done" {
			failed++
		}
	}
	fmt.Printf("summary: %d of %d tasks done, %d failed, and the program is still here to say so\n", tasks-failed, tasks, failed)
	if failed > 0 {
		return 1
	}
	return 0
}
