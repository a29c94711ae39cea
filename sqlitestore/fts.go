package sqlitestore

import "strings"

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
