package dataproc

import "io"

// Process aggregates the size bytes of r: it cuts them into chunks of opts.ChunkSize (Split) and
// runs opts.Workers goroutines, each scanning chunks with ScanChunk into its own Table, then
// merges the tables. If lines are malformed it returns the error of the first one in the file.
func Process(r io.ReaderAt, size int64, opts Options) (*Table, error) {
	// TODO: a worker pool with one Table per worker.
	//  - chunks := Split(size, opts.chunkSize()); start min(opts.workers(), len(chunks)) goroutines
	//    (at least one, so an empty file gives an empty table), each with its OWN NewTable(): a
	//    Table is not safe for concurrent use, and one lock around a shared table would make the
	//    workers take turns. Hand out the chunks over a channel (send indexes, then close it).
	//  - Each worker calls ScanChunk(r, chunks[i], itsTable) for each chunk it takes, stores the
	//    error at errs[i] (an error per chunk, so that the first malformed line OF THE FILE wins,
	//    not the first one a worker happens to find) and calls opts.progress(chunk size).
	//  - Wait for the workers (sync.WaitGroup), return the first non-nil error in chunk order, or
	//    Merge every table into the first one and return it.
	panic("TODO: implement Process (day7_challenge/dataproc)")
}

// Merge adds every station of src to dst: sums and counts add up (the mean is computed from them at
// the end, never from the parts' means), the minimum is the smaller of the two minimums and the
// maximum the larger of the two maximums. A station only in src is copied.
func Merge(dst, src *Table) {
	// TODO: for name, s := range src.All() { d := dst.Get([]byte(name)); ... }. A station new to
	// dst comes back with Count == 0 and Min == Max == 0: copy s into it (*d = s) rather than
	// taking min(0, s.Min). Otherwise add Sum and Count, and keep the smaller Min and larger Max.
	panic("TODO: implement Merge (day7_challenge/dataproc)")
}
