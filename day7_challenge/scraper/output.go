package scraper

import (
	"encoding/json"
	"io"
	"sync"
)

// Result is the outcome of one page of the crawl, one JSON line of the output.
type Result struct {
	URL      string   `json:"url"`
	Depth    int      `json:"depth"`
	Status   int      `json:"status,omitempty"`
	Attempts int      `json:"attempts,omitempty"`
	Links    []string `json:"links,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// newResult builds the Result of rawURL at depth from what fetching it gave.
func newResult(rawURL string, depth int, p Page, err error) Result {
	r := Result{URL: rawURL, Depth: depth, Status: p.Status, Attempts: p.Attempts, Links: p.Links}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

// JSONLines writes Results to w, one JSON object per line. Its Write is safe for concurrent use.
type JSONLines struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSONLines returns a JSONLines writing to w.
func NewJSONLines(w io.Writer) *JSONLines {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSONLines{enc: enc}
}

// Write writes r as one line.
func (j *JSONLines) Write(r Result) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.enc.Encode(r)
}
