package scraper

import "context"

// fetchWithRetry fetches rawURL with up to 1 + cfg.Retries attempts. Each attempt waits for the host
// limiter, then sends one request (fetchOnce) under a timeout of cfg.Timeout, and releases the host.
// A 5xx answer or a network error (a timeout included) is retried; a success or a 4xx is final.
// Before attempt k+1 it waits d = Backoff·2^(k-1), capped at MaxBackoff when that is set, plus
// s.jitter(d/2), without holding the host. It returns the last attempt's Page and error, with
// Page.Attempts set, or ctx's error as soon as ctx is done.
func (s *session) fetchWithRetry(ctx context.Context, rawURL string) (Page, error) {
	// TODO: loop over attempts 1, 2, ... 1+s.cfg.Retries:
	//   - release, err := s.limiter.Acquire(ctx, hostKey(rawURL)); on error return it;
	//   - actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout); p, err := s.fetchOnce(actx, rawURL);
	//     cancel(); release(); p.Attempts = attempt;
	//   - return at once on success, on a *StatusError below 500 (errors.As), after the last attempt,
	//     or when ctx is done (return ctx.Err());
	//   - otherwise wait d + s.jitter(d/2) in a select with ctx.Done() (a time.Timer, not
	//     time.Sleep: a cancelled crawl must not sit out a backoff), then double d (cap it).
	panic("TODO: implement fetchWithRetry (day7_challenge/scraper)")
}
