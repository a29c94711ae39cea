package messenger

import (
	"container/list"
	"slices"
	"sync"
	"time"

	"fazhi/rag"
)

// History keeps, per conversation, the last few question-and-answer turns
// (the context of follow-ups such as "那城关镇呢？") and the last answer (for
// the proof command). A conversation's entry expires ttl after its last
// question; at most maxChats conversations are kept, the least recently used
// being dropped first. It is safe for concurrent use.
type History[K comparable] struct {
	mu       sync.Mutex
	turns    int // question-and-answer pairs kept per chat
	ttl      time.Duration
	maxChats int
	now      func() time.Time
	lru      *list.List // of *chatState, most recent at the front
	chats    map[K]*list.Element
}

type chatState[K comparable] struct {
	chat    K
	turns   []rag.Turn
	last    rag.Answer
	hasLast bool
	updated time.Time
}

// NewHistory returns a History that keeps turns question-and-answer pairs
// per conversation for ttl, for at most maxChats conversations, reading the
// time from now.
func NewHistory[K comparable](turns int, ttl time.Duration, maxChats int, now func() time.Time) *History[K] {
	return &History[K]{
		turns:    turns,
		ttl:      ttl,
		maxChats: maxChats,
		now:      now,
		lru:      list.New(),
		chats:    make(map[K]*list.Element),
	}
}

// get returns the live state of chat, or nil; expired state is dropped.
// The caller holds h.mu.
func (h *History[K]) get(chat K) *chatState[K] {
	e, ok := h.chats[chat]
	if !ok {
		return nil
	}
	st := e.Value.(*chatState[K])
	if h.now().Sub(st.updated) >= h.ttl {
		h.lru.Remove(e)
		delete(h.chats, chat)
		return nil
	}
	return st
}

// Turns returns a copy of chat's turns, oldest first.
func (h *History[K]) Turns(chat K) []rag.Turn {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.get(chat); st != nil {
		return slices.Clone(st.turns)
	}
	return nil
}

// Last returns chat's last answer, if it has one that has not expired.
func (h *History[K]) Last(chat K) (rag.Answer, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.get(chat); st != nil && st.hasLast {
		return st.last, true
	}
	return rag.Answer{}, false
}

// Add records a question and its answer for chat.
func (h *History[K]) Add(chat K, question string, a rag.Answer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.get(chat)
	if st == nil {
		st = &chatState[K]{chat: chat}
		h.chats[chat] = h.lru.PushFront(st)
		for h.lru.Len() > h.maxChats {
			oldest := h.lru.Back()
			h.lru.Remove(oldest)
			delete(h.chats, oldest.Value.(*chatState[K]).chat)
		}
	} else {
		h.lru.MoveToFront(h.chats[chat])
	}
	st.turns = append(st.turns,
		rag.Turn{Role: "user", Content: question},
		rag.Turn{Role: "assistant", Content: a.Answer},
	)
	if extra := len(st.turns) - 2*h.turns; extra > 0 {
		st.turns = slices.Clone(st.turns[extra:])
	}
	st.last = a
	st.hasLast = true
	st.updated = h.now()
}

// Len reports how many conversations are held, expired ones included.
func (h *History[K]) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lru.Len()
}
