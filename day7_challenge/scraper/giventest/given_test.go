// Package giventest tests the scraper's given files: URL normalisation, link extraction, robots.txt,
// the JSON lines and the flags. They live outside the exercise package because they pass on the
// stubs too, and every test of an exercise package must fail on its stub (course verify). The course
// runs them with `make test`.
package giventest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"go.uber.org/goleak"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocourse/week11/day7_challenge/scraper"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGivenNormalize(t *testing.T) {
	base, _ := url.Parse("http://Example.com:80/dir/page.html?q=1")
	for _, c := range []struct {
		ref, want string
	}{
		{"other.html", "http://example.com/dir/other.html"},
		{"../up", "http://example.com/up"},
		{"/abs#frag", "http://example.com/abs"},
		{"#only-frag", "http://example.com/dir/page.html?q=1"},
		{"HTTPS://Host.EXAMPLE:443", "https://host.example/"},
		{"http://user:pw@h.example:8080/x", "http://h.example:8080/x"},
		{"  /trim  ", "http://example.com/trim"},
		{"?q=2", "http://example.com/dir/page.html?q=2"},
	} {
		got, ok := scraper.Normalize(base, c.ref)
		assert.True(t, ok, "scraper.Normalize(%q)", c.ref)
		assert.Equal(t, c.want, got, "scraper.Normalize(%q)", c.ref)
	}
	for _, bad := range []string{"mailto:a@b.c", "javascript:void(0)", "ftp://x/", "http://[::1", "http:///nohost"} {
		_, ok := scraper.Normalize(base, bad)
		assert.False(t, ok, "scraper.Normalize(%q) should refuse it", bad)
	}
	got, ok := scraper.Normalize(nil, "http://a.example")
	assert.True(t, ok)
	assert.Equal(t, "http://a.example/", got)
}

func TestGivenExtractLinks(t *testing.T) {
	base, _ := url.Parse("http://a.example/d/")
	doc := `<html><head><link href="/style.css"></head><body>
<a href="x">x</a><A HREF="/y#top">y</A><a href="x">again</a><a>no href</a>
<map><area href="z" /></map><a href="mailto:me@a.example">mail</a>
<p><a href="http://b.example/">other host</a>`
	links, err := scraper.ExtractLinks(base, strings.NewReader(doc))
	require.NoError(t, err)
	assert.Equal(t, []string{"http://a.example/d/x", "http://a.example/y", "http://a.example/d/z", "http://b.example/"}, links)
}

func TestGivenRobots(t *testing.T) {
	var mu sync.Mutex
	fetched := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		fetched++
		mu.Unlock()
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n\nUser-agent: test-agent\nDisallow: /nobots\n")
	}))
	defer srv.Close()
	open := httptest.NewServer(http.NotFoundHandler())
	defer open.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	r := scraper.NewRobots(client, "test-agent")
	ctx := context.Background()
	assert.True(t, r.Allowed(ctx, srv.URL+"/private/x"), "the test-agent group applies, not *")
	assert.False(t, r.Allowed(ctx, srv.URL+"/nobots"))
	assert.True(t, r.Allowed(ctx, srv.URL+"/ok"))
	assert.True(t, r.Allowed(ctx, open.URL+"/anything"), "no robots.txt (404) allows everything")
	other := scraper.NewRobots(client, "someone")
	assert.False(t, other.Allowed(ctx, srv.URL+"/private/x"))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 2, fetched, "each Robots fetches a host's robots.txt once")
}

func TestGivenJSONLines(t *testing.T) {
	var buf bytes.Buffer
	j := scraper.NewJSONLines(&buf)
	require.NoError(t, j.Write(scraper.Result{URL: "http://a.example/?a=<b>", Depth: 1, Status: 200, Attempts: 1, Links: []string{"http://a.example/x"}}))
	require.NoError(t, j.Write(scraper.Result{URL: "http://a.example/bad", Error: "HTTP 404 Not Found", Status: 404, Attempts: 1}))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	assert.Equal(t, `{"url":"http://a.example/?a=<b>","depth":1,"status":200,"attempts":1,"links":["http://a.example/x"]}`, lines[0])
	var r scraper.Result
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &r))
	assert.Equal(t, "HTTP 404 Not Found", r.Error)
}

func TestGivenParseFlags(t *testing.T) {
	cfg, urls, err := scraper.ParseFlags("scrape", []string{"-concurrency=3", "-per-host=1", "-delay=5ms", "-depth=0",
		"-timeout=2s", "-retries=0", "-robots=false", "-hosts=b.example,c.example", "http://a.example/"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"http://a.example/"}, urls)
	assert.Equal(t, 3, cfg.Concurrency)
	assert.Equal(t, 1, cfg.PerHost)
	assert.Equal(t, 5*time.Millisecond, cfg.Delay)
	assert.Equal(t, 0, cfg.MaxDepth)
	assert.Equal(t, 2*time.Second, cfg.Timeout)
	assert.Equal(t, 0, cfg.Retries)
	assert.False(t, cfg.Robots)
	assert.Equal(t, []string{"b.example", "c.example"}, cfg.Hosts)

	var usage bytes.Buffer
	_, _, err = scraper.ParseFlags("scrape", []string{"-h"}, &usage)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, usage.String(), "-per-host")
	_, _, err = scraper.ParseFlags("scrape", []string{"-concurrency=0", "http://a.example/"}, io.Discard)
	assert.Error(t, err)
	assert.NoError(t, scraper.DefaultConfig().Validate())
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
