package main

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/gocourse/week11/internal/grader"
)

// state is what the tool remembers between runs, in .course/state.json (ignored by git): the status
// each exercise had when it was last graded, and the last hint shown for each.
type state struct {
	Status map[string]string `json:"status,omitempty"`
	Hints  map[string]int    `json:"hints,omitempty"`
}

func stateFile(root string) string { return filepath.Join(root, ".course", "state.json") }

// loadState reads the state; a missing or unreadable file is an empty state.
func loadState(root string) *state {
	s := &state{}
	if data, err := os.ReadFile(stateFile(root)); err == nil {
		_ = json.Unmarshal(data, s)
	}
	if s.Status == nil {
		s.Status = map[string]string{}
	}
	if s.Hints == nil {
		s.Hints = map[string]int{}
	}
	return s
}

// save writes the state atomically, so that two runs at once never leave half a file.
func (s *state) save(root string) error {
	file := stateFile(root)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "state-*.json")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// current returns the first exercise, in course order, that did not pass when last graded, and
// whether every exercise has been graded at least once (otherwise the answer is a guess).
func (s *state) current(m *grader.Manifest) (grader.Exercise, bool, bool) {
	complete := true
	for _, e := range m.Exercises {
		st, ok := s.Status[e.ID]
		if !ok {
			complete = false
		}
		if st != grader.StatusPass {
			return e, complete, true
		}
	}
	return grader.Exercise{}, complete, false
}

// saveProgress records the statuses of a grading run of the student's own files. Errors are
// ignored: the state is a convenience, never a reason for a command to fail.
func saveProgress(root string, rep *grader.Report) {
	s := loadState(root)
	for _, e := range rep.Exercises {
		s.Status[e.ID] = e.Status
	}
	_ = s.save(root)
}
