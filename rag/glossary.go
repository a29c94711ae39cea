package rag

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// glossaryTSV is the built-in English→Chinese glossary of the township
// rule-of-law domain: one entry a line, "english<TAB>chinese", variants on
// both sides separated by "|".
//
//go:embed glossary.tsv
var glossaryTSV string

// Glossary maps English domain phrases onto the Chinese terms the reports
// use, so that an English question can reach Chinese report text. It is
// immutable once built and safe for concurrent use. The zero value (and a
// nil *Glossary) is an empty glossary that matches nothing.
type Glossary struct {
	entries []glossEntry
	// index maps the stem of a phrase's first word to every phrase that
	// starts with it, longest first.
	index map[string][]glossPhrase
}

// Match is one English phrase found in a text by Glossary.Terms.
type Match struct {
	English string   // the entry's canonical English phrase (its first variant)
	Chinese []string // the Chinese terms, most specific first
	Start   int      // byte offset in the text where the matched words begin
	End     int      // byte offset just past the matched words
}

type glossEntry struct {
	english string
	chinese []string
}

type glossPhrase struct {
	words []string // folded words: stems, or exact lowercased forms if exact
	exact bool     // match the word forms as written, without stemming
	entry int
}

var defaultGlossary = sync.OnceValue(func() *Glossary {
	g, err := ParseGlossary(strings.NewReader(glossaryTSV))
	if err != nil {
		// The embedded data is checked by the package tests; reaching this
		// means the binary was built from a broken glossary.tsv.
		panic(fmt.Sprintf("rag: embedded glossary: %v", err))
	}
	return g
})

// DefaultGlossary returns the embedded glossary (parsed once; safe for
// concurrent use).
func DefaultGlossary() *Glossary { return defaultGlossary() }

// ParseGlossary parses TSV glossary data; errors name the line number.
//
// Each non-blank line that does not start with "#" holds two tab-separated
// columns: English variants (lowercase, separated by "|") and Chinese terms
// (Han text, optionally with digits, separated by "|", most specific first).
// An English variant that, after the inflection folding Terms applies, equals
// a variant on another line is an error: every phrase must mean one thing.
// A variant written "=words" matches those exact word forms only (no
// inflection folding); it is preferred over a folded phrase of equal length.
// This separates the rare words whose inflections differ in meaning, such as
// "issued" (印发) and "issues" (问题).
func ParseGlossary(r io.Reader) (*Glossary, error) {
	g := &Glossary{index: make(map[string][]glossPhrase)}
	firstLine := make(map[string]int) // folded variant → line that defines it
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 2 {
			return nil, fmt.Errorf("glossary line %d: want 2 tab-separated columns, got %d", n, len(cols))
		}
		en, zh := strings.TrimSpace(cols[0]), strings.TrimSpace(cols[1])
		if en != strings.ToLower(en) {
			return nil, fmt.Errorf("glossary line %d: english %q is not lowercase", n, en)
		}
		chinese, err := parseChineseTerms(zh)
		if err != nil {
			return nil, fmt.Errorf("glossary line %d: %w", n, err)
		}
		id := len(g.entries)
		var canonical string
		for _, v := range strings.Split(en, "|") {
			v = strings.TrimSpace(v)
			exact := strings.HasPrefix(v, "=")
			if exact {
				v = strings.TrimSpace(v[1:])
			}
			if v == "" {
				return nil, fmt.Errorf("glossary line %d: empty english variant", n)
			}
			toks := glossTokenize(v)
			if len(toks) == 0 {
				return nil, fmt.Errorf("glossary line %d: english variant %q has no words", n, v)
			}
			words := make([]string, len(toks))
			for i, t := range toks {
				words[i] = t.stem
				if exact {
					words[i] = t.word
				}
			}
			key := strings.Join(words, " ")
			if exact {
				key = "=" + key
			}
			if prev, ok := firstLine[key]; ok {
				if prev == n {
					continue // an inflected form of a variant on this line
				}
				return nil, fmt.Errorf("glossary line %d: english variant %q duplicates line %d", n, v, prev)
			}
			firstLine[key] = n
			if canonical == "" {
				canonical = v
			}
			first := toks[0].stem
			g.index[first] = append(g.index[first], glossPhrase{words: words, exact: exact, entry: id})
		}
		g.entries = append(g.entries, glossEntry{english: canonical, chinese: chinese})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("glossary line %d: %w", n+1, err)
	}
	for k, ps := range g.index {
		slices.SortStableFunc(ps, func(a, b glossPhrase) int {
			if d := len(b.words) - len(a.words); d != 0 {
				return d
			}
			switch {
			case a.exact && !b.exact:
				return -1
			case b.exact && !a.exact:
				return 1
			}
			return 0
		})
		g.index[k] = ps
	}
	return g, nil
}

// parseChineseTerms splits and validates the Chinese column.
func parseChineseTerms(col string) ([]string, error) {
	if col == "" {
		return nil, fmt.Errorf("no chinese terms")
	}
	var out []string
	for _, t := range strings.Split(col, "|") {
		t = strings.TrimSpace(t)
		if t == "" {
			return nil, fmt.Errorf("empty chinese term in %q", col)
		}
		if !isHanTerm(t) {
			return nil, fmt.Errorf("chinese term %q is not Han text", t)
		}
		if slices.Contains(out, t) {
			return nil, fmt.Errorf("chinese term %q repeated", t)
		}
		out = append(out, t)
	}
	return out, nil
}

