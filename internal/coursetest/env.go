package coursetest

// The race detector takes its options from GORACE when a process starts, and some of them switch
// its reports off (report_bugs=0), send them elsewhere (log_path), suppress them (suppressions) or
// change the exit status (exitcode). A test binary that re-executes itself with such a GORACE would
// run racy code without a report. Every test package of the course imports this package, so its
// init runs in every process of every test binary, children included, and refuses to go on with
// such a GORACE. Where the grader started the binary it also names, in GraderRaceEnv, the GORACE
// it set; then any other GORACE is refused. A student's plain `go test -race` sets neither and runs;
// its child processes get GORACE=atexit_sleep_ms=0.

import (
	"fmt"
	"os"
	"strings"
)

// GraderRaceEnv names the variable in which the grader tells the tests which GORACE it set
// (internal/grader's GraderRaceEnv has the same value).
const GraderRaceEnv = "COURSE_GRADER_GORACE"

// raceOptionOK says which GORACE options leave the detector's verdicts alone, and which values.
var raceOptionOK = map[string]func(string) bool{
	"atexit_sleep_ms":       func(string) bool { return true },
	"halt_on_error":         func(string) bool { return true },
	"history_size":          func(string) bool { return true },
	"strip_path_prefix":     func(string) bool { return true },
	"second_deadlock_stack": func(string) bool { return true },
	"exitcode":              func(v string) bool { return v == "66" },
	"log_path":              func(v string) bool { return v == "stdout" || v == "stderr" },
	"report_bugs":           func(v string) bool { return v == "1" },
}

// CheckRaceEnv returns why the race detector may not run with the environment gorace (GORACE) and
// graderSet (the value of GraderRaceEnv, "" when the grader did not start the binary), or "".
func CheckRaceEnv(gorace string, graderSet string, graderMarked bool) string {
	if graderMarked && gorace != graderSet {
		return fmt.Sprintf("GORACE is %q, but the grader set %q: something changed the race detector's options, so this test binary refuses to run", gorace, graderSet)
	}
	for _, opt := range strings.Fields(gorace) {
		k, v, _ := strings.Cut(opt, "=")
		if ok := raceOptionOK[k]; ok == nil || !ok(v) {
			return fmt.Sprintf("GORACE contains %q, which would hide data races or change how they fail a test, so this test binary refuses to run (unset GORACE, or keep only options such as atexit_sleep_ms)", opt)
		}
	}
	return ""
}

func init() {
	if !raceEnabled {
		return
	}
	set, marked := os.LookupEnv(GraderRaceEnv)
	if msg := CheckRaceEnv(os.Getenv("GORACE"), set, marked); msg != "" {
		fmt.Fprintln(os.Stderr, "coursetest: "+msg)
		os.Exit(3)
	}
	// A -race process sleeps a second when it exits unless GORACE says otherwise (make and the grader
	// say so). This process has read GORACE already; the processes its tests start (the test binary
	// re-executed as a worker) read it from here, so that a student's plain `go test -race` does not
	// wait a second for every worker process a test ends.
	if _, set := os.LookupEnv("GORACE"); !set {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
}
