package pool

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// stuck is the hint shown when a fake-time test ends with goroutines still blocked.
const stuck = "Run got stuck or left worker goroutines behind: close the jobs channel after the last job so " +
	"the workers' range loops end, and wait for them (sync.WaitGroup) before returning"

// TestRunReturnsResultsInJobOrder checks results[i] == fn(jobs[i]) although later jobs finish first.
func TestRunReturnsResultsInJobOrder(t *testing.T) {
	coursetest.CheckLeaks(t)
	for _, tc := range []struct{ workers, jobs int }{
		{1, 10}, {3, 10}, {4, 100}, {8, 3}, {2, 0}, {0, 5}, {-2, 5},
	} {
		t.Run(fmt.Sprintf("%d workers %d jobs", tc.workers, tc.jobs), func(t *testing.T) {
			coursetest.Bubble(t, stuck, func(t *testing.T) {
				jobs := make([]int, tc.jobs)
				want := make([]string, tc.jobs)
				for i := range jobs {
					jobs[i] = i
					want[i] = fmt.Sprint(i * i)
				}
				got, err := Run(tc.workers, jobs, func(j int) (string, error) {
					time.Sleep(time.Duration(tc.jobs-j) * time.Millisecond) // later jobs are quicker
					return fmt.Sprint(j * j), nil
				})
				assert.NoError(t, err, "no job failed, so Run must return a nil error")
				assert.Equal(t, want, got, "Run must return results[i] = fn(jobs[i]), in the order of jobs")
			})
		})
	}
}

// TestRunNeverExceedsWorkers checks, with a high-water mark, that at most workers jobs run at once.
func TestRunNeverExceedsWorkers(t *testing.T) {
	coursetest.CheckLeaks(t)
	for _, workers := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			coursetest.Bubble(t, stuck, func(t *testing.T) {
				var hw coursetest.HighWater
				jobs := make([]int, 20)
				_, err := Run(workers, jobs, func(int) (int, error) {
					hw.Enter()
					defer hw.Exit()
					time.Sleep(time.Second) // every job in flight overlaps every other one
					return 0, nil
				})
				assert.NoError(t, err)
				assert.LessOrEqual(t, hw.Max(), int64(workers),
					"%d jobs ran at once with workers = %d: start exactly workers goroutines and have them take "+
						"jobs from a channel, instead of one goroutine per job", hw.Max(), workers)
			})
		})
	}
}

// TestRunKeepsEveryWorkerBusy proves the pool reaches workers jobs at once (a gate), with no more
// goroutines than that, and that a worker that finishes a job takes the next one straight away, whichever
// job finishes first.
func TestRunKeepsEveryWorkerBusy(t *testing.T) {
	coursetest.CheckLeaks(t)
	for _, tc := range []struct{ workers, jobs int }{{2, 6}, {4, 10}, {8, 8}} {
		for _, newestFirst := range []bool{false, true} {
			order := "oldest"
			if newestFirst {
				order = "newest"
			}
			t.Run(fmt.Sprintf("%d workers %d jobs %s first", tc.workers, tc.jobs, order), func(t *testing.T) {
				coursetest.Bubble(t, stuck, func(t *testing.T) {
					jobs := make([]int, tc.jobs)
					release := make([]chan struct{}, tc.jobs)
					for i := range jobs {
						jobs[i] = i
						release[i] = make(chan struct{})
					}
					startedCh := make(chan int, tc.jobs) // each job sends its number when it starts
					runDone := make(chan struct{})
					goroutinesBefore := runtime.NumGoroutine()
					go func() {
						defer close(runDone)
						_, _ = Run(tc.workers, jobs, func(j int) (int, error) {
							startedCh <- j
							<-release[j]
							return j, nil
						})
					}()

					running := map[int]bool{} // jobs started and not yet released
					drain := func() {
						for {
							select {
							case j := <-startedCh:
								running[j] = true
							default:
								return
							}
						}
					}
					synctest.Wait() // every worker is blocked in a job
					drain()
					// Besides the goroutine calling Run: the workers, and at most two helpers (say, one feeding
					// the jobs and one collecting the results).
					extra := runtime.NumGoroutine() - goroutinesBefore - 1
					assert.LessOrEqual(t, extra, tc.workers+2,
						"Run had %d goroutines while its jobs ran, with workers = %d and %d jobs: start workers "+
							"goroutines that take jobs from a channel, not a goroutine per job waiting for its turn "+
							"(each waiting goroutine costs memory: a million jobs would make a million goroutines)",
						extra, tc.workers, tc.jobs)
					if assert.Len(t, running, tc.workers,
						"with %d workers and %d jobs, %d jobs must be running at once, but %d were: "+
							"start workers goroutines, each taking jobs from a shared channel",
						tc.workers, tc.jobs, tc.workers, len(running)) {
						// Finish the running jobs one at a time, the oldest or the newest first: a freed worker
						// must pick up the next job at once.
						pick := slices.Min[[]int]
						if newestFirst {
							pick = slices.Max[[]int]
						}
						for finished := 1; finished <= tc.jobs && len(running) > 0; finished++ {
							j := pick(slices.Collect(maps.Keys(running)))
							close(release[j])
							release[j] = nil
							delete(running, j)
							synctest.Wait()
							drain()
							if !assert.Len(t, running, min(tc.workers, tc.jobs-finished),
								"after %d of %d jobs finished (the %s running job first each time), a freed worker "+
									"must take the next job at once (%d workers must stay busy while jobs remain): "+
									"don't deal the jobs out to the workers in advance, let each worker take the next "+
									"one from a shared channel when it is free", finished, tc.jobs, order, tc.workers) {
								break
							}
						}
					}
					for _, ch := range release { // let whatever still waits finish
						if ch != nil {
							close(ch)
						}
					}
					<-runDone
				})
			})
		}
	}
}

