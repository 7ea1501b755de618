package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
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
		count     = fs.Int("changed-count", -1, "the number of files the pull request changes, as the API says (`N`); fewer in --changed-files voids the grade")
		listed    = fs.Int("listed-count", -1, "how many of them the API's file list held (`N`)")
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
	rep, err := grader.RescorePR(data, m, root, files, *listed, *count)
	if err != nil {
		return errors.New(grader.PlainText(err.Error(), 500))
	}
	if err := writeReports(rep, *jsonOut, *mdOut, *classroom); err != nil {
		return err
	}
	var text strings.Builder
	rep.WriteText(&text, nil)
	return writeUntrusted(stdout, text.String())
}

// writeUntrusted prints text that holds strings from an untrusted report (file names, messages)
// where GitHub Actions reads workflow commands (a line such as "::add-mask::" or "::error::"):
// between ::stop-commands:: lines with a random token, which nothing in text can know, and without
// control characters.
func writeUntrusted(w io.Writer, text string) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	token := hex.EncodeToString(b[:])
	fmt.Fprintf(w, "::stop-commands::%s\n", token)
	for line := range strings.Lines(text) {
		fmt.Fprintln(w, grader.PlainText(strings.TrimRight(line, "\n"), 4096))
	}
	_, err := fmt.Fprintf(w, "::%s::\n", token)
	return err
}
