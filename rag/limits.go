package rag

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Limits on the work one question may ask for. Every front end gets the
// same: a question over one is refused with a *LimitError (a 4xx at the
// HTTP edge, a plain reply in a messenger), never answered slowly.
const (
	// MaxQuestionRunes is the longest question, in characters.
	MaxQuestionRunes = 2000
	// MaxHistoryRunes is the most earlier conversation, in characters
	// over all turns, a question may come with. Front ends that keep
	// their own history (the bot) trim it to this; the HTTP API refuses
	// more. Of the history, only the last user turn is read to resolve a
	// follow-up ("那城关镇呢？"), and only when it is itself no longer than
	// MaxQuestionRunes; the LLM chain reads its last few turns, cut short.
	MaxHistoryRunes = 32_000
	// MaxQuestionParts is the most parts ("…多少件？…多少人？") one
	// question may be split into, each answered on its own.
	MaxQuestionParts = maxQuestionParts
)

// ErrLimit is wrapped by every *LimitError.
var ErrLimit = errors.New("over a limit")

// LimitError says which limit a question is over. Its message is meant
// for the person asking.
type LimitError struct {
	What  string // "question", "history"
	Limit int
	Unit  string // "characters", "parts"
}

func (e *LimitError) Error() string {
	if e.Unit == "parts" {
		return fmt.Sprintf("%s: asks too many things at once (at most %d parts); ask them separately", e.What, e.Limit)
	}
	return fmt.Sprintf("%s: too long (at most %d %s)", e.What, e.Limit, e.Unit)
}

// Is makes errors.Is(err, ErrLimit) hold.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// checkQuestion refuses a question over the length limit.
func checkQuestion(text string) error {
	if utf8.RuneCountInString(text) > MaxQuestionRunes {
		return &LimitError{What: "question", Limit: MaxQuestionRunes, Unit: "characters"}
	}
	return nil
}

// HistoryRunes is the length of a history, in characters over all turns.
func HistoryRunes(h []Turn) int {
	n := 0
	for _, t := range h {
		n += utf8.RuneCountInString(t.Content)
	}
	return n
}

// TrimHistory keeps the newest turns whose length together is at most
// MaxHistoryRunes; a turn that does not fit ends it.
func TrimHistory(h []Turn) []Turn {
	n := 0
	for i := len(h) - 1; i >= 0; i-- {
		n += utf8.RuneCountInString(h[i].Content)
		if n > MaxHistoryRunes {
			return h[i+1:]
		}
	}
	return h
}
