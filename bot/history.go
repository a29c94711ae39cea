package bot

import (
	"container/list"
	"slices"
	"sync"
	"time"

	"fazhi/rag"
)

// history keeps, per chat, the last few question-and-answer turns and the
// last answer (for /proof). A chat's entry expires ttl after its last
// question; at most maxChats chats are kept, the least recently used being
// dropped first.
type history struct {
	mu       sync.Mutex
	turns    int // question-and-answer pairs kept per chat
	ttl      time.Duration
	maxChats int
	now      func() time.Time
	lru      *list.List // of *chatState, most recent at the front
	chats    map[int64]*list.Element
}

type chatState struct {
	chat    int64
	turns   []rag.Turn
	last    rag.Answer
	hasLast bool
	updated time.Time
}

func newHistory(turns int, ttl time.Duration, maxChats int, now func() time.Time) *history {
	return &history{
		turns:    turns,
		ttl:      ttl,
		maxChats: maxChats,
		now:      now,
		lru:      list.New(),
		chats:    make(map[int64]*list.Element),
	}
}

// get returns the live state of chat, or nil; expired state is dropped.
// The caller holds h.mu.
func (h *history) get(chat int64) *chatState {
	e, ok := h.chats[chat]
	if !ok {
		return nil
	}
	st := e.Value.(*chatState)
	if h.now().Sub(st.updated) >= h.ttl {
		h.lru.Remove(e)
		delete(h.chats, chat)
		return nil
	}
	return st
}

// Turns returns a copy of chat's turns, oldest first.
func (h *history) Turns(chat int64) []rag.Turn {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.get(chat); st != nil {
		return slices.Clone(st.turns)
	}
	return nil
}

// Last returns chat's last answer, if it has one that has not expired.
func (h *history) Last(chat int64) (rag.Answer, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.get(chat); st != nil && st.hasLast {
		return st.last, true
	}
	return rag.Answer{}, false
}

// Add records a question and its answer for chat.
func (h *history) Add(chat int64, question string, a rag.Answer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.get(chat)
	if st == nil {
		st = &chatState{chat: chat}
		h.chats[chat] = h.lru.PushFront(st)
		for h.lru.Len() > h.maxChats {
			oldest := h.lru.Back()
			h.lru.Remove(oldest)
			delete(h.chats, oldest.Value.(*chatState).chat)
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

// Len reports how many chats are held, expired ones included.
func (h *history) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lru.Len()
}
