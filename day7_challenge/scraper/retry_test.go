package scraper

// Tests of fetchWithRetry (retry.go), called directly, under testing/synctest's fake clock with an
// in-memory transport. They need a working HostLimiter (limiter.go).

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fetchResult is what one fetchWithRetry returned, and when.
type fetchResult struct {
	p   Page
	err error
	at  time.Time
}

// fetch runs fetchWithRetry for path of s with cfg in the current bubble, on a new goroutine, and
// waits for it; a panic becomes the error.
func fetch(t *testing.T, ctx context.Context, cfg Config, s *site, path string) fetchResult {
	t.Helper()
	sess, err := newSession(cfg, []string{s.url("/")})
	require.NoError(t, err)
	ch := make(chan fetchResult, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				reportPanic(r)
				ch <- fetchResult{err: fmt.Errorf("fetchWithRetry panicked: %v", r)}
			}
		}()
		p, err := sess.fetchWithRetry(ctx, s.url(path))
		ch <- fetchResult{p, err, time.Now()}
	}()
	return <-ch
}

// offsets returns when each request of hits came, relative to t0.
func offsets(hits []hit, t0 time.Time) []time.Duration {
	var ds []time.Duration
	for _, h := range hits {
		ds = append(ds, h.at.Sub(t0))
	}
	return ds
}

// recordingJitter returns a Jitter that gives max/2 and records each max it was asked for.
func recordingJitter() (func(time.Duration) time.Duration, func() []time.Duration) {
	var mu sync.Mutex
	var asked []time.Duration
	return func(max time.Duration) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, max)
			return max / 2
		}, func() []time.Duration {
			mu.Lock()
			defer mu.Unlock()
			return append([]time.Duration(nil), asked...)
		}
}

const retryHint = "fetchWithRetry never returned: does every wait between attempts end (a timer in a select on ctx.Done())?"

func TestRetry5xxWithGrowingBackoff(t *testing.T) {
	bubble(t, retryHint, func(t *testing.T) {
		s := newSite("a.example", map[string]*page{"/flaky": {statuses: []int{500, 503, 502, 200}}})
		cfg := testConfig(newTransport(s))
		cfg.Retries = 5
		jitter, asked := recordingJitter()
		cfg.Jitter = jitter
		t0 := time.Now()
		r := fetch(t, context.Background(), cfg, s, "/flaky")
		require.NoError(t, r.err, "the page answers 500, 503, 502, then 200: with 5 retries the fourth attempt succeeds")
		assert.Equal(t, 200, r.p.Status)
		assert.Equal(t, 4, r.p.Attempts, "Page.Attempts counts every request sent")
		require.Equal(t, 4, s.count("/flaky"), "the site must see exactly 4 requests: 3 failures, then the success (and no more after it)")
		// Backoff 100ms doubling: waits of 100, 200, 400ms, each plus jitter(d/2) = d/4 here.
		want := []time.Duration{0, 125 * time.Millisecond, 375 * time.Millisecond, 875 * time.Millisecond}
		assert.Equal(t, want, offsets(s.seen(), t0),
			"request times (fake clock): before attempt k+1 wait d = Backoff·2^(k-1) plus s.jitter(d/2); here Backoff is 100ms and the test's jitter returns half its argument")
		assert.Equal(t, []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}, asked(),
			"s.jitter must be asked for d/2 before each retry (d = 100, 200, 400ms)")
		assert.Equal(t, 875*time.Millisecond, r.at.Sub(t0), "fetchWithRetry returns as soon as the success arrives")
	})
}

func TestRetryGivesUpAfterRetries(t *testing.T) {
	bubble(t, retryHint, func(t *testing.T) {
		s := newSite("a.example", map[string]*page{"/down": {statuses: []int{500}}})
		cfg := testConfig(newTransport(s))
		cfg.Retries = 4
		cfg.MaxBackoff = 250 * time.Millisecond
		t0 := time.Now()
		r := fetch(t, context.Background(), cfg, s, "/down")
		require.Equal(t, 5, s.count("/down"), "a page that always answers 500, with Retries = 4: exactly 1 + 4 requests")
		var se *StatusError
		require.ErrorAs(t, r.err, &se, "after the last attempt, return its error (a *StatusError for a 500)")
		assert.Equal(t, 500, se.Code)
		assert.Equal(t, 500, r.p.Status)
		assert.Equal(t, 5, r.p.Attempts)
		// Waits of 100, 200, then 250 (capped), 250ms; the test's jitter is 0.
		want := []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, 550 * time.Millisecond, 800 * time.Millisecond}
		assert.Equal(t, want, offsets(s.seen(), t0), "request times (fake clock): waits of 100ms, 200ms, then capped at MaxBackoff = 250ms")
		assert.Equal(t, 800*time.Millisecond, r.at.Sub(t0), "no wait after the last attempt")

		zero := testConfig(newTransport(s))
		zero.Retries = 0
		before := s.count("/down")
		fetch(t, context.Background(), zero, s, "/down")
		assert.Equal(t, 1, s.count("/down")-before, "Retries = 0 means one request and no retry")
	})
}

