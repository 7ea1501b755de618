package scheduler

import (
	"fmt"
	"slices"
	"strings"
)

// graph records which tasks each task depends on, and refuses an edge that would close a cycle.
// It is not safe for concurrent use: the Scheduler guards it with its lock.
type graph struct {
	deps map[string][]string // task ID → the IDs it depends on
}

// add records that id depends on deps, unless that would make a cycle: then it records nothing and
// returns an error that wraps ErrCycle and spells the cycle out ("a → b → a").
func (g *graph) add(id string, deps []string) error {
	if g.deps == nil {
		g.deps = map[string][]string{}
	}
	for _, d := range deps {
		if p := g.path(d, id); p != nil {
			return fmt.Errorf("task %q: %w: %s", id, ErrCycle, strings.Join(append([]string{id}, p...), " → "))
		}
	}
	g.deps[id] = slices.Clone(deps)
	return nil
}

// path returns a chain of dependencies that leads from from to to (both included), or nil if none
// does. A task reaches itself by the empty chain: path(x, x) is [x].
func (g *graph) path(from, to string) []string {
	seen := map[string]bool{}
	var walk func(at string) []string
	walk = func(at string) []string {
		if at == to {
			return []string{at}
		}
		if seen[at] {
			return nil
		}
		seen[at] = true
		for _, next := range g.deps[at] {
			if p := walk(next); p != nil {
				return append([]string{at}, p...)
			}
		}
		return nil
	}
	return walk(from)
}
