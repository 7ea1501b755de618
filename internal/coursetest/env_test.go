package coursetest

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestCheckRaceEnv(t *testing.T) {
	for _, tc := range []struct {
		gorace, set string
		marked, ok  bool
	}{
		{"", "", false, true},
		{"atexit_sleep_ms=0", "", false, true},
		{"atexit_sleep_ms=0 halt_on_error=1", "", false, true},
		{"report_bugs=0", "", false, false},
		{"atexit_sleep_ms=0 report_bugs=0", "", false, false},
		{"exitcode=0", "", false, false},
		{"exitcode=66", "", false, true},
		{"log_path=/tmp/races", "", false, false},
		{"suppressions=/tmp/s", "", false, false},
		{"atexit_sleep_ms=0", "atexit_sleep_ms=0", true, true},
		{"atexit_sleep_ms=0 halt_on_error=1", "atexit_sleep_ms=0", true, false},
		{"", "atexit_sleep_ms=0", true, false},
	} {
		msg := CheckRaceEnv(tc.gorace, tc.set, tc.marked)
		if (msg == "") != tc.ok {
			t.Errorf("CheckRaceEnv(%q, %q, %v) = %q; want ok=%v", tc.gorace, tc.set, tc.marked, msg, tc.ok)
		}
	}
}

// TestChildrenDoNotSleepAtExit re-executes this test binary without GORACE, as a student's plain
// `go test -race` starts it, and asks the child which GORACE a process it starts would get: under
// the race detector, atexit_sleep_ms=0, so that no worker process costs its test a second at exit.
func TestChildrenDoNotSleepAtExit(t *testing.T) {
	if os.Getenv("COURSETEST_PRINT_GORACE") == "1" {
		out, err := exec.Command("sh", "-c", `printf 'GORACE=[%s]' "$GORACE"`).Output()
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.Write(out)
		return
	}
	if !raceEnabled {
		t.Skip("without -race there is no exit sleep to remove")
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GORACE=") || strings.HasPrefix(kv, GraderRaceEnv+"=")
	})
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildrenDoNotSleepAtExit$")
	cmd.Env = append(env, "COURSETEST_PRINT_GORACE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the re-executed test binary failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "GORACE=[atexit_sleep_ms=0]") {
		t.Errorf("a process started by a test binary run without GORACE got %q; want GORACE=[atexit_sleep_ms=0], "+
			"so that a -race worker process does not sleep a second when it exits", out)
	}
}
