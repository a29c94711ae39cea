package sqlitestore

import (
	"strings"

	"fazhi/rag"
)

// ftsText renders tokens for the FTS5 index: one token per word, quoted
// nowhere (FTS5's unicode61 tokenizer keeps a Han bigram as one token).
func ftsText(text string) string { return strings.Join(rag.Tokens(text), " ") }

// ftsQuery renders query tokens as an FTS5 OR query of quoted terms.
func ftsQuery(tokens []string) string {
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
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(t, `"`, `""`))
		b.WriteByte('"')
	}
	return b.String()
}
