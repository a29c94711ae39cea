package messenger

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fazhi/rag"
)

// fakeClock is a settable time source.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestHistory(t *testing.T) {
	clk := newFakeClock()
	h := NewHistory[int64](2, 30*time.Minute, 3, clk.Now)
	ans := func(s string) rag.Answer { return rag.Answer{Answer: s, Citations: []rag.Citation{{Quote: s}}} }

	if got := h.Turns(1); got != nil {
		t.Errorf("new chat turns = %v", got)
	}
	if _, ok := h.Last(1); ok {
		t.Error("new chat has a last answer")
	}
	h.Add(1, "q1", ans("a1"))
	h.Add(1, "q2", ans("a2"))
	h.Add(1, "q3", ans("a3"))
	want := []rag.Turn{{Role: "user", Content: "q2"}, {Role: "assistant", Content: "a2"}, {Role: "user", Content: "q3"}, {Role: "assistant", Content: "a3"}}
	if got := h.Turns(1); !slices.Equal(got, want) {
		t.Errorf("turns = %v, want the last 2 pairs %v", got, want)
	}
	if a, ok := h.Last(1); !ok || a.Answer != "a3" {
		t.Errorf("last = %v, %v; want a3", a, ok)
	}
	// Turns returns a copy.
	h.Turns(1)[0].Content = "changed"
	if h.Turns(1)[0].Content != "q2" {
		t.Error("Turns exposes internal state")
	}

	clk.Advance(29 * time.Minute)
	if len(h.Turns(1)) == 0 {
		t.Error("history expired before its TTL")
	}
	clk.Advance(time.Minute)
	if got := h.Turns(1); got != nil {
		t.Errorf("turns after TTL = %v", got)
	}
	if _, ok := h.Last(1); ok {
		t.Error("/proof answer outlived the TTL")
	}

	// Bounded: the least recently used chat goes first.
	for chat := int64(10); chat < 13; chat++ {
		h.Add(chat, "q", ans("a"))
		clk.Advance(time.Second)
	}
	h.Add(10, "again", ans("a")) // 10 is now the most recent
	h.Add(13, "q", ans("a"))     // evicts 11
	if h.Len() != 3 {
		t.Errorf("chats held = %d, want 3", h.Len())
	}
	if h.Turns(11) != nil {
		t.Error("least recently used chat kept")
	}
	if h.Turns(10) == nil || h.Turns(12) == nil || h.Turns(13) == nil {
		t.Error("a recent chat was evicted")
	}
}

func TestRedaction(t *testing.T) {
	const token = "4242:AAH-secret/token+x"
	var buf bytes.Buffer
	log := slog.New(RedactHandler(slog.NewJSONHandler(&buf, nil), NewRedactor(token)))
	urlErr := &url.Error{Op: "Post", URL: "https://api.telegram.org/bot" + token + "/getUpdates", Err: errors.New("EOF")}
	log.With("base", "bot"+token).WithGroup("g").Error("failed bot"+token,
		"err", urlErr,
		"escaped", "https://x/bot"+url.PathEscape(token)+"/m",
		"query", "t="+url.QueryEscape(token),
		slog.Group("nested", "u", token),
		"stringer", fmt.Stringer(stringer(token)),
	)
	out := buf.String()
	for _, leak := range []string{token, url.PathEscape(token), url.QueryEscape(token), "AAH-secret"} {
		if strings.Contains(out, leak) {
			t.Errorf("log shows %q:\n%s", leak, out)
		}
	}
	if !strings.Contains(out, "bot<redacted>/getUpdates") {
		t.Errorf("log lost the rest of the URL:\n%s", out)
	}

	err := NewRedactor(token).Error(fmt.Errorf("wrapped: %w", urlErr))
	if strings.Contains(err.Error(), token) {
		t.Errorf("redacted error shows the token: %v", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Error("redacted error lost its chain")
	}
}

type stringer string

func (s stringer) String() string { return "value " + string(s) }

func TestParseFactsArgs(t *testing.T) {
	tests := []struct {
		in       string
		wantTown string
		wantYear int
	}{
		{"渔门镇", "渔门镇", 0},
		{" 渔门镇  2020 ", "渔门镇", 2020},
		{"渔门镇 2020年", "渔门镇", 2020},
		{"2020", "2020", 0},
		{"某某 街道", "某某 街道", 0},
		{"", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			town, year := ParseFactsArgs(tt.in)
			if town != tt.wantTown || year != tt.wantYear {
				t.Errorf("parseFactsArgs(%q) = %q, %d; want %q, %d", tt.in, town, year, tt.wantTown, tt.wantYear)
			}
		})
	}
}
