package bot_test

import (
	"strings"
	"testing"
	"time"

	"fazhi/bot"
	"fazhi/rag"
)

// A question the engine never finishes (a model that never replies,
// with no deadline of its own) ends at the message's deadline: the user
// is told, and the worker is free for the next message.
func TestMessageDeadline(t *testing.T) {
	eng := &fakeEngine{block: true}
	h := startBot(t, bot.Config{Concurrency: 1, MessageTimeout: 200 * time.Millisecond}, eng)
	got := h.ask(t, 42, "渔门镇2020年调解了多少矛盾纠纷？")
	if !strings.Contains(got.Text, "超时") {
		t.Errorf("reply %q, want a timeout message", got.Text)
	}
	// The one worker took the next message.
	eng.mu.Lock()
	eng.block = false
	eng.mu.Unlock()
	if got := h.ask(t, 42, "城关镇呢？"); !strings.Contains(got.Text, "城关镇呢") {
		t.Errorf("reply %q, want the answer to the next question", got.Text)
	}
}

// When the engine answered from the reports because the model did not,
// the answer says so.
func TestAnswerNoteShown(t *testing.T) {
	note := "语言模型未能按时回答，以下答案直接摘自报告。"
	eng := &fakeEngine{answer: func(rag.Question) (rag.Answer, error) {
		a := yumenAnswer
		a.Note = note
		return a, nil
	}}
	h := startBot(t, bot.Config{}, eng)
	got := h.ask(t, 42, "渔门镇2020年调解了多少矛盾纠纷？")
	if !strings.Contains(got.Text, "368") || !strings.Contains(got.Text, note) {
		t.Errorf("reply %q, want the answer and the note %q", got.Text, note)
	}
}
