package scraper

// Tests of Crawl (crawl.go), under testing/synctest's fake clock with an in-memory transport. They
// need working limiter.go and retry.go. The file is named so that these tests run after the
// limiter's and the retries' own: a panic in a worker goroutine ends the test binary.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const crawlHint = "Crawl never returned: is a worker blocked on a channel nobody reads, or does the owner wait for a Result that never comes?"

// cyclicSite is a site whose link graph has cycles, links in several spellings to one page, a
// broken link, a link to another host, a page that fails twice before it answers, and one that 404s.
func cyclicSite() (*site, map[string]int) {
	s := newSite("a.example", map[string]*page{
		"/":      {links: []string{"/a", "/b", "/#top", "http://A.EXAMPLE:80/a#x", "/flaky", "http://elsewhere.example/"}},
		"/a":     {links: []string{"/", "b", "/a/c"}},
		"/b":     {links: []string{"/a", "/missing", "./b?x=1"}},
		"/a/c":   {links: []string{"../a", "/", "d"}},
		"/a/d":   {links: []string{"/b"}},
		"/flaky": {statuses: []int{500, 503, 200}, links: []string{"/"}},
		"/b?x=1": {},
	})
	// /b?x=1 is served by /b's path handler; the test site keys on paths, so it counts as /b.
	delete(s.pages, "/b?x=1")
	// The truth: every page in scope, with its depth (shortest link path from /).
	want := map[string]int{
		"http://a.example/": 0, "http://a.example/a": 1, "http://a.example/b": 1, "http://a.example/flaky": 1,
		"http://a.example/a/c": 2, "http://a.example/missing": 2, "http://a.example/b?x=1": 2,
		"http://a.example/a/d": 3,
	}
	return s, want
}

func TestCrawlVisitsEveryPageOnce(t *testing.T) {
	bubble(t, crawlHint, func(t *testing.T) {
		s, want := cyclicSite()
		cfg := testConfig(newTransport(s))
		cfg.Concurrency = 1 // one at a time: the depths are then those of a breadth-first walk
		cfg.PerHost = 1
		cfg.MaxDepth = 4
		run := startCrawl(t, context.Background(), cfg, []string{"http://a.example"})
		run.wait(t, "a 8-page site with cycles")
		require.NoError(t, run.err)
		got := run.c.byURL()
		require.Equal(t, len(want), run.c.len(), "Crawl must emit exactly one Result per page of the site (%d pages, links to "+
			"one page in several spellings, cycles); it emitted %d for %d distinct URLs. Got: %v",
			len(want), run.c.len(), len(got), slices.Sorted(maps.Keys(got)))
		for u, d := range want {
			r, ok := got[u]
			if assert.True(t, ok, "no Result for %s", u) {
				assert.Equal(t, d, r.Depth, "%s is %d links from the start", u, d)
			}
		}
		for path, n := range map[string]int{"/": 1, "/a": 1, "/a/c": 1, "/a/d": 1, "/missing": 1, "/flaky": 3} {
			assert.Equal(t, n, s.count(path), "the site saw %d requests for %s, want %d: keep a set of every URL "+
				"already queued, and queue a link only if it is not in it (Links are normalised already)", s.count(path), path, n)
		}
		assert.Equal(t, 2, s.count("/b"), "/b and /b?x=1 are two URLs, each fetched once")
		assert.Equal(t, 200, got["http://a.example/flaky"].Status, "a page that answers 500, 503, 200 is retried (through s.visit)")
		assert.Equal(t, 3, got["http://a.example/flaky"].Attempts)
		assert.Equal(t, 404, got["http://a.example/missing"].Status)
		assert.Equal(t, 1, got["http://a.example/missing"].Attempts, "a 404 is not retried")
		assert.NotEmpty(t, got["http://a.example/missing"].Error)
		_, other := got["http://elsewhere.example/"]
		assert.False(t, other, "links to another host are not followed (s.follow)")
	})
}

