package scraper

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gocourse/week11/internal/coursetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// page is one page of a test site.
type page struct {
	links    []string      // hrefs, written into the page as they are
	statuses []int         // the status of each request in turn (the last one repeats); none means 200
	fail     int           // how many requests fail with a network error before the page answers
	latency  time.Duration // how long each answer takes (fake time under synctest)
	hold     chan struct{} // if set, each request waits until it is closed (or the request is cancelled)
	hang     int           // how many requests wait until they are cancelled before the page answers
	// teardown is how long a cancelled request takes to give up (fake time): the in-memory
	// transport returns only then, as a real one would with a server slow to let go.
	teardown time.Duration
}

// hit is one request the site saw.
type hit struct {
	path     string
	at       time.Time
	canceled time.Time // when the request's context was done while the site held it; zero otherwise
}

// site is a test web site on one host, counting what it saw. Its truth lives here, in a _test.go
// file, where the code under test cannot change it.
type site struct {
	host   string
	robots string // the body of /robots.txt; "" answers 404
	pages  map[string]*page

	inflight coursetest.HighWater  // requests being answered now, robots.txt excluded
	total    *coursetest.HighWater // shared by every site of a test, if set

	mu   sync.Mutex
	hits []hit
	n    map[string]int // requests per path
}

func newSite(host string, pages map[string]*page) *site {
	return &site{host: host, pages: pages, n: map[string]int{}}
}

// chain returns pages /0 → /1 → ... → /n-1, each linking to the next.
func chainPages(n int) map[string]*page {
	ps := map[string]*page{}
	for i := range n {
		p := &page{}
		if i+1 < n {
			p.links = []string{fmt.Sprintf("/%d", i+1)}
		}
		ps[fmt.Sprintf("/%d", i)] = p
	}
	return ps
}

// starPages returns / linking to /p0 ... /pn-1, each given by mk.
func starPages(n int, mk func(i int) *page) map[string]*page {
	root := &page{}
	ps := map[string]*page{"/": root}
	for i := range n {
		path := fmt.Sprintf("/p%d", i)
		root.links = append(root.links, path)
		ps[path] = mk(i)
	}
	return ps
}

func (s *site) url(path string) string { return "http://" + s.host + path }

// count returns how many requests the site saw for path.
func (s *site) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[path]
}

// seen returns every request the site saw, in order.
func (s *site) seen() []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hits)
}

// requested returns the paths the site saw, sorted, robots.txt excluded, with repeats.
func (s *site) requested() []string {
	var ps []string
	for _, h := range s.seen() {
		if h.path != "/robots.txt" {
			ps = append(ps, h.path)
		}
	}
	sort.Strings(ps)
	return ps
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if path == "/robots.txt" {
		s.mu.Lock()
		s.hits = append(s.hits, hit{path: path, at: time.Now()})
		s.mu.Unlock()
		if s.robots == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, s.robots)
		return
	}
	s.inflight.Enter()
	defer s.inflight.Exit()
	if s.total != nil {
		s.total.Enter()
		defer s.total.Exit()
	}
	s.mu.Lock()
	n := s.n[path]
	s.n[path]++
	idx := len(s.hits)
	s.hits = append(s.hits, hit{path: path, at: time.Now()})
	p := s.pages[path]
	s.mu.Unlock()
	if p == nil {
		http.NotFound(w, r)
		return
	}
	wait := func(ch <-chan struct{}, d time.Duration) bool {
		var timer <-chan time.Time
		if d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			timer = t.C
		}
		if ch == nil && timer == nil {
			return true
		}
		select {
		case <-ch:
		case <-timer:
		case <-r.Context().Done():
			s.mu.Lock()
			s.hits[idx].canceled = time.Now()
			s.mu.Unlock()
			if p.teardown > 0 {
				time.Sleep(p.teardown)
			}
			return false
		}
		return true
	}
	if n < p.hang {
		wait(nil, 1000*time.Hour)
		return
	}
	if !wait(p.hold, p.latency) {
		return
	}
	status := http.StatusOK
	if len(p.statuses) > 0 {
		status = p.statuses[min(n, len(p.statuses)-1)]
	}
	if status != http.StatusOK {
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "<!doctype html><html><body>\n")
	for _, l := range p.links {
		fmt.Fprintf(w, "<a href=%q>link</a>\n", l)
	}
	fmt.Fprint(w, "</body></html>\n")
}

// memTransport is an http.RoundTripper that calls the sites' handlers directly, on the caller's
// goroutine, with no sockets: inside a synctest bubble every wait is then on channels and timers,
// and the fake clock works. Like net/http's Transport, it sends nothing for a request whose context
// is already done.
type memTransport struct {
	sites map[string]*site
	mu    sync.Mutex
	fails map[string]int // network errors given so far, per host+path
}

