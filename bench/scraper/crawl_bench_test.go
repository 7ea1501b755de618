// Package scraper benchmarks Day 7's scraper (the reference solution, swapped in with -overlay)
// against github.com/gocolly/colly/v2 on the same generated local site, in the same run, at the same
// parallelism. Run it from the bench directory:
//
//	go test -run='^$' -bench=Crawl -benchtime=5x -overlay="$(cd .. && go run ./cmd/course overlay day7_challenge/scraper)" ./scraper/
//
// Each iteration crawls the site once with each crawler, alternately, and the benchmark reports:
// the scraper's and colly's crawl times, the scraper's time over the ideal pages × latency /
// concurrency (goal ≤ 1.15) and over colly's (goal ≤ 1.0).
package scraper

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/gocourse/week11/day7_challenge/scraper"
	"github.com/gocourse/week11/day7_challenge/scraper/testsite"
)

const (
	pages       = 2000
	latency     = 50 * time.Millisecond
	concurrency = 50
	fanout      = 8
)

// serve starts a fresh generated site, so no crawler benefits from another's warm state.
func serve(b *testing.B) (*testsite.Site, *httptest.Server) {
	site := testsite.New(testsite.Options{Pages: pages, Latency: latency, Fanout: fanout})
	srv := httptest.NewServer(site)
	b.Cleanup(srv.Close)
	return site, srv
}

func transport() *http.Transport {
	return &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}
}

// check fails the benchmark unless the crawler fetched every page exactly once.
func check(b *testing.B, who string, site *testsite.Site, got int) {
	total, distinct := site.Requests()
	if distinct < pages || total != distinct || got != pages {
		b.Fatalf("%s: %d requests for %d distinct paths, %d pages seen; want %d of each", who, total, distinct, got, pages)
	}
}

func crawlScraper(b *testing.B) time.Duration {
	site, srv := serve(b)
	tr := transport()
	defer tr.CloseIdleConnections()
	cfg := scraper.Config{
		Concurrency: concurrency, PerHost: concurrency, MaxDepth: 100, Timeout: 30 * time.Second,
		UserAgent: "bench", Client: &http.Client{Transport: tr},
	}
	var n int
	var firstErr string
	start := time.Now()
	err := scraper.Crawl(context.Background(), cfg, []string{srv.URL + "/"}, func(r scraper.Result) {
		if r.Error == "" {
			n++
		} else if firstErr == "" {
			firstErr = r.URL + ": " + r.Error
		}
	})
	el := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if firstErr != "" {
		b.Logf("scraper: first failed page: %s", firstErr)
	}
	check(b, "scraper", site, n)
	return el
}

func crawlColly(b *testing.B) time.Duration {
	site, srv := serve(b)
	tr := transport()
	defer tr.CloseIdleConnections()
	c := colly.NewCollector(colly.Async(true), colly.UserAgent("bench"))
	c.WithTransport(tr)
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: concurrency}); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	c.OnResponse(func(*colly.Response) { n.Add(1) })
	c.OnError(func(r *colly.Response, err error) { b.Logf("colly: %s: %v", r.Request.URL, err) })
	c.OnHTML("a[href]", func(e *colly.HTMLElement) { _ = e.Request.Visit(e.Attr("href")) })
	start := time.Now()
	if err := c.Visit(srv.URL + "/"); err != nil {
		b.Fatal(err)
	}
	c.Wait()
	el := time.Since(start)
	check(b, "colly", site, int(n.Load()))
	return el
}

func BenchmarkCrawl(b *testing.B) {
	ideal := time.Duration(pages) * latency / concurrency
	var ours, theirs time.Duration
	runs := 0
	for b.Loop() {
		ours += crawlScraper(b)
		theirs += crawlColly(b)
		runs++
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric((ours / time.Duration(runs)).Seconds(), "scraper-s")
	b.ReportMetric((theirs / time.Duration(runs)).Seconds(), "colly-s")
	b.ReportMetric(float64(ours)/float64(runs)/float64(ideal), "scraper/ideal")
	b.ReportMetric(float64(ours)/float64(theirs), "scraper/colly")
}