func TestCrawlStopsAtMaxDepth(t *testing.T) {
	for _, depth := range []int{0, 2} {
		t.Run(fmt.Sprintf("MaxDepth=%d", depth), func(t *testing.T) {
			bubble(t, crawlHint, func(t *testing.T) {
				s := newSite("a.example", chainPages(6))
				cfg := testConfig(newTransport(s))
				cfg.MaxDepth = depth
				run := startCrawl(t, context.Background(), cfg, []string{s.url("/0")})
				run.wait(t, "a chain of 6 pages")
				require.NoError(t, run.err)
				var wantPaths []string
				for i := range depth + 1 {
					wantPaths = append(wantPaths, fmt.Sprintf("/%d", i))
				}
				assert.Equal(t, wantPaths, s.requested(), "a chain /0 → /1 → ...: with MaxDepth = %d the crawl fetches "+
					"/0 (depth 0) to /%d and nothing deeper: links of a page at depth MaxDepth are not followed", depth, depth)
				byURL := run.c.byURL()
				assert.Len(t, byURL, depth+1)
				for i := range depth + 1 {
					assert.Equal(t, i, byURL[s.url(fmt.Sprintf("/%d", i))].Depth, "depth of /%d", i)
				}
			})
		})
	}
}

// heldStar is a site whose root links to n pages that each wait for release.
func heldStar(host string, n int, release chan struct{}) *site {
	return newSite(host, starPages(n, func(int) *page { return &page{hold: release} }))
}

func TestCrawlBoundsTotalConcurrency(t *testing.T) {
	bubble(t, crawlHint, func(t *testing.T) {
		release := make(chan struct{})
		s := heldStar("a.example", 10, release)
		cfg := testConfig(newTransport(s))
		cfg.Concurrency, cfg.PerHost = 3, 10
		run := startCrawl(t, context.Background(), cfg, []string{s.url("/")})
		synctest.Wait()
		assert.Equal(t, int64(3), s.inflight.Current(), "10 pages wait on the site, Concurrency = 3, PerHost = 10: exactly 3 "+
			"requests must be in flight at once (more: the concurrency is not bounded; fewer: the workers do not all work)")
		close(release)
		run.wait(t, "10 pages")
		require.NoError(t, run.err)
		assert.Equal(t, int64(3), s.inflight.Max(), "never more than Concurrency requests at once")
		assert.Equal(t, 11, run.c.len())
	})
}

func TestCrawlPerHostLimitHeldAndReached(t *testing.T) {
	bubble(t, crawlHint, func(t *testing.T) {
		release := make(chan struct{})
		s := heldStar("a.example", 8, release)
		cfg := testConfig(newTransport(s))
		cfg.Concurrency, cfg.PerHost = 8, 2
		run := startCrawl(t, context.Background(), cfg, []string{s.url("/")})
		synctest.Wait()
		assert.Equal(t, int64(2), s.inflight.Current(), "8 pages of one host wait, Concurrency = 8, PerHost = 2: exactly 2 requests "+
			"to the host must be in flight (more: the per-host limit is ignored; fewer: it is too strict)")
		close(release)
		run.wait(t, "8 pages of one host")
		require.NoError(t, run.err)
		assert.Equal(t, int64(2), s.inflight.Max(), "never more than PerHost requests to one host at once")
	})
}

func TestCrawlPerHostLimitIsPerHost(t *testing.T) {
	bubble(t, crawlHint, func(t *testing.T) {
		release := make(chan struct{})
		var total = new(highWater)
		a, b := heldStar("a.example", 2, release), heldStar("b.example", 2, release)
		a.total, b.total = total, total
		cfg := testConfig(newTransport(a, b))
		cfg.Concurrency, cfg.PerHost = 4, 2
		run := startCrawl(t, context.Background(), cfg, []string{a.url("/"), b.url("/")})
		synctest.Wait()
		assert.Equal(t, int64(4), total.Current(), "two hosts with 2 waiting pages each, PerHost = 2, Concurrency = 4: all 4 "+
			"requests must be in flight at once (2 per host): the limit is per host, not one limit for the whole crawl")
		close(release)
		run.wait(t, "two hosts")
		require.NoError(t, run.err)
		assert.LessOrEqual(t, a.inflight.Max(), int64(2))
		assert.LessOrEqual(t, b.inflight.Max(), int64(2))
		assert.Equal(t, 6, run.c.len(), "both start pages and their 4 links")
	})
}

