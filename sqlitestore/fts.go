package sqlitestore

import "strings"

// The full-text index of a store made now uses FTS5's ascii tokenizer
// (ftsTokenizer); a store made before uses unicode61 (remove_diacritics
// 0) and keeps it. Both index the same tokens: for an ascii store every
// term is written, and every query term asked, as the tokens unicode61
// makes of it (ftsTokens, the Go copy of unicode61 the keyword index
// already relies on), one space between tokens, and the ascii tokenizer
// splits that text at the spaces alone (a unicode61 token holds no ASCII
// character other than lower-case letters and digits). The ascii
// tokenizer only looks at bytes; unicode61 looks up every character's
// class and case in its tables, on the one writer of an ingest.
//
// Go's Unicode tables are newer than unicode61's (Unicode 6.1): a letter
// added since, such as an ideograph after U+9FCC, is a token in an ascii
// store where a unicode61 store drops it.
const ftsTokenizer = "ascii"

// ftsText renders a chunk's keyword terms as the text the full-text
// index is given: as they are for a unicode61 store, split as unicode61
// splits them when split is set (an ascii store).
func ftsText(terms []string, split bool) string {
	n := len(terms)
	for _, t := range terms {
		n += len(t)
	}
	var b strings.Builder
	b.Grow(n)
	for _, t := range terms {
		if !split || plainTerm(t) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(t)
			continue
		}
		for _, p := range ftsTokens(t) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

// ftsQuery renders query tokens as an FTS5 OR query of quoted terms, each
// split as unicode61 splits it when split is set (an ascii store): the
// phrase is then the one FTS5 finds in a unicode61 store.
func ftsQuery(tokens []string, split bool) string {
	seen := map[string]bool{}
	var b strings.Builder
	for _, t := range tokens {
		if seen[t] {
			continue
		}
		seen[t] = true
		if b.Len() > 0 {
			b.WriteString(" OR ")
		}
		if split && !plainTerm(t) {
			t = strings.Join(ftsTokens(t), " ")
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(t, `"`, `""`))
		b.WriteByte('"')
	}
	return b.String()
}
