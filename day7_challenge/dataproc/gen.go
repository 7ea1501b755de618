package dataproc

import (
	"bufio"
	"io"
	"math"
	"math/rand/v2"
	"strings"
)

// syllables make up generated station names; a few carry non-ASCII letters, so that names are
// bytes, not characters.
var syllables = []string{
	"ab", "ha", "ka", "ro", "mi", "tan", "bel", "gra", "do", "ne", "vi", "sk", "lu", "ber", "za",
	"qu", "it", "os", "par", "lon", "ma", "dri", "ze", "ür", "ich", "ø", "sl", "é", "ville", "ton",
	"burg", "ay", "ce", "pe", "ter", "no", "va", "ya", "ku", "sha", "li", "mo", "ra", "ge", "in",
}

// StationNames returns n distinct station names (1 to 40 bytes, capitalised, some with non-ASCII
// letters), the same for the same n and seed.
func StationNames(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	seen := make(map[string]bool, n)
	names := make([]string, 0, n)
	for len(names) < n {
		var b strings.Builder
		for parts := 1 + r.IntN(4+len(names)/2000); parts > 0 && b.Len() < 36; parts-- {
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		name := b.String()
		if 'a' <= name[0] && name[0] <= 'z' {
			name = string(name[0]-'a'+'A') + name[1:]
		}
		if r.IntN(8) == 0 && len(name) < 30 {
			name += " " + strings.ToUpper(syllables[r.IntN(len(syllables))][:1])
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}

// Generate writes rows lines of "station;temperature\n" to w: stations drawn uniformly from
// StationNames(stations, seed), each with its own mean between -20 and 35 degrees, temperatures
// spread around it (standard deviation 10) within -99.9 and 99.9, with one decimal. The same
// arguments always give the same bytes.
func Generate(w io.Writer, rows, stations int, seed uint64) error {
	if stations < 1 {
		stations = 1
	}
	names := StationNames(stations, seed)
	r := rand.New(rand.NewPCG(seed, seed^0x7e4a))
	means := make([]float64, len(names))
	for i := range means {
		means[i] = -20 + 55*r.Float64()
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	line := make([]byte, 0, MaxLineLen+1)
	for range rows {
		i := r.IntN(len(names))
		v := int64(math.Round((means[i] + 10*r.NormFloat64()) * 10))
		v = max(-999, min(999, v))
		line = append(line[:0], names[i]...)
		line = append(line, ';')
		line = appendTenths(line, v)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}
