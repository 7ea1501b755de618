package scraper

import (
	"io"
	"net/url"

	"golang.org/x/net/html"
)

// ExtractLinks parses the HTML document r and returns the href of every <a> and <area> element,
// resolved against base and normalised (see Normalize), in document order and without repeats.
// Links the crawler cannot fetch (mailto:, javascript:, malformed) are left out. It returns the links
// read so far and the error if reading r fails; malformed HTML is not an error (the tokenizer
// recovers as browsers do).
func ExtractLinks(base *url.URL, r io.Reader) ([]string, error) {
	var links []string
	seen := map[string]bool{}
	z := html.NewTokenizer(r)
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return links, err
			}
			return links, nil
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if !hasAttr || (string(name) != "a" && string(name) != "area") {
				continue
			}
			for {
				key, val, more := z.TagAttr()
				if string(key) == "href" {
					if u, ok := Normalize(base, string(val)); ok && !seen[u] {
						seen[u] = true
						links = append(links, u)
					}
				}
				if !more {
					break
				}
			}
		}
	}
}
