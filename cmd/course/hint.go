package main

import (
	"fmt"
	"io"
	"strconv"
)

func cmdHint(args []string, stdout io.Writer) error {
	all := false
	var rest []string
	for _, a := range args {
		if a == "--all" || a == "-all" {
			all = true
		} else {
			rest = append(rest, a)
		}
	}
	if len(rest) < 1 || len(rest) > 2 {
		return &exitError{2, "usage: course hint EXERCISE [N | --all]"}
	}
	_, m, err := loadCourse()
	if err != nil {
		return err
	}
	e, err := m.Find(rest[0])
	if err != nil {
		return err
	}
	n := 1
	if len(rest) == 2 {
		if n, err = strconv.Atoi(rest[1]); err != nil || n < 1 {
			return &exitError{2, "the hint number must be 1 or more"}
		}
	}
	fmt.Fprintf(stdout, "%s: %s\n", e.ID, e.Title)
	if all {
		for i, h := range e.Hints {
			fmt.Fprintf(stdout, "Hint %d/%d: %s\n", i+1, len(e.Hints), h)
		}
		return nil
	}
	if n > len(e.Hints) {
		n = len(e.Hints)
	}
	fmt.Fprintf(stdout, "Hint %d/%d: %s\n", n, len(e.Hints), e.Hints[n-1])
	if n < len(e.Hints) {
		fmt.Fprintf(stdout, "Still stuck? go run ./cmd/course hint %s %d\n", e.ID, n+1)
	}
	return nil
}
