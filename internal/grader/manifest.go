package grader

import (
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/BurntSushi/toml"
)

// ManifestFile is the manifest's name at the root of the course.
const ManifestFile = "course.toml"

// Manifest is the course's list of exercises, in the order a student works them.
type Manifest struct {
	Title     string     `toml:"title"`
	Edition   string     `toml:"edition"` // "" for the course repository, "student" for an export
	Exercises []Exercise `toml:"exercise"`
	// Allowed holds what every exercise's code may use; an exercise's own Imports add to it.
	Allowed Allowed `toml:"allowed"`
}

// Allowed is the manifest's [allowed] table.
type Allowed struct {
	// Imports are the import paths every exercise's code may use; "p/..." stands for p and every
	// package below it. Without the table, imports are not restricted beyond the fixed rules.
	Imports []string `toml:"imports"`
}

// Exercise is one entry of the manifest.
type Exercise struct {
	ID     string   `toml:"id"`     // package path relative to the course root, e.g. "day2_sync/barrier"
	Title  string   `toml:"title"`  // one line
	Day    int      `toml:"day"`    // 1-7
	Points float64  `toml:"points"` // what a fully passing exercise is worth
	Topics []string `toml:"topics"` // the outline topics it covers
	Hints  []string `toml:"hints"`  // progressive hints, gentlest first
	// Equivalent lists the mutants `course mutate` generates for this exercise that no test can tell
	// apart from the solution, each with the reason; they are left out of the mutation score.
	Equivalent []Equivalent `toml:"equivalent"`
	// Imports are the import paths this exercise's code may use on top of the manifest's
	// [allowed] imports (Day 4: "os", "os/exec", "syscall", ...).
	Imports []string `toml:"imports"`
	// Given names the files of a capstone that are complete, not stubs (parsing, formatting, I/O
	// helpers): they have no reference solution, and no mutant replaces them.
	Given []string `toml:"given"`

	allowed []string // the resolved allowlist: [allowed] imports plus Imports; nil when unrestricted
}

// Equivalent is a generated mutant recorded as equivalent to the reference solution.
type Equivalent struct {
	Mutant string `toml:"mutant" json:"mutant"` // its id, e.g. "drop-lock/Buffer.Len/1"
	Reason string `toml:"reason" json:"reason"` // one sentence: why no test can kill it
}

// AllowedImports returns the import paths this exercise's code may use ("p/..." for a tree), or nil
// when the manifest restricts no imports.
func (e Exercise) AllowedImports() []string { return e.allowed }

// LoadManifest reads and checks the manifest at file.
func LoadManifest(file string) (*Manifest, error) {
	var m Manifest
	md, err := toml.DecodeFile(file, &m)
	if err != nil {
		return nil, fmt.Errorf("cannot read the course manifest: %w", err)
	}
	if undec := md.Undecoded(); len(undec) > 0 {
		return nil, fmt.Errorf("course manifest %s: unknown field %q", file, undec[0].String())
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("course manifest %s: %w", file, err)
	}
	m.resolveImports()
	return &m, nil
}

func (m *Manifest) check() error {
	if len(m.Exercises) == 0 {
		return fmt.Errorf("no [[exercise]] entries")
	}
	seen := map[string]bool{}
	for i, e := range m.Exercises {
		switch {
		case e.ID == "" || path.Clean(e.ID) != e.ID || strings.HasPrefix(e.ID, "/") || strings.HasPrefix(e.ID, ".."):
			return fmt.Errorf("exercise %d: id %q must be a clean relative package path", i+1, e.ID)
		case seen[e.ID]:
			return fmt.Errorf("exercise %q is listed twice", e.ID)
		case e.Title == "":
			return fmt.Errorf("exercise %q has no title", e.ID)
		case e.Day < 1 || e.Day > 7:
			return fmt.Errorf("exercise %q: day %d is not 1-7", e.ID, e.Day)
		case e.Points <= 0:
			return fmt.Errorf("exercise %q: points must be positive", e.ID)
		case len(e.Hints) < 2:
			return fmt.Errorf("exercise %q: needs at least two hints", e.ID)
		case len(e.Topics) == 0:
			return fmt.Errorf("exercise %q: names no topic", e.ID)
		}
		eq := map[string]bool{}
		for _, q := range e.Equivalent {
			switch {
			case q.Mutant == "" || strings.TrimSpace(q.Reason) == "":
				return fmt.Errorf("exercise %q: an equivalent mutant needs both `mutant` and `reason`", e.ID)
			case eq[q.Mutant]:
				return fmt.Errorf("exercise %q: equivalent mutant %q is listed twice", e.ID, q.Mutant)
			}
			eq[q.Mutant] = true
		}
		seen[e.ID] = true
	}
	return nil
}

// resolveImports gives every exercise its allowlist: the [allowed] imports and its own.
func (m *Manifest) resolveImports() {
	for i := range m.Exercises {
		e := &m.Exercises[i]
		if m.Allowed.Imports == nil && e.Imports == nil {
			continue
		}
		e.allowed = append(append([]string{}, m.Allowed.Imports...), e.Imports...)
	}
}

// Select returns the exercises matching any of patterns, in manifest order; no pattern selects all.
// A pattern is an exercise id or a prefix of one, written as a student would type it:
// "day2_sync", "./day2_sync/...", "day2_sync/barrier", or a day number such as "2".
func (m *Manifest) Select(patterns []string) ([]Exercise, error) {
	if len(patterns) == 0 {
		return m.Exercises, nil
	}
	var out []Exercise
	used := make([]bool, len(patterns))
	for _, e := range m.Exercises {
		for i, p := range patterns {
			if matchPattern(e, p) {
				out = append(out, e)
				used[i] = true
				break
			}
		}
	}
	for i, p := range patterns {
		if !used[i] {
			return nil, fmt.Errorf("no exercise matches %q (try `course list`)", p)
		}
	}
	return out, nil
}

func matchPattern(e Exercise, p string) bool {
	if p == fmt.Sprint(e.Day) {
		return true
	}
	p = strings.TrimPrefix(p, "./")
	p = strings.TrimSuffix(p, "...")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return true
	}
	return e.ID == p || strings.HasPrefix(e.ID, p+"/")
}

// Find returns the exercise with the given id (a pattern matching exactly one exercise is accepted too).
func (m *Manifest) Find(id string) (Exercise, error) {
	sel, err := m.Select([]string{id})
	if err != nil {
		return Exercise{}, err
	}
	if len(sel) != 1 {
		return Exercise{}, fmt.Errorf("%q matches %d exercises; name one", id, len(sel))
	}
	return sel[0], nil
}

// MaxPoints is the sum of the points of exs.
func MaxPoints(exs []Exercise) float64 {
	var sum float64
	for _, e := range exs {
		sum += e.Points
	}
	return sum
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