func newTransport(sites ...*site) *memTransport {
	t := &memTransport{sites: map[string]*site{}, fails: map[string]int{}}
	for _, s := range sites {
		t.sites[s.host] = s
	}
	return t
}

func (t *memTransport) client() *http.Client { return &http.Client{Transport: t} }

func (t *memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	s := t.sites[req.URL.Host]
	if s == nil {
		return nil, fmt.Errorf("dial tcp %s: connection refused", req.URL.Host)
	}
	if p := s.pages[req.URL.Path]; p != nil && p.fail > 0 {
		key := req.URL.Host + req.URL.Path
		t.mu.Lock()
		n := t.fails[key]
		if n < p.fail {
			t.fails[key]++
		}
		t.mu.Unlock()
		if n < p.fail {
			s.mu.Lock()
			s.n[req.URL.Path]++
			s.hits = append(s.hits, hit{path: req.URL.Path, at: time.Now()})
			s.mu.Unlock()
			return nil, errors.New("read tcp: connection reset by peer")
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// testConfig is a config for tests: no robots.txt, no delay, no jitter, quick retries.
func testConfig(t *memTransport) Config {
	return Config{
		Concurrency: 4,
		PerHost:     4,
		MaxDepth:    10,
		Timeout:     time.Minute,
		Retries:     2,
		Backoff:     100 * time.Millisecond,
		UserAgent:   "test-agent",
		Client:      t.client(),
		Jitter:      func(time.Duration) time.Duration { return 0 },
	}
}

// collector gathers what Crawl emits. Its emit reports, as an error, two calls at once.
type collector struct {
	t       *testing.T
	mu      sync.Mutex
	inside  atomic.Int32
	overlap atomic.Bool
	results []Result
	after   bool // set once Crawl has returned
	calls   int  // written without the lock: the race detector sees two emits at once
}

func (c *collector) emit(r Result) {
	c.calls++ // unguarded on purpose: Crawl must never call emit from two goroutines at once
	if c.inside.Add(1) > 1 {
		c.overlap.Store(true)
	}
	defer c.inside.Add(-1)
	c.mu.Lock()
	if c.after {
		c.t.Errorf("emit was called for %s after Crawl had returned: Crawl must wait for its workers", r.URL)
	}
	c.results = append(c.results, r)
	c.mu.Unlock()
}

func (c *collector) byURL() map[string]Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]Result{}
	for _, r := range c.results {
		m[r.URL] = r
	}
	return m
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.results)
}

// crawlRun is a Crawl started on its own goroutine inside a bubble.
type crawlRun struct {
	done     chan struct{}
	err      error
	at       time.Time // when Crawl returned
	panicked bool
	atReturn func() // called on Crawl's goroutine the moment Crawl returns
	// unstarted describes a goroutine that Crawl started but that had not begun to run when Crawl
	// returned ("" if none): Crawl did not wait for it.
	unstarted string
	c         *collector
}

// startCrawl starts Crawl inside the current bubble.
func startCrawl(t *testing.T, ctx context.Context, cfg Config, starts []string, atReturn ...func()) *crawlRun {
	run := &crawlRun{done: make(chan struct{}), c: &collector{t: t}}
	if len(atReturn) > 0 {
		run.atReturn = atReturn[0]
	}
	go func() {
		defer close(run.done)
		defer func() {
			if r := recover(); r != nil {
				reportPanic(r)
				run.err = fmt.Errorf("Crawl panicked: %v", r)
				run.panicked = true
			}
		}()
		run.err = Crawl(ctx, cfg, starts, run.c.emit)
		run.at = time.Now()
		run.unstarted = unstartedGoroutines()
		if run.atReturn != nil {
			run.atReturn()
		}
		run.c.mu.Lock()
		run.c.after = true
		run.c.mu.Unlock()
	}()
	return run
}

// finished reports whether the crawl has returned; call it after synctest.Wait.
func (r *crawlRun) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// wait waits for the crawl to end in the bubble, and fails the test if it does not.
func (r *crawlRun) wait(t *testing.T, what string) {
	t.Helper()
	<-r.done // if Crawl never returns, the bubble deadlocks and Bubble reports the hint
	if r.panicked {
		t.Fatalf("%s: %v", what, r.err)
	}
	r.checkStarted(t)
	r.checkNoneLeft(t)
	if r.c.overlap.Load() {
		t.Errorf("%s: emit was called by two goroutines at once: call it from one goroutine only (the frontier's owner)", what)
	}
}

