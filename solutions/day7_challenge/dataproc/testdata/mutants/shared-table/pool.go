// Mutant: every worker adds to one shared Table, a data race

package dataproc

import (
	"io"
	"sync"
)

// Process aggregates the size bytes of r: it cuts them into chunks of opts.ChunkSize (Split) and
// runs opts.Workers goroutines, each scanning chunks with ScanChunk into its own Table, then
// merges the tables. If lines are malformed it returns the error of the first one in the file.
func Process(r io.ReaderAt, size int64, opts Options) (*Table, error) {
	chunks := Split(size, opts.chunkSize())
	errs := make([]error, len(chunks)) // by chunk, so that the first in the file wins
	tables := make([]*Table, max(1, min(opts.workers(), len(chunks))))
	next := make(chan int)
	var wg sync.WaitGroup
	shared := NewTable()
	for w := range tables {
		t := shared
		tables[w] = NewTable()
		wg.Go(func() {
			for i := range next {
				errs[i] = ScanChunk(r, chunks[i], t)
				opts.progress(chunks[i].End - chunks[i].Off)
			}
		})
	}
	for i := range chunks {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return shared, nil
}

// Merge adds every station of src to dst: sums and counts add up (the mean is computed from them at
// the end, never from the parts' means), the minimum is the smaller of the two minimums and the
// maximum the larger of the two maximums. A station only in src is copied.
func Merge(dst, src *Table) {
	for name, s := range src.All() {
		if s.Count == 0 {
			continue
		}
		d := dst.Get([]byte(name))
		if d.Count == 0 {
			*d = s
			continue
		}
		d.Min = min(d.Min, s.Min)
		d.Max = max(d.Max, s.Max)
		d.Sum += s.Sum
		d.Count += s.Count
	}
}
