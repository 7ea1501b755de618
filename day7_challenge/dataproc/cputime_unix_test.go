//go:build unix

package dataproc

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) used so far by this process and by its children that
// have been waited for: on a machine shared with other work, it measures the work a benchmark did
// where the wall clock measures how much of the machine it got.
func cpuTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}