// isHanTerm reports whether s is made of Han characters and ASCII digits
// only, with at least one Han character (e.g. "纠纷", "12345市民热线").
func isHanTerm(s string) bool {
	han := false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			han = true
		case r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return han
}

// Len returns the number of entries (lines) in the glossary.
func (g *Glossary) Len() int {
	if g == nil {
		return 0
	}
	return len(g.entries)
}

// Terms returns the Chinese terms for the English phrases found in text,
// longest match first, case-insensitive, tolerant of simple inflection
// (plural -s/-es/-ies, -ed, -ing, possessive 's, hyphen vs space: "law-study"
// = "law study"). Each match is reported once, in question order.
//
// At every word the longest phrase starting there wins ("legal adviser"
// over "legal"), and its words are not matched again. The articles "a",
// "an" and "the" are ignored on both sides, so "hear the case" matches the
// phrase "hear a case". A later occurrence of an entry already reported is
// skipped. Chinese text in a mixed question is left alone.
func (g *Glossary) Terms(text string) []Match {
	if g == nil || len(g.entries) == 0 {
		return nil
	}
	toks := glossTokenize(text)
	var out []Match
	seen := make(map[int]bool)
	for i := 0; i < len(toks); {
		p, ok := g.longest(toks[i:])
		if !ok {
			i++
			continue
		}
		if !seen[p.entry] {
			seen[p.entry] = true
			e := g.entries[p.entry]
			out = append(out, Match{
				English: e.english,
				Chinese: slices.Clone(e.chinese),
				Start:   toks[i].start,
				End:     toks[i+len(p.words)-1].end,
			})
		}
		i += len(p.words)
	}
	return out
}

// longest returns the longest phrase that toks starts with.
func (g *Glossary) longest(toks []glossToken) (glossPhrase, bool) {
	for _, p := range g.index[toks[0].stem] {
		if len(p.words) > len(toks) {
			continue
		}
		ok := true
		for j, w := range p.words {
			got := toks[j].stem
			if p.exact {
				got = toks[j].word
			}
			if got != w {
				ok = false
				break
			}
		}
		if ok {
			return p, true
		}
	}
	return glossPhrase{}, false
}

// glossToken is one English word of a text, folded for matching.
type glossToken struct {
	word       string // lowercased, possessive and apostrophes removed
	stem       string // word with inflection folded (glossStem)
	start, end int    // byte offsets of the word in the text
}

// glossArticles are dropped before matching.
var glossArticles = map[string]bool{"a": true, "an": true, "the": true}

// glossTokenize splits s into words: runs of non-Han letters and digits,
// with apostrophes allowed inside and at the end ("people's", "villagers'").
// Everything else, including hyphens and Chinese characters, separates
// words. Articles are dropped; each word is lowercased and stemmed.
func glossTokenize(s string) []glossToken {
	var out []glossToken
	add := func(start, end int) {
		w := strings.ToLower(strings.ReplaceAll(s[start:end], "’", "'"))
		if strings.HasSuffix(w, "'s") {
			w = w[:len(w)-2]
		}
		w = strings.ReplaceAll(w, "'", "")
		if w == "" || glossArticles[w] {
			return
		}
		out = append(out, glossToken{word: w, stem: glossStem(w), start: start, end: end})
	}
	start := -1
	for i, r := range s {
		switch {
		case isGlossWordRune(r):
			if start < 0 {
				start = i
			}
		case start >= 0 && (r == '\'' || r == '’'):
			// inside or after a word: "people's", "villagers'"
		case start >= 0:
			add(start, i)
			start = -1
		}
	}
	if start >= 0 {
		add(start, len(s))
	}
	return out
}

// isGlossWordRune reports whether r can be part of an English word.
func isGlossWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !unicode.Is(unicode.Han, r)
}

// glossStem folds simple English inflection so that "disputes", "mediated",
// "mediating", "communities" and "training" meet their base forms. It is
// deliberately crude: phrases and questions go through the same function,
// so it need only be consistent, not linguistically right.
func glossStem(w string) string {
	n := len(w)
	if w[0] >= '0' && w[0] <= '9' {
		return w
	}
	switch {
	case n > 4 && (strings.HasSuffix(w, "ies") || strings.HasSuffix(w, "ied")):
		w = w[:n-3] + "y"
	case n > 5 && strings.HasSuffix(w, "ing"):
		w = undouble(w[:n-3])
	case n > 4 && strings.HasSuffix(w, "ed"):
		w = undouble(w[:n-2])
	case n > 3 && strings.HasSuffix(w, "s") &&
		!strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:n-1]
	}
	if len(w) > 3 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	return w
}

// undouble turns "plann" (from "planned") back into "plan". Doubled l, s, z
// and f are kept: "called", "passed", "staffed" come from "call", "pass",
// "staff".
func undouble(w string) string {
	n := len(w)
	if n < 3 || w[n-1] != w[n-2] || strings.IndexByte("aeiouylszf", w[n-1]) >= 0 {
		return w
	}
	return w[:n-1]
}
