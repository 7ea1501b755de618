package scraper

// An end-to-end test over real sockets (net/http/httptest), in real time: no fake clock, so it
// proves concurrency with a gate, never with timing.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEndToEndOverHTTP(t *testing.T) {
	coursetest.CheckLeaksIfPassing(t)
	const perHost, pages = 3, 24
	// Every page /p<i> links to the next three (a graph with many repeats and a cycle back to /).
	ps := map[string]*page{"/": {links: []string{"/p0", "/p1", "/p2", "/private/secret"}}}
	for i := range pages {
		ps[fmt.Sprintf("/p%d", i)] = &page{links: []string{
			fmt.Sprintf("/p%d", (i+1)%pages), fmt.Sprintf("/p%d#frag", (i+2)%pages), fmt.Sprintf("p%d", (i+3)%pages), "/"}}
	}
	ps["/private/secret"] = &page{}
	s := newSite("", ps)
	s.robots = "User-agent: *\nDisallow: /private/\n"

	// The gate: the first perHost page requests wait until perHost of them have arrived at once.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var mu sync.Mutex
	arrived := 0
	requested := map[string]bool{}
	gate := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		again := requested[r.URL.String()]
		requested[r.URL.String()] = true
		mu.Unlock()
		if again {
			stop() // a URL fetched twice: the test fails below; stop the crawl rather than let it run on
		}
		if r.URL.Path != "/robots.txt" && r.URL.Path != "/" {
			mu.Lock()
			arrived++
			if arrived == perHost {
				close(gate)
			}
			first := arrived <= perHost
			mu.Unlock()
			if first {
				select {
				case <-gate:
				case <-r.Context().Done():
					return
				}
			}
		}
		s.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	s.host = u.Host
	tr := &http.Transport{MaxIdleConnsPerHost: perHost}
	t.Cleanup(tr.CloseIdleConnections)

	cfg := DefaultConfig()
	cfg.Concurrency, cfg.PerHost, cfg.Delay, cfg.MaxDepth = 6, perHost, 0, 50
	cfg.Client = &http.Client{Transport: tr}
	cfg.Timeout = 30 * time.Second
	c := &collector{t: t}
	var err error
	coursetest.Within(t, func() {
		err = Crawl(ctx, cfg, []string{srv.URL}, c.emit)
	}, "Crawl of a %d-page site over HTTP did not finish: the gate holds the first %d requests until %d are in flight at "+
		"once; with PerHost = %d and Concurrency = 6 they must be", pages+2, perHost, perHost, perHost)
	require.False(t, ctx.Err() != nil, "the server got a second request for one URL: every normalised URL is fetched once")
	require.NoError(t, err)
	tr.CloseIdleConnections()

	got := c.byURL()
	assert.Len(t, got, pages+2, "one Result per page: /, /p0 ... /p%d and the disallowed /private/secret", pages-1)
	assert.Equal(t, pages+2, c.len(), "exactly one Result per URL")
	for path := range ps {
		if path == "/private/secret" {
			assert.Zero(t, s.count(path), "robots.txt disallows /private/")
			continue
		}
		assert.Equal(t, 1, s.count(path), "the server saw %d requests for %s: every URL is fetched once", s.count(path), path)
	}
	assert.LessOrEqual(t, s.inflight.Max(), int64(perHost), "never more than PerHost requests in flight to the server")
	assert.False(t, c.overlap.Load(), "emit was called by two goroutines at once")
}
