package fileproc

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// WriteResult writes r's output lines to w, as the command prints them on standard output:
//
//	Hash only:        <sha256>  <path>                        (the format of sha256sum)
//	Count only:       <lines> <words> <bytes> <path>          (the format of wc)
//	Hash and Count:   <sha256> <lines> <words> <bytes> <path>
//	Grep:             <path>:<line>:<text>  for every match   (the format of grep -n)
//
// With Grep and Hash or Count, the file's line comes first, then its matches. A result with Err or
// Skipped writes nothing: see Problem.
func WriteResult(w io.Writer, r Result, o Options) error {
	if r.Err != nil || r.Skipped != "" {
		return nil
	}
	var b strings.Builder
	switch {
	case o.Hash && o.Count:
		fmt.Fprintf(&b, "%s %7d %7d %7d %s\n", r.SHA256, r.Lines, r.Words, r.Size, r.Path)
	case o.Hash:
		fmt.Fprintf(&b, "%s  %s\n", r.SHA256, r.Path)
	case o.Count:
		fmt.Fprintf(&b, "%7d %7d %7d %s\n", r.Lines, r.Words, r.Size, r.Path)
	}
	for _, m := range r.Matches {
		if o.Grep == "" {
			break
		}
		fmt.Fprintf(&b, "%s:%d:%s\n", r.Path, m.Line, m.Text)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Problem returns the line the command prints on standard error for a failed or skipped result, or
// "" for a result that has neither: "<path>: <what went wrong>" or "<path>: skipped: <why>".
func Problem(r Result) string {
	switch {
	case r.Err != nil:
		msg := r.Err.Error()
		var pe *fs.PathError
		if errors.As(r.Err, &pe) && pe.Path == r.Path && msg == pe.Error() {
			msg = pe.Op + ": " + pe.Err.Error() // the path is already in front
		}
		return r.Path + ": " + msg
	case r.Skipped != "":
		return r.Path + ": skipped: " + r.Skipped
	}
	return ""
}

// String summarises s in one line: "1234 files, 5.6 MiB, 2 failed, 1 skipped, 7 matched".
func (s Summary) String() string {
	out := fmt.Sprintf("%d files, %s, %d failed, %d skipped", s.Files, Bytes(s.Bytes), s.Failed, s.Skipped)
	if s.Matched > 0 {
		out += fmt.Sprintf(", %d matched", s.Matched)
	}
	return out
}

// Bytes formats n bytes for people: "512 B", "3.4 KiB", "1.0 GiB".
func Bytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}