func TestCrawlDelaysStartsPerHost(t *testing.T) {
	bubble(t, crawlHint, func(t *testing.T) {
		const delay = 100 * time.Millisecond
		a := newSite("a.example", starPages(4, func(int) *page { return &page{} }))
		b := newSite("b.example", starPages(1, func(int) *page { return &page{} }))
		cfg := testConfig(newTransport(a, b))
		cfg.Concurrency, cfg.PerHost, cfg.Delay = 8, 8, delay
		t0 := time.Now()
		run := startCrawl(t, context.Background(), cfg, []string{a.url("/"), b.url("/")})
		run.wait(t, "two hosts with a delay")
		require.NoError(t, run.err)
		at := offsets(a.seen(), t0)
		slices.Sort(at)
		assert.Equal(t, []time.Duration{0, delay, 2 * delay, 3 * delay, 4 * delay}, at,
			"a.example's 5 requests must start %v apart (every request goes through the host limiter), and no slower", delay)
		assert.Equal(t, []time.Duration{0, delay}, offsets(b.seen(), t0), "b.example has its own clock: its first request does not wait for a.example's")
	})
}

func TestCrawlStreamsResults(t *testing.T) {
	bubble(t, crawlHint, func(t *testing.T) {
		release := make(chan struct{})
		s := newSite("a.example", map[string]*page{
			"/":     {links: []string{"/fast", "/slow"}},
			"/fast": {},
			"/slow": {hold: release},
		})
		cfg := testConfig(newTransport(s))
		run := startCrawl(t, context.Background(), cfg, []string{s.url("/")})
		synctest.Wait()
		got := run.c.byURL()
		assert.Len(t, got, 2, "while /slow is still loading, the Results of / and /fast must have been emitted already: "+
			"call emit as each page is done, not at the end")
		close(release)
		run.wait(t, "3 pages")
		require.NoError(t, run.err)
		assert.Equal(t, 3, run.c.len())
	})
}

func TestCrawlRespectsRobots(t *testing.T) {
	for _, robots := range []bool{true, false} {
		t.Run(fmt.Sprintf("Robots=%v", robots), func(t *testing.T) {
			bubble(t, crawlHint, func(t *testing.T) {
				s := newSite("a.example", map[string]*page{
					"/":          {links: []string{"/public", "/private/x"}},
					"/public":    {},
					"/private/x": {links: []string{"/private/y"}},
					"/private/y": {},
				})
				s.robots = "User-agent: *\nDisallow: /private/\n"
				cfg := testConfig(newTransport(s))
				cfg.Robots = robots
				run := startCrawl(t, context.Background(), cfg, []string{s.url("/")})
				run.wait(t, "a site with robots.txt")
				require.NoError(t, run.err)
				got := run.c.byURL()
				if robots {
					assert.Equal(t, []string{"/", "/public"}, s.requested(), "robots.txt disallows /private/: never fetch it (s.visit asks robots.txt)")
					assert.Equal(t, ErrDisallowed.Error(), got[s.url("/private/x")].Error, "a disallowed page still gets its Result")
				} else {
					assert.Equal(t, []string{"/", "/private/x", "/private/y", "/public"}, s.requested(), "with Robots = false every page is fetched")
				}
			})
		})
	}
}

