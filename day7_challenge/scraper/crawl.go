package scraper

import "context"

// Crawl crawls from the start URLs with cfg and calls emit with one Result per page. It returns nil
// when every reachable page within cfg.MaxDepth is done, or ctx's error once ctx is done; either
// way, only after every goroutine it started has finished.
//
// The rules:
//   - at most cfg.Concurrency pages are being visited at once (s.visit does robots.txt, the host
//     limiter and the retries for one page);
//   - every normalised URL is visited at most once: the start URLs (depth 0, s.starts) and the
//     Links of each visited page at depth d, as depth d+1, when d < cfg.MaxDepth and s.follow(link);
//   - emit is called once per visited page, as soon as its Result is ready (stream them, do not
//     collect them until the end), and never by two goroutines at once;
//   - when ctx is done, no new request starts, the requests in flight are cancelled (pass ctx down
//     to s.visit), and Crawl returns ctx.Err() at once, after its goroutines have returned.
func Crawl(ctx context.Context, cfg Config, starts []string, emit func(Result)) error {
	s, err := newSession(cfg, starts)
	if err != nil {
		return err
	}
	// TODO: start cfg.Concurrency workers that take {url, depth} jobs from a channel and send back
	// s.visit(ctx, url, depth). Keep the frontier (a seen set and a queue) in this goroutine only:
	// loop on a select that hands the next queued job to a worker (a nil channel while the queue is
	// empty), receives a Result (emit it, queue its new links), or sees ctx.Done(). Stop when the
	// queue is empty and no job is out; then close the jobs channel and wait for the workers.
	_ = s
	panic("TODO: implement Crawl (day7_challenge/scraper)")
}