// TestRunReportsEveryError checks every job runs and every error is returned, joined in job order.
func TestRunReportsEveryError(t *testing.T) {
	coursetest.CheckLeaks(t)
	errBad := errors.New("bad job")
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			coursetest.Bubble(t, stuck, func(t *testing.T) {
				var ran atomic.Int64
				jobs := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
				results, err := Run(workers, jobs, func(j int) (int, error) {
					ran.Add(1)
					time.Sleep(time.Duration(10-j) * time.Millisecond) // later jobs fail first
					if j%3 == 1 {
						return -1, fmt.Errorf("job %d: %w", j, errBad)
					}
					return 10 * j, nil
				})
				assert.Equal(t, int64(len(jobs)), ran.Load(), "every job must run, even after an error")
				require.Error(t, err, "jobs 1, 4 and 7 failed, so Run must return an error")
				assert.ErrorIs(t, err, errBad, "the returned error must wrap the jobs' errors (errors.Join)")
				assert.Equal(t, "job 1: bad job\njob 4: bad job\njob 7: bad job", err.Error(),
					"Run must return errors.Join of every job's error, in job order (not in finishing order)")
				assert.Equal(t, []int{0, -1, 20, 30, -1, 50, 60, -1, 80, 90}, results,
					"results[i] must hold what fn returned for jobs[i], including for failed jobs")
			})
		})
	}
}

// TestRunLeavesNoWorkersBehind checks, with goleak, that no worker goroutine is left once Run returns.
func TestRunLeavesNoWorkersBehind(t *testing.T) {
	coursetest.CheckLeaks(t)
	for _, tc := range []struct{ workers, jobs int }{{1, 1}, {4, 3}, {4, 50}} {
		t.Run(fmt.Sprintf("%d workers %d jobs", tc.workers, tc.jobs), func(t *testing.T) {
			before := goleak.IgnoreCurrent() // blame only goroutines started by this subtest
			jobs := make([]string, tc.jobs)
			for i := range jobs {
				jobs[i] = strings.Repeat("x", i)
			}
			var got []int
			coursetest.Within(t, func() {
				got, _ = Run(tc.workers, jobs, func(s string) (int, error) { return len(s), nil })
			}, "Run with %d workers and %d quick jobs never returned", tc.workers, tc.jobs)
			assert.Len(t, got, tc.jobs)
			assert.NoError(t, goleak.Find(before), "worker goroutines were still alive after Run returned: "+
				"close the jobs channel after the last job so the workers' range loops end, and wait for them")
		})
	}
}
