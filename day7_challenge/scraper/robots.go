package scraper

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/temoto/robotstxt"
)

// Robots answers "may this agent fetch this URL?" from each host's /robots.txt, fetched once per
// host, the first time a URL of that host is asked about, and cached. It is safe for concurrent use:
// callers asking about a host whose robots.txt is being fetched wait for that one fetch.
//
// As github.com/temoto/robotstxt reads the status: a 2xx applies the file's rules, a 4xx (no file)
// allows everything, a 5xx disallows everything. A network error allows everything.
type Robots struct {
	client *http.Client
	agent  string

	mu    sync.Mutex
	hosts map[string]*robotsEntry
}

type robotsEntry struct {
	ready chan struct{} // closed once group is set
	group *robotstxt.Group
}

// NewRobots returns a Robots that fetches with client and applies the rules for agent.
func NewRobots(client *http.Client, agent string) *Robots {
	return &Robots{client: client, agent: agent, hosts: map[string]*robotsEntry{}}
}

// Allowed reports whether rawURL, a normalised URL, may be fetched. It returns false without an
// answer if ctx is done while it waits for the host's robots.txt.
func (r *Robots) Allowed(ctx context.Context, rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	key := u.Scheme + "://" + u.Host
	r.mu.Lock()
	e, ok := r.hosts[key]
	if !ok {
		e = &robotsEntry{ready: make(chan struct{})}
		r.hosts[key] = e
	}
	r.mu.Unlock()
	if !ok {
		e.group = r.fetch(ctx, key+"/robots.txt")
		close(e.ready)
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		return false
	}
	if e.group == nil {
		return true
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return e.group.Test(path)
}

// fetch fetches and parses one robots.txt; nil means "everything is allowed".
func (r *Robots) fetch(ctx context.Context, robotsURL string) *robotstxt.Group {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, robotsURL, nil)
	if err != nil {
		return nil
	}
	req.Header.Set("User-Agent", r.agent)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 512<<10))
	if err != nil {
		return nil
	}
	data, err := robotstxt.FromStatusAndBytes(resp.StatusCode, body)
	if err != nil {
		return nil
	}
	return data.FindGroup(r.agent)
}
