// Package testsite serves a generated web site for the scraper's demo and benchmark: numbered pages
// in a tree of links with cross-links back (so a crawler meets every page several times), an
// optional fixed latency per page, and, when asked for, the things a real site has: a robots.txt
// rule, broken links and pages that fail once before they answer.
package testsite

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options shape the site.
type Options struct {
	Pages   int           // pages /, /page/1 ... /page/Pages-1
	Latency time.Duration // how long each page takes to answer
	Fanout  int           // links to child pages per page (default 4)
	Real    bool          // add a robots.txt that disallows /private/, broken links, and pages that answer 503 once
}

// Site is the generated site; it counts the requests it answers.
type Site struct {
	opts     Options
	mu       sync.Mutex
	requests map[string]int
}

// New returns a site with opts.
func New(opts Options) *Site {
	if opts.Fanout <= 0 {
		opts.Fanout = 4
	}
	return &Site{opts: opts, requests: map[string]int{}}
}

// Requests returns how many requests the site has answered, and how many distinct paths they asked for.
func (s *Site) Requests() (total, distinct int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.requests {
		total += n
	}
	return total, len(s.requests)
}

func pagePath(i int) string {
	if i == 0 {
		return "/"
	}
	return "/page/" + strconv.Itoa(i)
}

// Links returns the hrefs of page i: its children in the tree, its parent, the next page, and
// (Real) a link with a fragment, and now and then a private page and a broken link.
func (s *Site) Links(i int) []string {
	var links []string
	for c := i*s.opts.Fanout + 1; c <= i*s.opts.Fanout+s.opts.Fanout && c < s.opts.Pages; c++ {
		links = append(links, pagePath(c))
	}
	if i > 0 {
		links = append(links, pagePath((i-1)/s.opts.Fanout))
		if s.opts.Real {
			links = append(links, "/#top")
		}
	}
	if i+1 < s.opts.Pages {
		links = append(links, pagePath(i+1))
	}
	if s.opts.Real && i%25 == 0 {
		links = append(links, fmt.Sprintf("/private/%d", i), fmt.Sprintf("/missing/%d", i))
	}
	return links
}

func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.URL.Path]++
	n := s.requests[r.URL.Path]
	s.mu.Unlock()
	if r.URL.Path == "/robots.txt" {
		if !s.opts.Real {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
		return
	}
	i := 0
	if r.URL.Path != "/" {
		num, ok := strings.CutPrefix(r.URL.Path, "/page/")
		if !ok && strings.HasPrefix(r.URL.Path, "/private/") {
			num, ok = "0", true
		}
		var err error
		if i, err = strconv.Atoi(num); !ok || err != nil || i < 0 || i >= s.opts.Pages {
			http.NotFound(w, r)
			return
		}
	}
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if s.opts.Real && i%40 == 7 && n == 1 {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><html><head><title>Page %d</title></head><body><h1>Page %d</h1><ul>\n", i, i)
	for _, l := range s.Links(i) {
		fmt.Fprintf(w, "<li><a href=\"%s\">%s</a></li>\n", l, l)
	}
	fmt.Fprint(w, "</ul></body></html>\n")
}
