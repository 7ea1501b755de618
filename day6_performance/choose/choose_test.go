package choose

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestChooseScenarios(t *testing.T) {
	for _, tc := range []struct {
		name    string
		traits  Traits
		procs   int
		model   Model
		workers int
	}{
		{"crawl 500 pages", Traits{Tasks: 500, Blocking: true}, 4, Goroutines, 500},
		{"call an API 50,000 times", Traits{Tasks: 50_000, Blocking: true}, 4, Pool, IOWorkersPerP * 4},
		{"exactly MaxGoroutines waiting tasks", Traits{Tasks: MaxGoroutines, Blocking: true}, 2, Goroutines, MaxGoroutines},
		{"one more than MaxGoroutines", Traits{Tasks: MaxGoroutines + 1, Blocking: true}, 2, Pool, IOWorkersPerP * 2},
		{"resize 1,000 images", Traits{Tasks: 1000, CPUHeavy: true}, 8, Pool, 8},
		{"hash 3 files on 8 Ps", Traits{Tasks: 3, CPUHeavy: true}, 8, Pool, 3},
		{"CPU-heavy and waiting", Traits{Tasks: 100, CPUHeavy: true, Blocking: true}, 2, Pool, 2},
		{"transcode with ffmpeg", Traits{Tasks: 40, NonGo: true, CPUHeavy: true}, 4, Processes, 4},
		{"run students' plugins", Traits{Tasks: 10, Untrusted: true}, 2, Processes, 2},
		{"a cgo library that may crash", Traits{Tasks: 200, CrashProne: true, Blocking: true}, 4, Processes, 4},
		{"a parser that may need 20 GiB", Traits{Tasks: 6, MemoryHungry: true, CPUHeavy: true}, 16, Processes, 6},
		{"one small task", Traits{Tasks: 1}, 4, Goroutines, 1},
		{"no tasks at all", Traits{}, 4, Goroutines, 1},
		{"a thousand small tasks", Traits{Tasks: 1000}, 1, Goroutines, 1000},
		{"twenty thousand small tasks", Traits{Tasks: 20_000}, 2, Goroutines, 20_000}, // the cap is for waiting tasks
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Choose(tc.traits, tc.procs)
			assert.Equal(t, tc.model.String(), got.Model.String(), "%+v on %d Ps: the model (rules apply in order: "+
				"isolation first, then CPU, then waiting)", tc.traits, tc.procs)
			assert.Equal(t, tc.workers, got.Workers, "%+v on %d Ps: the number of workers (the rule's number, "+
				"at most Tasks, at least 1)", tc.traits, tc.procs)
			assert.NotEmpty(t, got.Reason, "every Choice says why in one sentence")
		})
	}
}

func TestChooseRejectsBadInput(t *testing.T) {
	Choose(Traits{Tasks: 1}, 1) // one task on one P is fine
	assert.Panics(t, func() { Choose(Traits{Tasks: 1}, 0) }, "Choose with 0 Ps must panic")
	assert.Panics(t, func() { Choose(Traits{Tasks: -1}, 2) }, "Choose with a negative number of tasks must panic")
}
