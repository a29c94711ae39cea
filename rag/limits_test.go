package rag_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"fazhi/rag"
)

// within runs f and fails the test when it has not returned after bound,
// a generous bound for what must take a fraction of it.
func within(t *testing.T, bound time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(bound):
		t.Fatalf("%s: still running after %v", what, bound)
	}
}

func TestAskLimits(t *testing.T) {
	e, _ := seedEngine(t)
	ctx := context.Background()

	// A follow-up after a 300,000-character turn: the turn is no question
	// anyone asked, so nothing is carried over from it, and it is not
	// analysed (32 s of CPU before).
	t.Run("huge history turn", func(t *testing.T) {
		huge := strings.Repeat("渔门镇2020年调解了多少矛盾纠纷存在的问题", 300_000/22)
		var a rag.Answer
		var err error
		within(t, 20*time.Second, "ask after a 300,000-character turn", func() {
			a, err = e.Ask(ctx, rag.Question{Text: "那城关镇呢？", History: []rag.Turn{{Role: "user", Content: huge}, {Role: "assistant", Content: "368件"}}})
		})
		if err != nil || a.Answer == "" {
			t.Errorf("got %+v, %v; want an answer", a, err)
		}
		// A follow-up after a question of ordinary length still resolves.
		a = mustAsk(t, e, rag.Question{Text: "那城关镇呢？", History: []rag.Turn{{Role: "user", Content: "渔门镇2020年共排查、调解各类矛盾纠纷多少件？"}, {Role: "assistant", Content: "368件"}}})
		if !a.Found || len(a.Citations) == 0 || a.Citations[0].Town != "城关镇" {
			t.Errorf("follow-up: got %+v, want 城关镇's figure", a)
		}
	})

	// One question of 1,920 characters made of one clause repeated: 120
	// parts, each answered in full before (113 s); now refused at once.
	t.Run("too many parts", func(t *testing.T) {
		clause := "渔门镇2020年调解矛盾纠纷多少件？"
		q := strings.Repeat(clause, 1920/utf8.RuneCountInString(clause))
		var err error
		within(t, 20*time.Second, "ask a 120-part question", func() {
			_, err = e.Ask(ctx, rag.Question{Text: q})
		})
		var le *rag.LimitError
		if !errors.Is(err, rag.ErrLimit) || !errors.As(err, &le) || le.Limit != rag.MaxQuestionParts {
			t.Errorf("got %v, want a LimitError on parts", err)
		}
		// As many parts as allowed are answered.
		ok := strings.Repeat("渔门镇2020年调解矛盾纠纷多少件？城关镇调解员多少人？", rag.MaxQuestionParts/2)
		if _, err := e.Ask(ctx, rag.Question{Text: ok}); err != nil {
			t.Errorf("%d parts: got %v, want an answer", rag.MaxQuestionParts, err)
		}
	})

	t.Run("too long", func(t *testing.T) {
		_, err := e.Ask(ctx, rag.Question{Text: strings.Repeat("法", rag.MaxQuestionRunes+1)})
		if !errors.Is(err, rag.ErrLimit) || !strings.Contains(err.Error(), "question") {
			t.Errorf("got %v, want a LimitError naming the question", err)
		}
	})
}

func TestTrimHistory(t *testing.T) {
	turn := func(n int) rag.Turn { return rag.Turn{Role: "user", Content: strings.Repeat("法", n)} }
	for _, tc := range []struct {
		name string
		in   []rag.Turn
		want int // turns kept, the newest
	}{
		{"empty", nil, 0},
		{"fits", []rag.Turn{turn(10), turn(rag.MaxHistoryRunes - 10)}, 2},
		{"oldest dropped", []rag.Turn{turn(11), turn(rag.MaxHistoryRunes - 10)}, 1},
		{"newest alone too long", []rag.Turn{turn(1), turn(rag.MaxHistoryRunes + 1)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rag.TrimHistory(tc.in)
			if len(got) != tc.want || (tc.want > 0 && &got[len(got)-1] != &tc.in[len(tc.in)-1]) {
				t.Errorf("got %d turns, want the newest %d", len(got), tc.want)
			}
		})
	}
}
