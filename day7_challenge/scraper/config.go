package scraper

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Config is how a crawl behaves.
type Config struct {
	Concurrency int           // requests in flight at once, over all hosts (the crawl's workers)
	PerHost     int           // requests in flight at once to one host
	Delay       time.Duration // minimum time between the starts of two requests to one host
	MaxDepth    int           // how many links away from a start URL the crawl goes (0: the start pages only)
	Timeout     time.Duration // how long one request may take, body included
	Retries     int           // how many times a page is requested again after a 5xx or a network error
	Backoff     time.Duration // the wait before the first retry; it doubles before each later one
	MaxBackoff  time.Duration // the longest wait between two attempts, before jitter (0: no cap)
	Robots      bool          // consult each host's robots.txt first
	UserAgent   string        // sent with every request, and the agent robots.txt rules are matched against
	Hosts       []string      // hosts to follow links to besides the start URLs' own

	// Client sends the requests; nil means a client with a connection pool sized for PerHost.
	Client *http.Client
	// Jitter returns a random duration in [0, max); nil means uniformly random. Tests set it.
	Jitter func(max time.Duration) time.Duration
}

// DefaultConfig returns the defaults of the scrape command's flags.
func DefaultConfig() Config {
	return Config{
		Concurrency: 8,
		PerHost:     2,
		Delay:       100 * time.Millisecond,
		MaxDepth:    3,
		Timeout:     10 * time.Second,
		Retries:     3,
		Backoff:     250 * time.Millisecond,
		MaxBackoff:  10 * time.Second,
		Robots:      true,
		UserAgent:   "week11-scraper/1.0",
	}
}

// Validate reports the first setting a crawl cannot run with.
func (c Config) Validate() error {
	switch {
	case c.Concurrency < 1:
		return fmt.Errorf("scraper: concurrency must be at least 1, not %d", c.Concurrency)
	case c.PerHost < 1:
		return fmt.Errorf("scraper: per-host limit must be at least 1, not %d", c.PerHost)
	case c.Delay < 0 || c.Backoff < 0 || c.MaxBackoff < 0:
		return errors.New("scraper: delay and backoff may not be negative")
	case c.MaxDepth < 0:
		return fmt.Errorf("scraper: depth may not be negative, not %d", c.MaxDepth)
	case c.Timeout <= 0:
		return errors.New("scraper: the request timeout must be positive")
	case c.Retries < 0:
		return fmt.Errorf("scraper: retries may not be negative, not %d", c.Retries)
	}
	return nil
}

// ParseFlags parses the scrape command's arguments into a Config and the start URLs (which may be
// none: the command decides). Each extra function registers more flags of the command's own. Usage
// and errors go to stderr; -h gives flag.ErrHelp.
func ParseFlags(name string, args []string, stderr io.Writer, extra ...func(*flag.FlagSet)) (Config, []string, error) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s [flags] URL...\n\nCrawls from each URL, following links to the same hosts, and prints one JSON line per page\n(url, depth, status, attempts, links, error) on stdout; progress goes to stderr.\n\nFlags:\n", name)
		fs.PrintDefaults()
	}
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "requests in flight at once, over all hosts")
	fs.IntVar(&cfg.PerHost, "per-host", cfg.PerHost, "requests in flight at once to one host")
	fs.DurationVar(&cfg.Delay, "delay", cfg.Delay, "minimum time between the starts of two requests to one host")
	fs.IntVar(&cfg.MaxDepth, "depth", cfg.MaxDepth, "how many links away from a start URL to go (0: the start pages only)")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "timeout of one request")
	fs.IntVar(&cfg.Retries, "retries", cfg.Retries, "retries after a 5xx or a network error (never after a 4xx)")
	fs.DurationVar(&cfg.Backoff, "backoff", cfg.Backoff, "wait before the first retry; it doubles before each later one, plus jitter")
	fs.DurationVar(&cfg.MaxBackoff, "max-backoff", cfg.MaxBackoff, "longest wait between two attempts, before jitter (0: no cap)")
	fs.BoolVar(&cfg.Robots, "robots", cfg.Robots, "respect robots.txt (-robots=false to ignore it)")
	fs.StringVar(&cfg.UserAgent, "user-agent", cfg.UserAgent, "User-Agent header, and the agent robots.txt rules apply to")
	hosts := fs.String("hosts", "", "comma-separated extra hosts to follow links to")
	for _, register := range extra {
		register(fs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	if *hosts != "" {
		cfg.Hosts = strings.Split(*hosts, ",")
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, err
	}
	return cfg, fs.Args(), nil
}
