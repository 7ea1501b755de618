// Mutant: the backoff has no jitter, so retries from many clients stay in lockstep.
package scraper

import (
	"context"
	"errors"
	"time"
)

// fetchWithRetry fetches rawURL with up to 1 + cfg.Retries attempts. Each attempt waits for the host
// limiter, then sends one request (fetchOnce) under a timeout of cfg.Timeout, and releases the host.
// A 5xx answer or a network error (a timeout included) is retried; a success or a 4xx is final.
// Before attempt k+1 it waits d = Backoff·2^(k-1), capped at MaxBackoff when that is set, plus
// s.jitter(d/2), without holding the host. It returns the last attempt's Page and error, with
// Page.Attempts set, or ctx's error as soon as ctx is done.
func (s *session) fetchWithRetry(ctx context.Context, rawURL string) (Page, error) {
	host := hostKey(rawURL)
	wait := s.cfg.Backoff
	for attempt := 1; ; attempt++ {
		release, err := s.limiter.Acquire(ctx, host)
		if err != nil {
			return Page{Attempts: attempt - 1}, err
		}
		actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		p, err := s.fetchOnce(actx, rawURL)
		cancel()
		release()
		p.Attempts = attempt
		if err == nil || !retryable(err) || attempt > s.cfg.Retries || ctx.Err() != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return p, err
		}
		d := wait
		if s.cfg.MaxBackoff > 0 && d > s.cfg.MaxBackoff {
			d = s.cfg.MaxBackoff
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return p, ctx.Err()
		}
		wait *= 2
	}
}

// retryable reports whether an attempt that failed with err is worth repeating: a 5xx answer or no
// answer at all, never a 4xx.
func retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code >= 500
	}
	return true
}
