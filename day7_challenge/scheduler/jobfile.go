package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/BurntSushi/toml"
)

// JobFile is a small set of simulated jobs for cmd/schedule, read from JSON or TOML by ParseJobFile.
// Each job becomes a Task whose Run takes Work (or less, if its ctx ends first) and fails its first
// Fail runs.
type JobFile struct {
	// MaxConcurrent is the Scheduler's Options.MaxConcurrent.
	MaxConcurrent int `json:"max_concurrent" toml:"max_concurrent"`
	// For is how long periodic jobs keep running, from the start (default: until the one-off jobs
	// are done, and at least 5s when there are periodic jobs).
	For Duration `json:"for" toml:"for"`
	// Jobs are the jobs, in the order they are added.
	Jobs []Job `json:"jobs" toml:"jobs"`
}

// Job is one entry of a JobFile; its fields mirror Task's.
type Job struct {
	ID        string   `json:"id" toml:"id"`
	Delay     Duration `json:"delay" toml:"delay"`
	Every     Duration `json:"every" toml:"every"`
	Mode      string   `json:"mode" toml:"mode"`       // "fixed-rate" (default) or "fixed-delay"
	Overlap   string   `json:"overlap" toml:"overlap"` // "skip" (default) or "queue"
	Jitter    Duration `json:"jitter" toml:"jitter"`
	Priority  int      `json:"priority" toml:"priority"`
	DependsOn []string `json:"depends_on" toml:"depends_on"`
	Timeout   Duration `json:"timeout" toml:"timeout"`

	Retries     int      `json:"retries" toml:"retries"`
	Backoff     Duration `json:"backoff" toml:"backoff"`
	MaxBackoff  Duration `json:"max_backoff" toml:"max_backoff"`
	RetryJitter Duration `json:"retry_jitter" toml:"retry_jitter"`

	// Work is how long each run takes; Fail is how many runs fail (with "simulated failure") before
	// the others succeed.
	Work Duration `json:"work" toml:"work"`
	Fail int      `json:"fail" toml:"fail"`
}

// Duration is a time.Duration written as a string such as "1.5s" or "300ms" in a job file.
type Duration time.Duration

// UnmarshalText parses a duration in time.ParseDuration's syntax.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// ErrSimulated is the error of a job's failing runs.
var ErrSimulated = errors.New("simulated failure")

// ParseJobFile reads a job file in format "json" or "toml". Unknown fields are errors, so that a
// typo does not silently change a job.
func ParseJobFile(data []byte, format string) (*JobFile, error) {
	var f JobFile
	switch format {
	case "json":
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("job file: %w", err)
		}
	case "toml":
		md, err := toml.Decode(string(data), &f)
		if err != nil {
			return nil, fmt.Errorf("job file: %w", err)
		}
		if undec := md.Undecoded(); len(undec) > 0 {
			return nil, fmt.Errorf("job file: unknown field %q", undec[0].String())
		}
	default:
		return nil, fmt.Errorf("job file: unknown format %q (json or toml)", format)
	}
	if len(f.Jobs) == 0 {
		return nil, errors.New("job file: no jobs")
	}
	return &f, nil
}

// Task returns the job as a Task, first due at start + Delay, whose Run simulates the work and
// records each run's start and end in tl (if not nil). Giving every job the same start makes jobs
// with the same Delay due at exactly the same time, where Priority orders them.
func (j Job) Task(start time.Time, tl *Timeline) (Task, error) {
	t := Task{
		ID: j.ID, At: start.Add(time.Duration(j.Delay)), Every: time.Duration(j.Every), Jitter: time.Duration(j.Jitter),
		Priority: j.Priority, DependsOn: j.DependsOn, Timeout: time.Duration(j.Timeout),
		Retry: Retry{Retries: j.Retries, Backoff: time.Duration(j.Backoff), MaxBackoff: time.Duration(j.MaxBackoff),
			Jitter: time.Duration(j.RetryJitter)},
	}
	switch strings.ToLower(j.Mode) {
	case "", "fixed-rate":
		t.Mode = FixedRate
	case "fixed-delay":
		t.Mode = FixedDelay
	default:
		return Task{}, fmt.Errorf("job %q: mode %q is fixed-rate or fixed-delay", j.ID, j.Mode)
	}
	switch strings.ToLower(j.Overlap) {
	case "", "skip":
		t.Overlap = Skip
	case "queue":
		t.Overlap = Queue
	default:
		return Task{}, fmt.Errorf("job %q: overlap %q is skip or queue", j.ID, j.Overlap)
	}
	if j.Work < 0 || j.Fail < 0 {
		return Task{}, fmt.Errorf("job %q: negative work or fail", j.ID)
	}
	var runs atomic.Int64
	t.Run = func(ctx context.Context) error {
		n := runs.Add(1)
		tl.Record(j.ID, fmt.Sprintf("start (run %d)", n))
		err := simulate(ctx, time.Duration(j.Work))
		if err == nil && n <= int64(j.Fail) {
			err = ErrSimulated
		}
		if err != nil {
			tl.Record(j.ID, fmt.Sprintf("fail  (run %d): %v", n, err))
		} else {
			tl.Record(j.ID, fmt.Sprintf("ok    (run %d)", n))
		}
		return err
	}
	return t, t.Validate()
}

// simulate waits d, or until ctx ends (then it returns ctx's error).
func simulate(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
