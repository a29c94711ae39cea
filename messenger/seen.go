package messenger

import "sync"

// Seen remembers the last few message ids, so that a callback the platform
// retries (it waits a few seconds for a reply, then sends the message again)
// is answered once. It is safe for concurrent use.
type Seen struct {
	mu   sync.Mutex
	ids  map[string]bool
	ring []string
	next int
}

// NewSeen returns a Seen of the last n ids (at least 1).
func NewSeen(n int) *Seen {
	n = max(1, n)
	return &Seen{ids: make(map[string]bool, n), ring: make([]string, n)}
}

// Add records id and reports whether it was new.
func (s *Seen) Add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[id] {
		return false
	}
	delete(s.ids, s.ring[s.next])
	s.ring[s.next] = id
	s.ids[id] = true
	s.next = (s.next + 1) % len(s.ring)
	return true
}
