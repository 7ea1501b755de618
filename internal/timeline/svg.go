package timeline

import (
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"sort"
	"strings"
	"time"
)

// Picture geometry, in SVG user units (pixels).
const (
	width      = 1000 // the time axis
	labelWidth = 110  // lane labels on the left
	laneHeight = 22
	laneGap    = 4
	countH     = 60 // the runnable/blocked strip
	legendRows = 8  // functions named in the legend
)

// WriteSVG draws tl as a self-contained SVG picture with the given title. Each P is a lane
// (class "lane", attribute data-proc) holding one rect of class "run" per stretch a goroutine ran on
// it, coloured by the goroutine's function; stretches closer than a pixel are drawn as one. Below the
// lanes, a strip shades how many goroutines were runnable and how many blocked over time.
func (tl *Timeline) WriteSVG(w io.Writer, title string) error {
	span := max(tl.Duration, 1)
	x := func(t int64) float64 { return labelWidth + float64(t)*width/float64(span) }
	lanesH := len(tl.Lanes) * (laneHeight + laneGap)
	top := 40
	stripTop := top + lanesH + 16
	legendTop := stripTop + countH + 30
	height := legendTop + legendRows*16 + 20

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		labelWidth+width+20, height, labelWidth+width+20, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", esc(title))
	fmt.Fprintf(&b, `<text x="%d" y="20" text-anchor="end">%v in all; on average %.2f of %d Ps busy</text>`+"\n",
		labelWidth+width, time.Duration(tl.Duration).Round(time.Microsecond), tl.Parallelism(), len(tl.Lanes))

	for i, l := range tl.Lanes {
		y := top + i*(laneHeight+laneGap)
		busy := 100 * float64(l.Busy()) / float64(span)
		fmt.Fprintf(&b, `<g class="lane" data-proc="%d">`+"\n", l.Proc)
		fmt.Fprintf(&b, `<rect class="idle" x="%d" y="%d" width="%d" height="%d" fill="#f2f2f2"/>`+"\n", labelWidth, y, width, laneHeight)
		fmt.Fprintf(&b, `<text x="8" y="%d">P%d %3.0f%% busy</text>`+"\n", y+15, l.Proc, busy)
		for _, bar := range merge(l.Bars, span) {
			x0, x1 := x(bar.Start), x(bar.End)
			fmt.Fprintf(&b, `<rect class="run" x="%.2f" y="%d" width="%.2f" height="%d" fill="%s"><title>%s (goroutine %d), %v</title></rect>`+"\n",
				x0, y, max(x1-x0, 0.5), laneHeight, colour(bar.Func), esc(funcName(bar.Func)), bar.G, time.Duration(bar.End-bar.Start))
		}
		b.WriteString("</g>\n")
	}

	writeCounts(&b, tl.Counts, span, stripTop)
	writeLegend(&b, tl.Lanes, legendTop)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// merge joins bars of the same function that are less than a pixel apart, so that a trace of
// millions of scheduling events still draws as a few thousand rectangles.
func merge(bars []Bar, span int64) []Bar {
	pixel := span / width
	var out []Bar
	for _, b := range bars {
		if n := len(out); n > 0 && out[n-1].Func == b.Func && b.Start-out[n-1].End <= pixel {
			out[n-1].End = max(out[n-1].End, b.End)
			continue
		}
		out = append(out, b)
	}
	return out
}

// writeCounts draws the runnable and blocked goroutine counts as two stepped areas, each pixel
// column showing the largest count within it.
func writeCounts(b *strings.Builder, counts []Count, span int64, top int) {
	fmt.Fprintf(b, `<g class="counts">`+"\n")
	fmt.Fprintf(b, `<text x="8" y="%d">goroutines</text>`+"\n", top+14)
	fmt.Fprintf(b, `<text x="8" y="%d" fill="#d9822b">runnable</text>`+"\n", top+30)
	fmt.Fprintf(b, `<text x="8" y="%d" fill="#888">blocked</text>`+"\n", top+46)
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#ccc"/>`+"\n", labelWidth, top, width, countH)
	peak := 1
	for _, c := range counts {
		peak = max(peak, c.Runnable+c.Blocked)
	}
	cols := make([][2]int, width) // per pixel column: largest runnable, largest blocked
	for i, c := range counts {
		end := span
		if i+1 < len(counts) {
			end = counts[i+1].At
		}
		c0 := int(float64(c.At) * width / float64(span))
		c1 := int(float64(end) * width / float64(span))
		for col := max(c0, 0); col <= min(c1, width-1); col++ {
			cols[col][0] = max(cols[col][0], c.Runnable)
			cols[col][1] = max(cols[col][1], c.Blocked)
		}
	}
	h := func(n int) float64 { return float64(n) * countH / float64(peak) }
	for col, c := range cols {
		if c[0]+c[1] == 0 {
			continue
		}
		bottom := float64(top + countH)
		fmt.Fprintf(b, `<rect class="runnable" x="%d" y="%.2f" width="1" height="%.2f" fill="#d9822b"/>`, labelWidth+col, bottom-h(c[0]), h(c[0]))
		fmt.Fprintf(b, `<rect class="blocked" x="%d" y="%.2f" width="1" height="%.2f" fill="#bbb"/>`+"\n", labelWidth+col, bottom-h(c[0])-h(c[1]), h(c[1]))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" fill="#888">peak %d</text>`+"\n", labelWidth+width, top-4, peak)
	b.WriteString("</g>\n")
}

// writeLegend names the functions that ran longest, with their colours.
func writeLegend(b *strings.Builder, lanes []Lane, top int) {
	total := map[string]int64{}
	for _, l := range lanes {
		for _, bar := range l.Bars {
			total[bar.Func] += bar.End - bar.Start
		}
	}
	names := make([]string, 0, len(total))
	for f := range total {
		names = append(names, f)
	}
	sort.Slice(names, func(i, j int) bool {
		if total[names[i]] != total[names[j]] {
			return total[names[i]] > total[names[j]]
		}
		return names[i] < names[j]
	})
	fmt.Fprintf(b, `<g class="legend"><text x="8" y="%d" font-weight="bold">ran longest</text>`+"\n", top)
	for i, f := range names[:min(len(names), legendRows)] {
		y := top + 16*(i+1)
		fmt.Fprintf(b, `<rect x="8" y="%d" width="12" height="12" fill="%s"/><text x="26" y="%d">%s: %v</text>`+"\n",
			y-10, colour(f), y, esc(funcName(f)), time.Duration(total[f]).Round(time.Microsecond))
	}
	b.WriteString("</g>\n")
}

// colour gives every function its own stable hue.
func colour(fn string) string {
	if fn == "" {
		return "#999"
	}
	h := fnv.New32a()
	h.Write([]byte(fn))
	return fmt.Sprintf("hsl(%d,65%%,50%%)", h.Sum32()%360)
}

func funcName(fn string) string {
	if fn == "" {
		return "(unknown function)"
	}
	return fn
}

func esc(s string) string { return html.EscapeString(s) }
