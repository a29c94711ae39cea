package sqlitestore

// KeywordIndexReady reports whether Keyword answers from the in-memory
// keyword index (rather than FTS5).
func KeywordIndexReady(s *SQLite) bool {
	s.kwMu.Lock()
	defer s.kwMu.Unlock()
	return s.kw != nil && s.kw.gen == s.gen && s.kw.broken == ""
}
