// Mutant: every job gets a goroutine of its own, so Concurrency bounds nothing.
package scraper

import (
	"context"
	"sync"
)

// Crawl crawls from the start URLs with cfg and calls emit with one Result per page. It returns nil
// when every reachable page within cfg.MaxDepth is done, or ctx's error once ctx is done; either
// way, only after every goroutine it started has finished.
//
// One goroutine (Crawl's own) owns the frontier: the set of URLs seen and the queue of URLs to
// visit. cfg.Concurrency workers take URLs from it, visit them and hand their Results back; the owner
// emits each Result, then queues the page's links it has not seen yet.
func Crawl(ctx context.Context, cfg Config, starts []string, emit func(Result)) error {
	s, err := newSession(cfg, starts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type job struct {
		url   string
		depth int
	}
	jobs := make(chan job)
	results := make(chan Result)
	var wg sync.WaitGroup
	wg.Go(func() {
		for j := range jobs {
			wg.Go(func() {
				r := s.visit(ctx, j.url, j.depth)
				select {
				case results <- r:
				case <-ctx.Done():
				}
			})
		}
	})
	defer wg.Wait()   // runs second: every worker has returned
	defer close(jobs) // runs first: idle workers leave their range loop

	seen := map[string]bool{}
	var queue []job
	for _, u := range s.starts {
		seen[u] = true
		queue = append(queue, job{u, 0})
	}
	pending := 0 // jobs handed to workers whose Result has not come back
	for len(queue) > 0 || pending > 0 {
		var send chan job // nil (never ready) while the queue is empty
		var next job
		if len(queue) > 0 {
			send, next = jobs, queue[0]
		}
		select {
		case send <- next:
			queue = queue[1:]
			pending++
		case r := <-results:
			pending--
			emit(r)
			if r.Depth >= cfg.MaxDepth {
				continue
			}
			for _, link := range r.Links {
				if !seen[link] && s.follow(link) {
					seen[link] = true
					queue = append(queue, job{link, r.Depth + 1})
				}
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