func TestCrawlStopsPromptlyOnCancel(t *testing.T) {
	cases := []struct {
		name  string
		pages map[string]*page
		tweak func(*Config)
		when  time.Duration // when to cancel
	}{
		{"during requests", starPages(8, func(int) *page { return &page{latency: time.Hour} }), nil, time.Second},
		{"during a backoff", starPages(4, func(int) *page { return &page{statuses: []int{500}} }),
			func(c *Config) { c.Backoff = time.Hour }, time.Second},
		{"during the host delay", starPages(6, func(int) *page { return &page{} }),
			func(c *Config) { c.Delay = time.Hour }, time.Hour + time.Second},
		// Pages of 1s, 6 at a time: at 2s, the second six answer at the moment of the cancel.
		{"with results waiting to be delivered", starPages(18, func(int) *page { return &page{latency: time.Second} }),
			func(c *Config) { c.Concurrency, c.PerHost = 6, 6 }, 2 * time.Second},
		{"with idle workers", starPages(2, func(int) *page { return &page{latency: time.Hour} }),
			func(c *Config) { c.Concurrency = 8 }, time.Second},
		{"before the start", starPages(2, func(int) *page { return &page{} }), func(c *Config) { c.Concurrency = 50 }, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.when == 0 {
				// One P: the workers Crawl starts cannot run before Crawl blocks or returns, so a
				// Crawl that returns without waiting for them is seen on every run.
				coursetest.Procs(t, 1)
			}
			bubble(t, "Crawl did not return after its context was cancelled: watch ctx.Done() in the owner's select, and in every worker's send", func(t *testing.T) {
				s := newSite("a.example", c.pages)
				cfg := testConfig(newTransport(s))
				if c.tweak != nil {
					c.tweak(&cfg)
				}
				ctx, cancel := context.WithCancel(context.Background())
				t0 := time.Now()
				if c.when == 0 {
					cancel()
				} else {
					time.AfterFunc(c.when, cancel)
				}
				run := startCrawl(t, ctx, cfg, []string{s.url("/")})
				<-ctx.Done()
				cancelledAt := time.Now()
				synctest.Wait()
				if !run.finished() {
					t.Fatalf("Crawl was cancelled %s and is still running although everything is idle: it must return "+
						"ctx.Err() at once, and its workers must stop waiting (requests, backoffs, the host limiter all watch ctx)", c.name)
				}
				run.checkStarted(t)
				assert.ErrorIs(t, run.err, context.Canceled, "a cancelled Crawl returns ctx.Err()")
				assert.Equal(t, cancelledAt, run.at, "Crawl must return at the moment of the cancel (fake clock), not after a wait")
				for _, h := range s.seen() {
					if c.when > 0 && h.at.After(cancelledAt) {
						t.Errorf("the site got a request for %s at %v, after the cancel at %v: no request may start "+
							"after the cancel (pass the crawl's ctx to s.visit)", h.path, h.at.Sub(t0), c.when)
					}
					if c.name == "during requests" && h.path != "/" && h.canceled.IsZero() {
						t.Errorf("the request for %s was not cancelled with the crawl: pass the crawl's ctx to s.visit", h.path)
					}
				}
				if c.when == 0 {
					assert.Empty(t, s.seen(), "the context was done before Crawl started: nothing may be fetched")
				}
				run.checkNoneLeft(t)
			})
		})
	}
}

// highWater is coursetest.HighWater under a shorter name, shared by several sites.
type highWater = hwAlias

func TestCrawlWaitsForItsWorkers(t *testing.T) {
	bubble(t, "Crawl did not return after its context was cancelled", func(t *testing.T) {
		const teardown = time.Second
		s := newSite("a.example", starPages(3, func(int) *page { return &page{hang: 1, teardown: teardown} }))
		cfg := testConfig(newTransport(s))
		ctx, cancel := context.WithCancel(context.Background())
		var inflight int64 = -1
		run := startCrawl(t, ctx, cfg, []string{s.url("/")}, func() { inflight = s.inflight.Current() })
		synctest.Wait()
		require.Equal(t, int64(3), s.inflight.Current(), "3 pages hang on the site")
		cancel()
		cancelledAt := time.Now()
		<-run.done
		assert.Zero(t, inflight, "Crawl returned while %d of its requests were still in flight (the site takes %v to let a "+
			"cancelled request go): Crawl must wait for every worker to return (sync.WaitGroup: Add before go, Wait before "+
			"returning) so that nothing it started outlives it", inflight, teardown)
		assert.Equal(t, teardown, run.at.Sub(cancelledAt), "Crawl returns once its last request has given up, not later")
		assert.ErrorIs(t, run.err, context.Canceled)
		run.checkNoneLeft(t)
	})
}