func TestRetryNever4xx(t *testing.T) {
	bubble(t, retryHint, func(t *testing.T) {
		s := newSite("a.example", map[string]*page{
			"/gone":   {statuses: []int{http.StatusGone}},
			"/denied": {statuses: []int{http.StatusForbidden, 200}},
			"/teapot": {statuses: []int{http.StatusTooManyRequests, 200}},
		})
		cfg := testConfig(newTransport(s))
		cfg.Retries = 3
		for _, path := range []string{"/missing", "/gone", "/denied", "/teapot"} {
			t0 := time.Now()
			r := fetch(t, context.Background(), cfg, s, path)
			assert.Equal(t, 1, s.count(path), "%s answers a 4xx: it must be requested once and never retried (only 5xx and network errors are)", path)
			var se *StatusError
			if assert.ErrorAs(t, r.err, &se, "%s: return the 4xx as the error", path) {
				assert.Less(t, se.Code, 500)
			}
			assert.Equal(t, 1, r.p.Attempts, path)
			assert.Equal(t, t0, r.at, "%s: a 4xx is final at once, no backoff", path)
		}
	})
}

func TestRetryNetworkErrorsAndTimeouts(t *testing.T) {
	bubble(t, retryHint, func(t *testing.T) {
		s := newSite("a.example", map[string]*page{
			"/reset": {fail: 2, links: []string{"/x"}},
			"/slow":  {hang: 1},
		})
		cfg := testConfig(newTransport(s))
		cfg.Timeout = time.Second
		r := fetch(t, context.Background(), cfg, s, "/reset")
		require.NoError(t, r.err, "two connection resets, then a good answer: Retries = 2 is enough")
		assert.Equal(t, 3, s.count("/reset"), "a network error is retried")
		assert.Equal(t, 3, r.p.Attempts)
		assert.Equal(t, []string{"http://a.example/x"}, r.p.Links)

		t0 := time.Now()
		r = fetch(t, context.Background(), cfg, s, "/slow")
		require.NoError(t, r.err, "the first request hangs: after Timeout (1s) it must be cancelled and retried")
		var slow []hit
		for _, h := range s.seen() {
			if h.path == "/slow" {
				slow = append(slow, h)
			}
		}
		require.Len(t, slow, 2, "one timed-out request, then one that succeeds")
		assert.Equal(t, time.Second, slow[0].canceled.Sub(t0),
			"the hanging request's context must be done exactly Timeout after it started: context.WithTimeout(ctx, cfg.Timeout) for each attempt")
		assert.Equal(t, time.Second+100*time.Millisecond, slow[1].at.Sub(t0), "the retry comes Backoff (100ms) after the timeout")
	})
}

func TestRetryJitterIsBounded(t *testing.T) {
	bubble(t, retryHint, func(t *testing.T) {
		s := newSite("a.example", map[string]*page{"/down": {statuses: []int{503}}})
		cfg := testConfig(newTransport(s))
		cfg.Jitter = nil // the session's own random jitter
		cfg.Retries = 3
		t0 := time.Now()
		fetch(t, context.Background(), cfg, s, "/down")
		at := offsets(s.seen(), t0)
		require.Len(t, at, 4)
		for k, d := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
			gap := at[k+1] - at[k]
			assert.True(t, gap >= d && gap < d+d/2,
				"wait before attempt %d was %v: it must be d = %v plus a jitter in [0, d/2)", k+2, gap, d)
		}
	})
}

func TestRetryStopsAtCancel(t *testing.T) {
	bubble(t, retryHint, func(t *testing.T) {
		s := newSite("a.example", map[string]*page{"/down": {statuses: []int{500}}, "/hang": {hang: 100}})
		cfg := testConfig(newTransport(s))
		cfg.Backoff = time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Minute, cancel)
		t0 := time.Now()
		r := fetch(t, ctx, cfg, s, "/down")
		assert.ErrorIs(t, r.err, context.Canceled, "cancelled during an hour's backoff: return ctx's error")
		assert.Equal(t, time.Minute, r.at.Sub(t0), "cancelled a minute into an hour's backoff: return at once, not after the backoff")
		assert.Equal(t, 1, s.count("/down"), "no request after the cancel")

		ctx2, cancel2 := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel2)
		t0 = time.Now()
		r = fetch(t, ctx2, cfg, s, "/hang")
		assert.ErrorIs(t, r.err, context.Canceled, "cancelled during a request: return ctx's error, do not retry")
		assert.Equal(t, time.Second, r.at.Sub(t0))
		assert.Equal(t, 1, s.count("/hang"), "no request after the cancel: the request must use ctx (through its timeout context)")
	})
}

func TestRetryReleasesHostDuringBackoff(t *testing.T) {
	bubble(t, retryHint, func(t *testing.T) {
		s := newSite("a.example", map[string]*page{"/down": {statuses: []int{500, 200}}, "/ok": {}})
		cfg := testConfig(newTransport(s))
		cfg.PerHost = 1
		cfg.Backoff = time.Hour
		sess, err := newSession(cfg, []string{s.url("/")})
		require.NoError(t, err)
		t0 := time.Now()
		down := make(chan error, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					reportPanic(r)
					down <- fmt.Errorf("fetchWithRetry panicked: %v", r)
				}
			}()
			_, err := sess.fetchWithRetry(context.Background(), s.url("/down"))
			down <- err
		}()
		synctest.Wait() // /down has failed once and waits for its retry
		require.Equal(t, 1, s.count("/down"))
		ok := make(chan error, 1)
		go func() {
			_, err := sess.fetchWithRetry(context.Background(), s.url("/ok"))
			ok <- err
		}()
		require.NoError(t, <-ok)
		assert.Less(t, time.Since(t0), time.Hour, "PerHost = 1 and /down is waiting an hour before its retry: /ok must "+
			"not wait for it. Release the host after each attempt, not after the backoff")
		require.NoError(t, <-down)
	})
}
