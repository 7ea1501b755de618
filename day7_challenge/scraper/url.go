// Package scraper is Day 7's first capstone: a polite web crawler. From one or more start URLs it
// fetches pages with a bounded number of requests in flight, at most a few at once per host and
// never two starts to one host closer than a minimum delay; it follows the links of each page up to
// a maximum depth, fetches every normalised URL at most once, asks robots.txt first, retries 5xx
// answers and network errors with exponential backoff and jitter (never a 4xx), gives every request
// a timeout, streams one Result per page as it is done, and stops promptly when its context is
// cancelled, leaving no goroutine behind.
//
// The files url.go, links.go, robots.go, fetch.go, output.go and config.go are given and complete.
// Yours to write: limiter.go (the per-host politeness limiter), retry.go (one page with retries) and
// crawl.go (the crawl engine).
package scraper

import (
	"net"
	"net/url"
	"strings"
)

// Normalize resolves ref against base (nil for an absolute ref) and returns the URL in the one form
// the crawler compares and fetches: scheme and host in lower case, the scheme's default port removed,
// no user information and no fragment, and "/" for an empty path. It reports false for anything the
// crawler cannot fetch: a parse error, a scheme other than http or https, or no host.
func Normalize(base *url.URL, ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	var u *url.URL
	var err error
	if base != nil {
		u, err = base.Parse(ref)
	} else {
		u, err = url.Parse(ref)
	}
	if err != nil {
		return "", false
	}
	c := *u
	c.Scheme = strings.ToLower(c.Scheme)
	if c.Scheme != "http" && c.Scheme != "https" || c.Host == "" {
		return "", false
	}
	c.Host = strings.ToLower(c.Host)
	if host, port, err := net.SplitHostPort(c.Host); err == nil &&
		(c.Scheme == "http" && port == "80" || c.Scheme == "https" && port == "443") {
		c.Host = host
		if strings.Contains(host, ":") {
			c.Host = "[" + host + "]"
		}
	}
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	c.ForceQuery = false
	if c.Path == "" {
		c.Path, c.RawPath = "/", ""
	}
	return c.String(), true
}

// hostOf returns the host (with port, if any) of a normalised URL, or "" if it has none.
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Host
}
