// Package lookalike makes synthetic township reports for benchmarks: each
// is a real seed report with the town renamed, the years moved and every
// stated figure changed, so that a store can be filled with thousands of
// reports that read like the real ones and still differ from each other.
//
// The contract: Generate is deterministic for a given rng state; every
// generated report names a town of its own that is not a seed town and
// does not contain a seed town's short name; ingest.DetectMeta finds the
// generated town and year in it; percentages stay at or below 100; years
// inside dates and document numbers move with the report's year; titles
// of cited documents (《…》), hotlines (12345), holiday marks ("3.15"),
// ordinals (第3次) and document numbers' serials are left as written.
package lookalike

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"unicode/utf8"

	"fazhi/ingest"
)

// Report is one generated report.
type Report struct {
	Name string // file name, e.g. "gen_00042.txt"
	Text string // the report's text, raw like the seed it comes from
	Town string // the generated town, e.g. "松溪镇"
	Year int    // the year the report covers
	Seed int    // index of the seed text it was made from
}

// FirstYear and LastYear bound the years generated reports cover.
const (
	FirstYear = 2015
	LastYear  = 2024
)

// seed is a seed report with what Generate needs to know about it.
type seed struct {
	index int
	text  string
	town  string // e.g. "渔门镇"
	short string // e.g. "渔门"
	year  int
	townRe,
	shortRe *regexp.Regexp // the names, tolerating line breaks and spaces between characters
}

// unitSuffixes are the endings of township-level unit names, longest first.
var unitSuffixes = []string{"街道办事处", "街道", "镇", "乡"}

// analyse finds the town and year of a seed text; ok is false when
// either is unknown, and the seed cannot be used.
func analyse(i int, text string) (seed, bool) {
	m := ingest.DetectMeta(ingest.Clean(text))
	if m.Town == "" || m.Year == 0 {
		return seed{}, false
	}
	s := seed{index: i, text: text, town: m.Town, year: m.Year}
	for _, suf := range unitSuffixes {
		if strings.HasSuffix(m.Town, suf) {
			s.short = strings.TrimSuffix(m.Town, suf)
			break
		}
	}
	if utf8.RuneCountInString(s.short) < 2 {
		s.short = "" // a one-character short form would match too much
	}
	s.townRe = spacedRe(s.town)
	if s.short != "" {
		s.shortRe = spacedRe(s.short)
	}
	return s, true
}

// spacedRe matches name with any white space between its characters, as
// in hard-wrapped text ("泉\n掌镇").
func spacedRe(name string) *regexp.Regexp {
	var parts []string
	for _, r := range name {
		parts = append(parts, regexp.QuoteMeta(string(r)))
	}
	return regexp.MustCompile(strings.Join(parts, `\s*`))
}

// Generate makes n look-alike reports from seedTexts, named gen_00000.txt
// onwards. Each picks a seed at random, gets a town name of its own (two
// characters from a fixed pool plus the seed's suffix), a covered year in
// [FirstYear, LastYear] (every year in the text moves by the same amount,
// so the issue date stays in the year after when the seed's does) and
// figures moved by up to about 30%. Seeds whose town or year DetectMeta
// cannot find are not used; with no usable seed Generate returns nil.
func Generate(seedTexts []string, n int, rng *rand.Rand) []Report {
	var seeds []seed
	for i, t := range seedTexts {
		if s, ok := analyse(i, t); ok {
			seeds = append(seeds, s)
		}
	}
	if len(seeds) == 0 || n <= 0 {
		return nil
	}
	avoid := make([]string, 0, 2*len(seedTexts))
	for _, t := range seedTexts {
		avoid = append(avoid, t, ingest.Clean(t))
	}
	for _, s := range seeds {
		avoid = append(avoid, s.town, s.short)
	}
	names := Names(n, rng, avoid...)
	out := make([]Report, 0, n)
	for i := 0; i < n; i++ {
		s := seeds[rng.IntN(len(seeds))]
		year := FirstYear + rng.IntN(LastYear-FirstYear+1)
		town := names[i] + strings.TrimPrefix(s.town, s.short)
		text := perturbFigures(s.text, rng)
		text = shiftYears(text, year-s.year)
		text = s.townRe.ReplaceAllLiteralString(text, town)
		if s.shortRe != nil {
			text = s.shortRe.ReplaceAllLiteralString(text, names[i])
		}
		out = append(out, Report{Name: fmt.Sprintf("gen_%05d.txt", i), Text: text, Town: town, Year: year, Seed: s.index})
	}
	return out
}

// namePool is the characters generated names are made of: common in
// place names, none a function word that ends a name for
// ingest.DetectMeta, a numeral, a unit suffix, or a character of a seed
// town.
const namePool = "青松柏桃梅兰竹溪河湖江岭峰坪坝湾塘沟林石云霞龙凤鹤鹿金银玉珠宝安宁康泰丰盛旺福禄寿喜顺祥瑞嘉秀华荣昌隆永古桥洲沙岩崖谷川源泽滩浦港岛岗丘冈田园仓亭阁楼台营堡寨屯铺店驿渡津陵杨柳槐榆桂杏枣桑荷莲芦苇藤茂葛蒲樟枫杉桐梓竺兆麟骏鸿雁鹭燕莺"

// Names returns n distinct short place names (without 镇/乡), in an
// order drawn from rng: two characters from a fixed pool when the pool
// has enough pairs, else three (all of one length, so that no name
// contains another). A name that occurs in any of the avoid texts, or
// contains one of them when that text is at most four characters long,
// is never returned, so a generated town cannot be confused with a word
// of the reports or with a seed town.
func Names(n int, rng *rand.Rand, avoid ...string) []string {
	if n <= 0 {
		return nil
	}
	pool := []rune(namePool)
	// Names have two or three characters: a name occurs in a text when
	// it is one of the text's character bigrams or trigrams.
	grams := map[string]bool{}
	var short []string
	for _, a := range avoid {
		rs := []rune(a)
		for i := range rs {
			for k := 2; k <= 3 && i+k <= len(rs); k++ {
				grams[string(rs[i:i+k])] = true
			}
		}
		if len(rs) > 0 && len(rs) <= 4 {
			short = append(short, a)
		}
	}
	ok := func(name string) bool {
		if grams[name] {
			return false
		}
		for _, a := range short {
			if strings.Contains(name, a) {
				return false
			}
		}
		return true
	}
	var pairs []string
	for _, a := range pool {
		for _, b := range pool {
			if name := string([]rune{a, b}); a != b && ok(name) {
				pairs = append(pairs, name)
			}
		}
	}
	if len(pairs) >= n {
		rng.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
		return pairs[:n]
	}
	// Three-character names, drawn at random; the attempts are bounded
	// far above what n needs, as the pool gives millions of triples.
	out := make([]string, 0, n)
	seen := map[string]bool{}
	for tries := 0; len(out) < n && tries < 100*n; tries++ {
		a, b, c := pool[rng.IntN(len(pool))], pool[rng.IntN(len(pool))], pool[rng.IntN(len(pool))]
		if a == b || b == c || a == c {
			continue
		}
		if name := string([]rune{a, b, c}); !seen[name] && ok(name) {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// UnitVector returns a random vector of dim dimensions with unit length,
// as benchmarks fill vector indexes with.
func UnitVector(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var norm float64
	for i := range v {
		x := rng.NormFloat64()
		v[i] = float32(x)
		norm += x * x
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i] *= inv
	}
	return v
}
