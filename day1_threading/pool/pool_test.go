package pool

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"runtime/metrics"
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
	coursetest.CheckLeaksIfPassing(t)
	for _, tc := range []struct{ workers, jobs int }{
		{1, 10}, {3, 10}, {4, 100}, {8, 3}, {2, 0}, {0, 5}, {-2, 5},
	} {
		if !t.Run(fmt.Sprintf("%d workers %d jobs", tc.workers, tc.jobs), func(t *testing.T) {
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
				coursetest.EqualSlices(t, want, got, "Run must return results[i] = fn(jobs[i]), in the order of jobs")
			})
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// TestRunNeverExceedsWorkers checks, with a high-water mark, that at most workers jobs run at once.
func TestRunNeverExceedsWorkers(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for _, workers := range []int{1, 2, 3, 8, 0, -3} {
		if !t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			bound := max(1, workers) // workers < 1 counts as 1
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
				assert.LessOrEqual(t, hw.Max(), int64(bound),
					"%d jobs ran at once with workers = %d, want at most %d (workers < 1 counts as 1): start exactly "+
						"that many goroutines and have them take jobs from a channel, instead of one goroutine per job",
					hw.Max(), workers, bound)
			})
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// TestRunKeepsEveryWorkerBusy proves the pool reaches workers jobs at once (a gate), with no more
// goroutines than that, and that a worker that finishes a job takes the next one straight away, whichever
// job finishes first.
func TestRunKeepsEveryWorkerBusy(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
cases:
	for _, tc := range []struct{ workers, jobs int }{{2, 6}, {4, 10}, {8, 8}, {50, 3}} {
		for _, newestFirst := range []bool{false, true} {
			order := "oldest"
			if newestFirst {
				order = "newest"
			}
			if !t.Run(fmt.Sprintf("%d workers %d jobs %s first", tc.workers, tc.jobs, order), func(t *testing.T) {
				inFlight := min(tc.workers, tc.jobs) // exactly min(workers, len(jobs)) worker goroutines
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
					assert.LessOrEqual(t, extra, inFlight+2,
						"Run had %d goroutines while its jobs ran, with workers = %d and %d jobs: start exactly "+
							"min(workers, len(jobs)) goroutines that take jobs from a channel, not a goroutine per job "+
							"waiting for its turn (a million jobs would make a million goroutines), nor more workers "+
							"than there are jobs", extra, tc.workers, tc.jobs)
					if assert.Len(t, running, inFlight,
						"with %d workers and %d jobs, %d jobs must be running at once, but %d were: "+
							"start min(workers, len(jobs)) goroutines, each taking jobs from a shared channel",
						tc.workers, tc.jobs, inFlight, len(running)) {
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
							if !assert.Len(t, running, min(inFlight, tc.jobs-finished),
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
			}) {
				break cases // one failing case is enough to read; the others fail the same way
			}
		}
	}
}

// TestRunReportsEveryError checks every job runs and every error is returned, joined in job order.
func TestRunReportsEveryError(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	errBad := errors.New("bad job")
	for _, workers := range []int{1, 3, 10} { // with 10 workers every job runs at once, and job 9 finishes first
		if !t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
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
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// TestRunLeavesNoWorkersBehind checks that no worker goroutine is left once Run returns: the bubble
// reports any goroutine still blocked when the test ends.
func TestRunLeavesNoWorkersBehind(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for _, tc := range []struct{ workers, jobs int }{{1, 1}, {4, 3}, {4, 50}, {3, 0}} {
		if !t.Run(fmt.Sprintf("%d workers %d jobs", tc.workers, tc.jobs), func(t *testing.T) {
			coursetest.Bubble(t, "Run never returned, or worker goroutines were still blocked after it returned: "+
				"close the jobs channel after the last job so the workers' range loops end, and wait for them "+
				"(sync.WaitGroup) before returning", func(t *testing.T) {
				jobs := make([]string, tc.jobs)
				for i := range jobs {
					jobs[i] = strings.Repeat("x", i)
				}
				got, err := Run(tc.workers, jobs, func(s string) (int, error) { return len(s), nil })
				assert.NoError(t, err)
				assert.Len(t, got, tc.jobs)
			})
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// goroutinesCreated returns how many goroutines the program has created since it started.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestRunStartsExactlyTheWorkersItNeeds counts the goroutines Run creates: min(workers, len(jobs))
// workers (workers < 1 counts as 1), and at most two helpers; never one per job, nor a worker that
// has no job to take.
func TestRunStartsExactlyTheWorkersItNeeds(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for _, tc := range []struct{ workers, jobs int }{{1000, 3}, {1000, 1}, {4, 100}, {0, 10}, {-5, 10}} {
		if !t.Run(fmt.Sprintf("%d workers %d jobs", tc.workers, tc.jobs), func(t *testing.T) {
			coursetest.Bubble(t, stuck, func(t *testing.T) {
				jobs := make([]int, tc.jobs)
				runtime.GC() // start the garbage collector's own goroutines now, not during Run
				// Other goroutines may start meanwhile (a timer's function): take the fewest of a few runs.
				created := uint64(math.MaxUint64)
				for range 3 {
					before := goroutinesCreated()
					_, err := Run(tc.workers, jobs, func(j int) (int, error) { return j, nil })
					created = min(created, goroutinesCreated()-before)
					assert.NoError(t, err)
				}
				want := min(max(1, tc.workers), tc.jobs)
				assert.LessOrEqual(t, created, uint64(want+2), "Run created %d goroutines for %d jobs with workers = %d: "+
					"it must start exactly min(workers, len(jobs)) = %d workers (and at most two helpers), not one "+
					"goroutine per job, nor workers that have no job to take", created, tc.jobs, tc.workers, want)
			})
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}

// TestRunReturnsOnlyAfterEveryWorker runs many small pools with instant jobs, at several GOMAXPROCS
// values, so that a worker which starts late (after the others took every job) is common. Run must
// still wait for it: count the workers with wg.Add before starting them (or use wg.Go), never inside
// them, where Wait may already have returned. Run it with -race, which reports such an Add.
func TestRunReturnsOnlyAfterEveryWorker(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	for _, procs := range []int{1, 2, 4} {
		if !t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			coursetest.Bubble(t, stuck, func(t *testing.T) {
				jobs := []int{1, 2, 3, 4, 5, 6}
				for range 100 {
					var live atomic.Int64
					results, _ := Run(3, jobs, func(j int) (int, error) { live.Add(1); defer live.Add(-1); return -j, nil })
					if live.Load() != 0 || len(results) != len(jobs) || results[5] != -6 {
						t.Fatalf("Run returned while a job was still running, or with results %v", results)
					}
				}
			})
		}) {
			break // one failing case is enough to read; the others fail the same way
		}
	}
}
