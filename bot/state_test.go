package bot

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

	"github.com/go-telegram/bot/models"

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

func TestRateLimiter(t *testing.T) {
	clk := newFakeClock()
	l := newRateLimiter(3, 100, clk.Now)
	allowed := func(user int64) bool { ok, _ := l.allow(user); return ok }
	for i := range 3 {
		if !allowed(1) {
			t.Fatalf("request %d of a burst of 3 refused", i+1)
		}
	}
	if ok, warn := l.allow(1); ok || !warn {
		t.Errorf("4th request within the minute: allowed %v, warn %v; want refused with a warning", ok, warn)
	}
	if ok, warn := l.allow(1); ok || warn {
		t.Errorf("5th request: allowed %v, warn %v; want refused silently", ok, warn)
	}
	if !allowed(2) {
		t.Error("another user refused")
	}
	clk.Advance(20 * time.Second) // 3/min: one token back
	if !allowed(1) {
		t.Error("refused after a token came back")
	}
	if ok, warn := l.allow(1); ok || !warn {
		t.Errorf("refused again after an allowed request: allowed %v, warn %v; want a new warning", ok, warn)
	}
	clk.Advance(time.Hour)
	for i := range 3 {
		if !allowed(1) {
			t.Errorf("after an hour, request %d refused (bucket must refill, but only to its burst)", i+1)
		}
	}
	if allowed(1) {
		t.Error("bucket refilled beyond its burst")
	}
}

func TestRateLimiterIsBounded(t *testing.T) {
	clk := newFakeClock()
	l := newRateLimiter(2, 10, clk.Now)
	for u := range int64(100) {
		l.allow(u)
		clk.Advance(time.Millisecond)
		if n := l.size(); n > 10 {
			t.Fatalf("after user %d: %d buckets, limit 10", u, n)
		}
	}
	// The most recent user is still limited: its bucket was not dropped.
	l.allow(99)
	if ok, _ := l.allow(99); ok {
		t.Error("most recent user's bucket was evicted")
	}
}

func TestHistory(t *testing.T) {
	clk := newFakeClock()
	h := newHistory(2, 30*time.Minute, 3, clk.Now)
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
	log := slog.New(redactHandler{inner: slog.NewJSONHandler(&buf, nil), r: newRedactor(token)})
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

	err := newRedactor(token).Error(fmt.Errorf("wrapped: %w", urlErr))
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

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in       string
		wantCmd  command
		wantArgs string
		wantOK   bool
	}{
		{"/start", command{name: "start"}, "", true},
		{"/ask 渔门镇呢？", command{name: "ask"}, "渔门镇呢？", true},
		{"/ask渔门镇呢？", command{name: "ask"}, "渔门镇呢？", true},
		{"/ASK@Fazhi_Bot  城关镇 ", command{name: "ask", target: "Fazhi_Bot"}, "城关镇", true},
		{"/facts@other_bot", command{name: "facts", target: "other_bot"}, "", true},
		{"/", command{}, "", false},
		{"/ 空", command{}, "", false},
		{"渔门镇/城关镇", command{}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cmd, args, ok := parseCommand(tt.in)
			if cmd != tt.wantCmd || args != tt.wantArgs || ok != tt.wantOK {
				t.Errorf("parseCommand(%q) = %+v, %q, %v; want %+v, %q, %v", tt.in, cmd, args, ok, tt.wantCmd, tt.wantArgs, tt.wantOK)
			}
		})
	}
}

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
			town, year := parseFactsArgs(tt.in)
			if town != tt.wantTown || year != tt.wantYear {
				t.Errorf("parseFactsArgs(%q) = %q, %d; want %q, %d", tt.in, town, year, tt.wantTown, tt.wantYear)
			}
		})
	}
}

func TestAddressed(t *testing.T) {
	b := &Bot{}
	b.me.Store(&models.User{ID: 777, IsBot: true, Username: "fazhi_bot"})
	mention := func(off, n int) []models.MessageEntity {
		return []models.MessageEntity{{Type: models.MessageEntityTypeMention, Offset: off, Length: n}}
	}
	tests := []struct {
		name     string
		text     string
		entities []models.MessageEntity
		reply    *models.Message
		want     string
		wantOK   bool
	}{
		{"entity", "@fazhi_bot 渔门镇呢", mention(0, 10), nil, "渔门镇呢", true},
		// Offsets are UTF-16 units: the emoji before the mention takes two.
		{"entity after astral rune", "😀问 @Fazhi_Bot 城关镇", mention(4, 10), nil, "😀问  城关镇", true},
		{"other mention", "@someone 你好", mention(0, 8), nil, "", false},
		{"no entities, text fallback", "问 @FAZHI_BOT", nil, nil, "问", true},
		{"longer name is not us", "@fazhi_bot2 hi", nil, nil, "", false},
		{"reply to bot", "那2021年呢", nil, &models.Message{From: &models.User{ID: 777}}, "那2021年呢", true},
		{"reply to someone else", "那2021年呢", nil, &models.Message{From: &models.User{ID: 1}}, "", false},
		{"bad entity offsets", "@fazhi_bot", mention(5, 50), nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := b.addressed(tt.text, tt.entities, &models.Message{ReplyToMessage: tt.reply})
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Errorf("addressed(%q) = %q, %v; want %q, %v", tt.text, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
