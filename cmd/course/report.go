package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gocourse/week11/internal/grader"
)

func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		raw       = fs.String("raw", "", "the untrusted job's grade.json (`FILE`)")
		changed   = fs.String("changed-files", "", "`FILE` listing the pull request's changed paths, one per line")
		jsonOut   = fs.String("json", "", "write the trusted course-grade/v1 report to `FILE`")
		mdOut     = fs.String("markdown", "", "write the job summary / pull request comment to `FILE`")
		classroom = fs.String("classroom", "", "write GitHub Classroom's autograding result (base64) to `FILE`")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: course report --raw FILE [flags]\n\nThe trusted side of pull-request grading: validates the untrusted job's report against this\ncheckout's manifest and tests, caps every score at what the passing tests earn, and names the\nprotected files the pull request changed. It never builds or runs the pull request's code.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if *raw == "" {
		return &exitError{2, "report needs --raw FILE"}
	}
	root, m, err := loadCourse()
	if err != nil {
		return err
	}
	data, err := readLimited(*raw, grader.MaxRawReport)
	if err != nil {
		return err
	}
	var files []string
	if *changed != "" {
		list, err := readLimited(*changed, 1<<20)
		if err != nil {
			return err
		}
		files = strings.Split(string(list), "\n")
	}
	rep, err := grader.Rescore(data, m, root, files)
	if err != nil {
		return err
	}
	text := stdout
	if toStdout(*jsonOut, *mdOut, *classroom) {
		text = stderr
	}
	rep.WriteText(text, nil)
	return writeReports(rep, stdout, *jsonOut, *mdOut, *classroom)
}
