package coursetest

import "testing"

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
