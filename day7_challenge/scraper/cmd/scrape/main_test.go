package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gocourse/week11/day7_challenge/scraper"
	"github.com/stretchr/testify/assert"
)

func TestHelpAndUsageErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, &out, &errOut, false))
	for _, flag := range []string{"-concurrency", "-per-host", "-delay", "-depth", "-timeout", "-retries", "-robots", "-demo"} {
		assert.Contains(t, errOut.String(), flag, "usage lists %s", flag)
	}
	errOut.Reset()
	assert.Equal(t, 2, run(context.Background(), nil, &out, &errOut, false), "no URL is a usage error")
	assert.Contains(t, errOut.String(), "no start URL")
	assert.Equal(t, 2, run(context.Background(), []string{"-per-host=0", "http://a.example/"}, &out, &errOut, false))
	assert.Empty(t, out.String(), "nothing on stdout")
}

func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, false)
	p.add(scraper.Result{URL: "http://a/", Links: []string{"x", "y"}, Attempts: 1})
	p.add(scraper.Result{URL: "http://a/x", Error: "HTTP 404 Not Found", Attempts: 1})
	p.add(scraper.Result{URL: "http://a/y", Attempts: 3})
	p.add(scraper.Result{URL: "http://a/private", Error: scraper.ErrDisallowed.Error()})
	p.finish()
	assert.True(t, strings.HasPrefix(buf.String(), "4 pages (1 failed, 1 retried, 1 disallowed by robots.txt), 2 links"), buf.String())

	buf.Reset()
	tty := newProgress(&buf, true)
	tty.finish()
	assert.True(t, strings.HasPrefix(buf.String(), "\r\033[K0 pages"), "on a terminal the line is rewritten in place: %q", buf.String())
}