// checkNoneLeft fails the test if a goroutine running the package's code is still there once Crawl
// has returned and everything else has settled.
func (r *crawlRun) checkNoneLeft(t *testing.T) {
	t.Helper()
	synctest.Wait()
	dump := stacks()
	mine := ""
	for _, g := range dump {
		if strings.Contains(g.stack, "scraper.(*crawlRun).checkNoneLeft") {
			mine = g.bubble
		}
	}
	for _, g := range dump {
		if g.bubble != mine {
			continue // another test's goroutine, reported by that test
		}
		if frame := packageFrame(g.stack); frame != "" {
			t.Fatalf("a goroutine of the crawl is still there after Crawl returned (%s, in %s): Crawl must wait for its "+
				"workers (a sync.WaitGroup), and every worker must be able to return, even when nobody reads its result "+
				"any more.\n%s", g.state, frame, firstLines(g.stack, 12))
		}
	}
}

type goroutine struct{ state, bubble, stack string }

// stacks returns every goroutine, with its state and its synctest bubble ("" if none).
func stacks() []goroutine {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var gs []goroutine
	for block := range strings.SplitSeq(strings.TrimSpace(string(buf)), "\n\n") {
		header, stack, _ := strings.Cut(block, "\n")
		_, inside, _ := strings.Cut(header, "[")
		inside, _, _ = strings.Cut(inside, "]")
		state, _, _ := strings.Cut(inside, ",")
		_, bubble, _ := strings.Cut(inside, "synctest bubble ")
		bubble, _, _ = strings.Cut(bubble, ",")
		gs = append(gs, goroutine{state, bubble, stack})
	}
	return gs
}

// checkStarted fails the test if Crawl returned before a goroutine it started had even begun.
func (r *crawlRun) checkStarted(t *testing.T) {
	t.Helper()
	if r.unstarted != "" {
		t.Fatalf("Crawl returned before a goroutine it started had even begun to run, so nothing waited for it: "+
			"call wg.Add before the go statement (or use wg.Go), never inside the goroutine.\n%s", r.unstarted)
	}
}

// unstartedGoroutines describes the goroutines of the caller's bubble that the package's code
// created and that have not begun to run: a goroutine that never ran has no "+0x" offset on its
// first frame.
func unstartedGoroutines() string {
	dump := stacks()
	mine := ""
	for _, g := range dump {
		if g.state == "running" && strings.Contains(g.stack, "scraper.unstartedGoroutines") {
			mine = g.bubble
		}
	}
	for _, g := range dump {
		if g.bubble != mine || mine == "" {
			continue
		}
		lines := strings.Split(g.stack, "\n")
		if len(lines) < 2 || strings.Contains(lines[1], "+0x") {
			continue
		}
		for i, l := range lines {
			if strings.HasPrefix(l, "created by ") && i+1 < len(lines) && packageFrame(lines[i+1]) != "" {
				return firstLines(g.stack, 6)
			}
		}
	}
	return ""
}

// packageFrame returns the first line of stack that runs the package's own (non-test) code, or "".
func packageFrame(stack string) string {
	for line := range strings.SplitSeq(stack, "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, "/day7_challenge/scraper/"); i >= 0 && strings.Contains(line, ".go:") && !strings.Contains(line, "_test.go:") {
			rest := line[i+len("/day7_challenge/scraper/"):]
			if !strings.Contains(rest, "/") || strings.HasPrefix(rest, "testdata/") {
				return line[i+1:]
			}
		}
	}
	return ""
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}

// bubble runs f in a synctest bubble, with a leak check after it.
func bubble(t *testing.T, hint string, f func(t *testing.T)) {
	t.Helper()
	coursetest.CheckLeaksIfPassing(t)
	// BubbleWatchingLocks, not Bubble: a limiter that holds its mutex while it waits would leave the
	// bubble stuck on that mutex, which synctest cannot see; this reports it at once.
	coursetest.BubbleWatchingLocks(t, hint, func(t *testing.T) {
		defer func() {
			if r := recover(); r != nil {
				reportPanic(r)
				t.Fatalf("%v\n(%s)", r, hint)
			}
		}()
		f(t)
	})
}

func slicesSort(d []time.Duration) { slices.Sort(d) }

type hwAlias = coursetest.HighWater

// reportPanic prints a recovered panic the way the runtime would, on a line of its own, so that the
// grader sees an untouched stub's "panic: TODO" in the test's output (and calls it not started)
// although the test recovered it to fail alone instead of ending the test binary.
func reportPanic(r any) {
	fmt.Printf("panic: %v [recovered]\n", r)
}
