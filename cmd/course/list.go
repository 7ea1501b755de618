package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

func cmdList(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return &exitError{2, "usage: course list"}
	}
	_, m, err := loadCourse()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "DAY\tEXERCISE\tPOINTS\tTITLE\tTOPICS\n")
	for _, e := range m.Exercises {
		fmt.Fprintf(tw, "%d\t%s\t%g\t%s\t%s\n", e.Day, e.ID, e.Points, e.Title, strings.Join(e.Topics, ", "))
	}
	return tw.Flush()
}
