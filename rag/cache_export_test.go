package rag

// CachedBytes is what e's reports' cache holds, estimated, for tests.
func CachedBytes(e *Engine) int64 {
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	return e.docBytes
}
