package sqlitestore

// KeywordIndexReady reports whether Keyword answers from the in-memory
// keyword index (rather than FTS5).
func KeywordIndexReady(s *SQLite) bool {
	s.kwMu.Lock()
	defer s.kwMu.Unlock()
	return s.kw != nil && s.kw.gen == s.gen && s.kw.broken == ""
}

// LoadedFromCache reports whether the last full load of the vector index
// came whole from the vector cache file.
func LoadedFromCache(s *SQLite) bool {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	return s.loadedFromCache
}

// CloseWriter closes the connection batches are written through, as if
// it had gone bad, leaving the store to notice.
func CloseWriter(s *SQLite) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.wconn != nil {
		s.wconn.Close()
	}
}
