package scraper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"time"
)

// ErrDisallowed is the error of a page that robots.txt does not let the crawler fetch.
var ErrDisallowed = errors.New("disallowed by robots.txt")

// StatusError is the error of a response with a status of 400 or more.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// Page is what fetching one URL gave.
type Page struct {
	Status   int      // the final response's status code; 0 if no response arrived
	Links    []string // the normalised links of an HTML page, in document order, without repeats
	Attempts int      // how many requests were sent for this page (1 + the retries); set by fetchWithRetry
}

// maxBody is how much of a page the crawler reads.
const maxBody = 8 << 20

// session is one crawl's shared state: everything Crawl needs except the crawl engine itself.
// newSession builds it; its methods are safe for concurrent use.
type session struct {
	cfg     Config
	client  *http.Client
	robots  *Robots      // nil when robots.txt is not consulted
	limiter *HostLimiter // per-host politeness (limiter.go)
	starts  []string     // the normalised start URLs, without repeats
	scope   map[string]bool
}

// newSession checks cfg and the start URLs and builds a session: the HTTP client (cfg.Client, or one
// with a connection pool sized for the crawl), the robots.txt cache, the host limiter and the scope
// (the hosts of the start URLs, plus cfg.Hosts).
func newSession(cfg Config, starts []string) (*session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(starts) == 0 {
		return nil, errors.New("scraper: no start URL")
	}
	s := &session{cfg: cfg, client: cfg.Client, scope: map[string]bool{}}
	for _, raw := range starts {
		u, ok := Normalize(nil, raw)
		if !ok {
			return nil, fmt.Errorf("scraper: start URL %q is not an absolute http(s) URL", raw)
		}
		if !s.scope[hostOf(u)] {
			s.scope[hostOf(u)] = true
		}
		if !contains(s.starts, u) {
			s.starts = append(s.starts, u)
		}
	}
	for _, h := range cfg.Hosts {
		s.scope[h] = true
	}
	if s.client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = max(cfg.PerHost, 2)
		s.client = &http.Client{Transport: t}
	}
	if cfg.Robots {
		s.robots = NewRobots(s.client, cfg.UserAgent)
	}
	s.limiter = NewHostLimiter(cfg.PerHost, cfg.Delay)
	return s, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// follow reports whether the crawl may follow a link to rawURL: its host is in scope.
func (s *session) follow(rawURL string) bool { return s.scope[hostOf(rawURL)] }

// visit handles one page of the crawl: it asks robots.txt (when cfg.Robots), fetches the page with
// fetchWithRetry (retry.go) and returns its Result. It is what a crawl worker calls for each URL.
func (s *session) visit(ctx context.Context, rawURL string, depth int) Result {
	if s.robots != nil && !s.robots.Allowed(ctx, rawURL) {
		if err := ctx.Err(); err != nil {
			return newResult(rawURL, depth, Page{}, err)
		}
		return newResult(rawURL, depth, Page{}, ErrDisallowed)
	}
	p, err := s.fetchWithRetry(ctx, rawURL)
	return newResult(rawURL, depth, p, err)
}

// fetchOnce sends one GET request for rawURL with ctx and reads the answer: the status, and the links
// if the page is HTML. A status of 400 or more gives a *StatusError (with the Page's Status set);
// anything that kept a response from arriving, a timeout included, gives the client's error.
// It does not retry, wait or limit anything: that is fetchWithRetry's job.
func (s *session) fetchOnce(ctx context.Context, rawURL string) (Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return Page{}, err
	}
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		return Page{}, err
	}
	defer resp.Body.Close()
	p := Page{Status: resp.StatusCode}
	if resp.StatusCode >= 400 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return p, &StatusError{Code: resp.StatusCode}
	}
	body := io.LimitReader(resp.Body, maxBody)
	if isHTML(resp.Header.Get("Content-Type")) {
		base := req.URL
		if resp.Request != nil && resp.Request.URL != nil {
			base = resp.Request.URL // after redirects
		}
		if p.Links, err = ExtractLinks(base, body); err != nil {
			return p, fmt.Errorf("reading %s: %w", rawURL, err)
		}
	}
	_, _ = io.Copy(io.Discard, body) // drain, so the connection can be reused
	return p, nil
}

func isHTML(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}

// jitter returns a random duration in [0, max): from cfg.Jitter when it is set (tests set it), or
// uniformly distributed. It returns 0 when max <= 0.
func (s *session) jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	if s.cfg.Jitter != nil {
		return s.cfg.Jitter(max)
	}
	return rand.N(max)
}

// hostKey is the key the host limiter uses for rawURL: its host, with the port if any.
func hostKey(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Host
	}
	return rawURL
}
