package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"fazhi/bot"
	"fazhi/ingest"
	"fazhi/internal/ratelimit"
	"fazhi/rag"
)

// The real engine must satisfy the bot's interface.
var _ bot.Engine = (*rag.Engine)(nil)

// harness runs a Bot against a fakeAPI until the test ends.
type harness struct {
	api  *fakeAPI
	eng  *fakeEngine
	logs *syncBuffer
	bot  *bot.Bot
}

// startBot runs a bot with cfg (token and URL filled in) through Run. At
// cleanup it stops the bot, checks that Run returned nil and that the log
// never shows the token.
func startBot(t *testing.T, cfg bot.Config, eng *fakeEngine) *harness {
	t.Helper()
	h := newHarness(t, cfg, eng)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.bot.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil after cancel", err)
			}
		case <-time.After(waitFailsafe):
			t.Error("Run did not return after cancel")
		}
	})
	return h
}

func newHarness(t *testing.T, cfg bot.Config, eng *fakeEngine) *harness {
	t.Helper()
	api := newFakeAPI(t)
	logs := &syncBuffer{}
	t.Cleanup(func() {
		api.srv.Close()
		if strings.Contains(logs.String(), testToken) || strings.Contains(logs.String(), strings.Split(testToken, ":")[1]) {
			t.Errorf("log shows the bot token:\n%s", logs.String())
		}
		if t.Failed() {
			t.Logf("bot log:\n%s", logs.String())
		}
	})
	cfg.Token = testToken
	cfg.APIURL = api.URL() + "/" // a trailing slash must not matter
	if cfg.PollTimeout == 0 {
		cfg.PollTimeout = time.Second
	}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := bot.New(cfg, eng, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &harness{api: api, eng: eng, logs: logs, bot: b}
}

// ask sends text as user and returns the bot's next message.
func (h *harness) ask(t *testing.T, user int64, text string) sentMessage {
	t.Helper()
	h.api.push(privateText(user, text))
	return h.api.next(t)
}

var yumenAnswer = rag.Answer{
	Answer: "渔门镇2020年共排查、调解各类矛盾纠纷368件，调解成功率98%。",
	Found:  true,
	Mode:   "extractive",
	Citations: []rag.Citation{{
		Source:  "000_cd4b96a87fea5f69.txt",
		Title:   "渔门镇2020年度法治政府建设工作报告",
		Town:    "渔门镇",
		Year:    2020,
		Section: "一、主要举措 > （四）防化结合",
		Quote:   "全年共排查、调解各类矛盾纠纷368件，调解成功率98%。",
	}},
}

var chengguanAnswer = rag.Answer{
	Answer: "城关镇2020年共调解矛盾纠纷120余件。",
	Found:  true,
	Mode:   "extractive",
	Citations: []rag.Citation{{
		Source:  "003_chengguan.txt",
		Title:   "城关镇2020年法治政府建设工作报告",
		Town:    "城关镇",
		Year:    2020,
		Section: "二、工作成效",
		Quote:   "调解矛盾纠纷120余件，化解率100%。",
	}},
}

func TestConversation(t *testing.T) {
	eng := &fakeEngine{answer: func(q rag.Question) (rag.Answer, error) {
		if strings.Contains(q.Text, "城关镇") {
			return chengguanAnswer, nil
		}
		return yumenAnswer, nil
	}}
	h := startBot(t, bot.Config{AllowedUsers: []int64{42}}, eng)

	const q1 = "How many disputes did Yumen mediate in 2020?"
	got := h.ask(t, 42, q1)
	if got.ChatID != 42 || got.ParseMode != "HTML" {
		t.Errorf("reply went to chat %d with parse_mode %q, want 42 and HTML", got.ChatID, got.ParseMode)
	}
	for _, want := range []string{yumenAnswer.Answer, "来源", "渔门镇 2020年 《渔门镇2020年度法治政府建设工作报告》", "000_cd4b96a87fea5f69.txt", "/proof"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("answer %q lacks %q", got.Text, want)
		}
	}
	if a := h.api.nextAction(t); a.ChatID != 42 || a.Action != "typing" {
		t.Errorf("chat action = %+v, want typing in chat 42", a)
	}

	got = h.ask(t, 42, "那城关镇呢？")
	if !strings.Contains(got.Text, chengguanAnswer.Answer) {
		t.Errorf("follow-up answer %q lacks %q", got.Text, chengguanAnswer.Answer)
	}
	qs := eng.questions()
	if len(qs) != 2 {
		t.Fatalf("engine asked %d times, want 2", len(qs))
	}
	if len(qs[0].History) != 0 {
		t.Errorf("first question had history %v, want none", qs[0].History)
	}
	wantHistory := []rag.Turn{{Role: "user", Content: q1}, {Role: "assistant", Content: yumenAnswer.Answer}}
	if !slices.Equal(qs[1].History, wantHistory) {
		t.Errorf("follow-up history = %v, want %v", qs[1].History, wantHistory)
	}
	if qs[1].Text != "那城关镇呢？" {
		t.Errorf("follow-up question = %q", qs[1].Text)
	}

	got = h.ask(t, 42, "/proof")
	for _, want := range []string{"<blockquote>" + chengguanAnswer.Citations[0].Quote + "</blockquote>", "003_chengguan.txt", "城关镇 2020年"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("/proof = %q, lacks %q", got.Text, want)
		}
	}
	if len(eng.questions()) != 2 {
		t.Error("/proof called the engine")
	}
}

func TestProofBeforeAnyAnswer(t *testing.T) {
	h := startBot(t, bot.Config{}, &fakeEngine{})
	if got := h.ask(t, 5, "/proof"); !strings.Contains(got.Text, "请先提问") {
		t.Errorf("/proof with no answer = %q", got.Text)
	}
}

func TestUnauthorizedUser(t *testing.T) {
	eng := &fakeEngine{}
	h := startBot(t, bot.Config{AllowedUsers: []int64{42}, Admins: []int64{7}}, eng)
	for _, u := range []*models.Update{
		privateText(99, "How many disputes did Yumen mediate in 2020?"),
		privateText(99, "/ask 渔门镇调解了多少件？"),
		privateText(99, "/reports"),
		privateText(99, "/facts 渔门镇"),
		document(99, "f1", "report.txt", 10),
	} {
		h.api.push(u)
		if got := h.api.next(t); got.Text != "抱歉，您没有使用权限。" || got.ChatID != 99 {
			t.Errorf("reply to user 99 for %q = %+v, want the refusal", u.Message.Text, got)
		}
	}
	if n := len(eng.questions()); n != 0 {
		t.Errorf("engine asked %d times for a user not allowed", n)
	}
	if n := len(eng.factFilters()) + len(eng.ingestCalls()); n != 0 {
		t.Errorf("engine called %d times for a user not allowed", n)
	}
	if n := h.api.callCount("getFile"); n != 0 {
		t.Errorf("getFile called %d times for a user not allowed", n)
	}
	// Admins need not be listed in AllowedUsers.
	if got := h.ask(t, 7, "城关镇呢"); got.Text == "抱歉，您没有使用权限。" {
		t.Error("admin refused")
	}
}

func TestHelpAndUnknownCommand(t *testing.T) {
	h := startBot(t, bot.Config{}, &fakeEngine{})
	for _, cmd := range []string{"/start", "/help"} {
		got := h.ask(t, 1, cmd)
		if !strings.Contains(got.Text, "/reports") || !strings.Contains(got.Text, "Ask questions") {
			t.Errorf("%s = %q, want Chinese help with an English line", cmd, got.Text)
		}
	}
	if got := h.ask(t, 1, "/nosuch"); !strings.Contains(got.Text, "/help") {
		t.Errorf("unknown command reply = %q", got.Text)
	}
	if got := h.ask(t, 1, "/ask"); !strings.Contains(got.Text, "/ask") {
		t.Errorf("/ask without question = %q, want usage", got.Text)
	}
}

func TestReportsAndFacts(t *testing.T) {
	eng := &fakeEngine{
		reports: []rag.ReportInfo{
			{Report: ingest.Report{Source: "001_a.txt", Town: "渔门镇", Year: 2020, Title: "渔门镇2020年度法治政府建设工作报告"}, Chunks: 30, Facts: 12},
			{Report: ingest.Report{Source: "002_b.txt", Town: "城关镇", Year: 2021, Title: "城关镇2021年法治政府建设情况报告"}},
			{Report: ingest.Report{Source: "odd<&>.txt"}},
		},
		facts: []ingest.Fact{
			{Town: "渔门镇", Year: 2020, Subject: "排查、调解各类矛盾纠纷", Value: 368, Unit: "件"},
			{Town: "渔门镇", Year: 2020, Subject: "调解成功率", Value: 98, Unit: "%"},
			{Town: "渔门镇", Year: 2021, Subject: "开展法治宣传活动", Value: 20, Unit: "场", Approx: "余"},
			{Town: "城关镇", Year: 2020, Subject: "受理案件", Value: 5, Unit: "件"},
		},
	}
	h := startBot(t, bot.Config{}, eng)

	got := h.ask(t, 3, "/reports")
	for _, want := range []string{
		"渔门镇 2020年 《渔门镇2020年度法治政府建设工作报告》 — 001_a.txt",
		"城关镇 2021年 《城关镇2021年法治政府建设情况报告》 — 002_b.txt",
		"未知乡镇 年份未知 — odd&lt;&amp;&gt;.txt",
		"3 份",
	} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("/reports = %q, lacks %q", got.Text, want)
		}
	}

	tests := []struct {
		cmd        string
		wantFilter rag.FactFilter
		want       []string
		notWant    []string
	}{
		{"/facts 渔门镇", rag.FactFilter{Town: "渔门镇"},
			[]string{"2020年 排查、调解各类矛盾纠纷：368件", "调解成功率：98%", "2021年 开展法治宣传活动：20余场", "共 3 条"},
			[]string{"受理案件"}},
		{"/facts 渔门镇 2021", rag.FactFilter{Town: "渔门镇", Year: 2021},
			[]string{"20余场"}, []string{"368件"}},
		{"/facts 不存在镇", rag.FactFilter{Town: "不存在镇"},
			[]string{"未找到「不存在镇」", "发送 /reports"}, nil},
		// The Chinese commands of WeCom and DingTalk work here too.
		{"数据 渔门镇 2021年", rag.FactFilter{Town: "渔门镇", Year: 2021},
			[]string{"20余场"}, []string{"368件"}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			before := len(eng.factFilters())
			got := h.ask(t, 3, tt.cmd)
			fs := eng.factFilters()
			if len(fs) != before+1 || fs[len(fs)-1] != tt.wantFilter {
				t.Errorf("filters = %+v, want last %+v", fs, tt.wantFilter)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.Text, w) {
					t.Errorf("reply %q lacks %q", got.Text, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got.Text, w) {
					t.Errorf("reply %q has %q", got.Text, w)
				}
			}
		})
	}
	if got := h.ask(t, 3, "报告列表"); !strings.Contains(got.Text, "3 份") {
		t.Errorf("报告列表 = %q, want the reports", got.Text)
	}
	if got := h.ask(t, 3, "/facts"); !strings.Contains(got.Text, "用法") {
		t.Errorf("/facts without town = %q, want usage", got.Text)
	}
}

func TestHTMLEscaping(t *testing.T) {
	eng := &fakeEngine{answer: func(rag.Question) (rag.Answer, error) {
		return rag.Answer{Answer: `若 a<b & c>d，则 <script>alert("x")</script>`, Found: true,
			Citations: []rag.Citation{{Source: "x&y.txt", Title: "<标题>", Quote: "q"}}}, nil
	}}
	h := startBot(t, bot.Config{}, eng)
	got := h.ask(t, 1, "test")
	for _, want := range []string{"若 a&lt;b &amp; c&gt;d，则 &lt;script&gt;", "《&lt;标题&gt;》", "x&amp;y.txt"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("sent %q, lacks %q", got.Text, want)
		}
	}
	if strings.Contains(got.Text, "<script>") || strings.Contains(got.Text, "x&y") {
		t.Errorf("sent unescaped text: %q", got.Text)
	}
	if err := checkTelegramHTML(got.Text); err != nil {
		t.Errorf("sent %q: %v", got.Text, err)
	}
}

func TestLongAnswerIsSplit(t *testing.T) {
	// 10,000 characters: 100 lines of 99 characters and a newline, with
	// a few characters that need escaping.
	var b strings.Builder
	for i := range 100 {
		b.WriteString(strings.Repeat("法", 91) + "<&>" + strconv.Itoa(1000+i) + "治\n")
	}
	long := strings.TrimSuffix(b.String(), "\n") + "。"
	if n := len([]rune(long)); n != 10000 {
		t.Fatalf("test answer has %d characters, want 10000", n)
	}
	eng := &fakeEngine{answer: func(rag.Question) (rag.Answer, error) {
		return rag.Answer{Answer: long, Found: true, Citations: yumenAnswer.Citations}, nil
	}}
	h := startBot(t, bot.Config{Concurrency: 1}, eng)
	h.api.push(privateText(1, "long"))
	var parts []string
	for range 3 {
		parts = append(parts, h.api.next(t).Text)
	}
	var plain strings.Builder
	for i, p := range parts {
		if n := len(utf16.Encode([]rune(p))); n > 4096 {
			t.Errorf("part %d is %d UTF-16 units, want ≤ 4096", i+1, n)
		}
		if err := checkTelegramHTML(p); err != nil {
			t.Errorf("part %d: %v", i+1, err)
		}
		if i < 2 && !strings.HasSuffix(stripHTML(p), "治") {
			t.Errorf("part %d ends %q, want a cut at a line end", i+1, lastRunes(stripHTML(p), 10))
		}
		plain.WriteString(stripHTML(p) + "\n")
	}
	if !strings.Contains(plain.String(), long) {
		t.Error("the parts do not add up to the answer")
	}
	if !strings.Contains(parts[2], "000_cd4b96a87fea5f69.txt") {
		t.Errorf("last part lacks the sources: %q", lastRunes(parts[2], 200))
	}
	// With one worker the next message is the reply to the next update,
	// not a fourth part.
	if got := h.ask(t, 1, "/help"); !strings.Contains(got.Text, "Ask questions") {
		t.Errorf("message after the 3 parts = %q, want the help", lastRunes(got.Text, 50))
	}
}

func TestSendRetries(t *testing.T) {
	tests := []struct {
		name    string
		failure apiFailure
	}{
		{"429 retry_after", apiFailure{status: http.StatusTooManyRequests, retryAfter: 1}},
		{"502", apiFailure{status: http.StatusBadGateway}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startBot(t, bot.Config{}, &fakeEngine{})
			h.api.failSend(tt.failure)
			got := h.ask(t, 1, "渔门镇呢")
			if !strings.Contains(got.Text, "答：渔门镇呢") {
				t.Errorf("delivered %q", got.Text)
			}
			if n := h.api.callCount("sendMessage"); n != 2 {
				t.Errorf("sendMessage called %d times, want 2", n)
			}
		})
	}
}

func TestPollErrorsLoseNothing(t *testing.T) {
	h := newHarness(t, bot.Config{}, &fakeEngine{})
	h.api.failPoll(apiFailure{status: http.StatusInternalServerError})
	h.api.failPoll(apiFailure{status: http.StatusTooManyRequests, retryAfter: 1})
	h.api.push(privateText(1, "第一个问题"))
	h.api.push(privateText(1, "/help"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.bot.Run(ctx) }()
	var texts []string
	for range 2 {
		texts = append(texts, h.api.next(t).Text)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	slices.Sort(texts)
	if !strings.Contains(texts[0], "Ask questions") && !strings.Contains(texts[1], "Ask questions") {
		t.Errorf("no help among %q", texts)
	}
	if !strings.Contains(strings.Join(texts, ""), "答：第一个问题") {
		t.Errorf("no answer among %q", texts)
	}
	if !strings.Contains(h.logs.String(), "get updates") {
		t.Errorf("poll failures not logged:\n%s", h.logs.String())
	}
}

func TestRateLimit(t *testing.T) {
	eng := &fakeEngine{}
	h := startBot(t, bot.Config{RatePerMinute: 2, Concurrency: 1}, eng)
	for i, want := range []string{"答：q1", "答：q2", "请求过于频繁，请稍后再试。"} {
		if got := h.ask(t, 1, "q"+strconv.Itoa(i+1)); !strings.Contains(got.Text, want) {
			t.Errorf("message %d: got %q, want %q", i+1, got.Text, want)
		}
	}
	// Told once: further messages over the limit get no notice, so the
	// next reply is the one to another user, who has their own bucket.
	h.api.push(privateText(1, "q4"))
	if n := len(eng.questions()); n != 2 {
		t.Errorf("engine asked %d times, want 2", n)
	}
	if got := h.ask(t, 2, "q"); !strings.Contains(got.Text, "答：q") {
		t.Errorf("second user got %q", got.Text)
	}
}

func TestEngineFailures(t *testing.T) {
	eng := &fakeEngine{answer: func(q rag.Question) (rag.Answer, error) {
		switch q.Text {
		case "panic":
			panic("engine bug")
		case "fail":
			return rag.Answer{}, errors.New("store: database disk image is malformed")
		case "busy":
			return rag.Answer{}, fmt.Errorf("expensive question: %w", &ratelimit.BusyError{QueueFull: true, RetryAfter: time.Second})
		}
		return rag.Answer{Answer: "ok", Found: true}, nil
	}}
	h := startBot(t, bot.Config{Concurrency: 1}, eng)
	for _, q := range []string{"panic", "fail"} {
		got := h.ask(t, 1, q)
		if got.Text != "抱歉，处理时出错，请稍后再试。" {
			t.Errorf("%s: reply %q, want the generic error", q, got.Text)
		}
	}
	if got := h.ask(t, 1, "busy"); got.Text != "同时在回答的复杂问题太多，请稍后再问。" {
		t.Errorf("busy: reply %q, want the busy notice", got.Text)
	}
	if got := h.ask(t, 1, "still there?"); got.Text != "ok" {
		t.Errorf("after failures: %q, want ok", got.Text)
	}
	logs := h.logs.String()
	for _, want := range []string{"engine bug", "database disk image is malformed"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	eng.mu.Lock()
	eng.err = errors.New("reports exploded")
	eng.mu.Unlock()
	if got := h.ask(t, 1, "/reports"); got.Text != "抱歉，处理时出错，请稍后再试。" {
		t.Errorf("/reports on engine error = %q", got.Text)
	}
}

func TestGroupChat(t *testing.T) {
	const group = -100123
	eng := &fakeEngine{}
	h := startBot(t, bot.Config{Concurrency: 1}, eng)

	// Not addressed to the bot: ignored. The next reply must then be for
	// the message after it (updates are handled in order with one worker).
	h.api.push(groupText(group, 1, "大家好，今天开会"))
	h.api.push(groupText(group, 1, "/ask@other_bot 这不是问我的"))
	mention := groupText(group, 1, "@"+botUsername+" 渔门镇2020年调解了多少件？")
	h.api.push(mention)
	got := h.api.next(t)
	if got.ChatID != group || got.ReplyTo != mention.Message.ID {
		t.Errorf("reply to mention = %+v, want chat %d replying to %d", got, group, mention.Message.ID)
	}
	if want := "答：渔门镇2020年调解了多少件？"; got.Text != want {
		t.Errorf("reply = %q, want %q (mention removed)", got.Text, want)
	}

	tests := []struct {
		name string
		upd  *models.Update
		want string
	}{
		{"/ask", groupText(group, 2, "/ask 城关镇呢？"), "答：城关镇呢？"},
		{"/ask@me", groupText(group, 2, "/ask@"+botUsername+" 新场镇呢？"), "答：新场镇呢？"},
		{"/help@me", groupText(group, 2, "/help@"+strings.ToUpper(botUsername)), "Ask questions"},
		{"mention mid-text", groupText(group, 2, "请问 @"+botUsername+" 大足区呢"), "答：请问  大足区呢"},
		{"reply to bot", func() *models.Update {
			u := groupText(group, 2, "那2021年呢？")
			u.Message.ReplyToMessage = &models.Message{ID: 5, From: &models.User{ID: botUserID, IsBot: true}}
			return u
		}(), "答：那2021年呢？"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.api.push(tt.upd)
			if got := h.api.next(t); !strings.Contains(got.Text, tt.want) {
				t.Errorf("reply = %q, want %q", got.Text, tt.want)
			}
		})
	}
	if n := len(eng.questions()); n != 5 {
		t.Errorf("engine asked %d times, want 5", n)
	}
}

func TestDocuments(t *testing.T) {
	report := []byte("渔门镇2020年度法治政府建设工作报告\n全年共排查、调解各类矛盾纠纷368件。\n")
	eng := &fakeEngine{}
	h := startBot(t, bot.Config{AllowedUsers: []int64{42}, Admins: []int64{7}, Concurrency: 1}, eng)
	h.api.addFile("ok", fakeFile{path: "documents/file_1.txt", data: report})
	h.api.addFile("big", fakeFile{path: "documents/file_2.pdf", data: []byte("x"), size: bot.MaxFileSize + 1})
	h.api.addFile("broken", fakeFile{path: "documents/file_3.txt", broken: true})

	tests := []struct {
		name       string
		upd        *models.Update
		want       string
		wantIngest bool
	}{
		{"admin uploads", document(7, "ok", "新场镇 2022 报告.txt", int64(len(report))), "已导入", true},
		{"non-admin", document(42, "ok", "a.txt", 10), "只有管理员", false},
		{"too large", document(7, "ok", "a.pdf", bot.MaxFileSize+1), "文件过大", false},
		{"too large per getFile", document(7, "big", "b.pdf", 0), "文件过大", false},
		{"unsupported", document(7, "ok", "setup.exe", 10), "不支持的文件类型（.exe）", false},
		{"no extension", document(7, "ok", "README", 10), "不支持的文件类型", false},
		{"download fails", document(7, "broken", "c.txt", 1000), "下载文件失败", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(eng.ingestCalls())
			h.api.push(tt.upd)
			got := h.api.next(t)
			if !strings.Contains(got.Text, tt.want) {
				t.Errorf("reply = %q, want %q", got.Text, tt.want)
			}
			calls := eng.ingestCalls()
			if gotIngest := len(calls) > before; gotIngest != tt.wantIngest {
				t.Fatalf("IngestFile called: %v, want %v", gotIngest, tt.wantIngest)
			}
			if tt.wantIngest {
				c := calls[len(calls)-1]
				if c.name != tt.upd.Message.Document.FileName || !bytes.Equal(c.data, report) {
					t.Errorf("IngestFile(%q, %d bytes), want (%q, the file's %d bytes)",
						c.name, len(c.data), tt.upd.Message.Document.FileName, len(report))
				}
			}
		})
	}
	for path, want := range map[string]int{"documents/file_1.txt": 1, "documents/file_2.pdf": 0} {
		if n := h.api.callCount("download " + path); n != want {
			t.Errorf("downloads of %s = %d, want %d", path, n, want)
		}
	}
	// The failed download's error quotes the file URL; the log must show
	// it redacted.
	if !strings.Contains(h.logs.String(), "/file/bot<redacted>/documents/file_3.txt") {
		t.Errorf("log lacks the redacted download URL:\n%s", h.logs.String())
	}
}

func TestRunRejectsBadToken(t *testing.T) {
	api := newFakeAPI(t)
	defer api.srv.Close()
	logs := &syncBuffer{}
	const wrong = "999:WRONG-token"
	b, err := bot.New(bot.Config{Token: wrong, APIURL: api.URL()}, &fakeEngine{}, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	err = b.Run(context.Background())
	if err == nil {
		t.Fatal("Run with a rejected token returned nil")
	}
	if strings.Contains(err.Error(), "WRONG-token") {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestRunStopsWhenTokenIsRevoked(t *testing.T) {
	h := newHarness(t, bot.Config{}, &fakeEngine{})
	h.api.failPoll(apiFailure{status: http.StatusUnauthorized})
	err := h.bot.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "rejected the token") {
		t.Errorf("Run = %v, want an error saying the token was rejected", err)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := bot.New(bot.Config{Token: " "}, &fakeEngine{}, nil); err == nil {
		t.Error("New with an empty token: no error")
	}
	if _, err := bot.New(bot.Config{Token: testToken}, nil, nil); err == nil {
		t.Error("New with a nil engine: no error")
	}
}

func TestWebhook(t *testing.T) {
	eng := &fakeEngine{}
	h := newHarness(t, bot.Config{WebhookSecret: "s3cret-hook"}, eng)
	srv := httptest.NewServer(h.bot.WebhookHandler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.bot.RunWebhook(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunWebhook = %v", err)
		}
	}()

	post := func(secret string, body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	upd := `{"update_id":1,"message":{"message_id":1,"date":1,"from":{"id":5,"is_bot":false,"first_name":"A"},"chat":{"id":5,"type":"private"},"text":"%s"}}`
	for _, secret := range []string{"", "wrong", "s3cret-hoo", "s3cret-hook2"} {
		if code := post(secret, strings.Replace(upd, "%s", "forged", 1)); code != http.StatusForbidden {
			t.Errorf("secret %q: status %d, want 403", secret, code)
		}
	}
	if code := post("s3cret-hook", strings.Replace(upd, "%s", "真的问题", 1)); code != http.StatusOK {
		t.Errorf("right secret: status %d, want 200", code)
	}
	if got := h.api.next(t); got.Text != "答：真的问题" || got.ChatID != 5 {
		t.Errorf("webhook reply = %+v", got)
	}
	for _, q := range eng.questions() {
		if q.Text == "forged" {
			t.Error("engine asked a forged update")
		}
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", resp.StatusCode)
	}
}

func TestRunWebhookNeedsSecret(t *testing.T) {
	b, err := bot.New(bot.Config{Token: testToken, APIURL: "http://127.0.0.1:1"}, &fakeEngine{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.RunWebhook(context.Background()); err == nil {
		t.Error("RunWebhook without a secret: no error")
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	b.WebhookHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("handler without a secret: status %d, want 403", rec.Code)
	}
}

// TestNoGoroutineLeak runs a conversation and checks that once Run has
// returned and the fake server is closed, no goroutine is left behind.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		api := newFakeAPI(t)
		defer api.srv.Close()
		b, err := bot.New(bot.Config{Token: testToken, APIURL: api.URL(), PollTimeout: time.Second}, &fakeEngine{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- b.Run(ctx) }()
		for i := range 5 {
			api.push(privateText(int64(i+1), "问题"))
		}
		for range 5 {
			api.next(t)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	// Goroutines of closed connections take a moment to unwind.
	deadline := time.Now().Add(waitFailsafe)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after Run, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestParseIDs(t *testing.T) {
	tests := []struct {
		in      string
		want    []int64
		wantErr string
	}{
		{"", nil, ""},
		{"42", []int64{42}, ""},
		{" 42, 7 ,,1000000000000 ", []int64{42, 7, 1000000000000}, ""},
		{"42,abc", nil, `element 2 "abc"`},
		{"42,-5", nil, `element 2 "-5"`},
		{"1.5", nil, `element 1 "1.5"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := bot.ParseIDs(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseIDs(%q) error = %v, want one naming %s", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("ParseIDs(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

var tagRE = regexp.MustCompile(`</?(b|i|code|blockquote)>`)

// stripHTML turns a message back into the text Telegram shows.
func stripHTML(s string) string {
	return html.UnescapeString(tagRE.ReplaceAllString(s, ""))
}

// checkTelegramHTML checks that s uses only our tags, balanced, and that
// every '&' starts an entity.
func checkTelegramHTML(s string) error {
	var stack []string
	for _, m := range regexp.MustCompile(`<[^>]*>?`).FindAllString(s, -1) {
		sub := tagRE.FindStringSubmatch(m)
		if sub == nil || sub[0] != m {
			return errors.New("stray markup " + strconv.Quote(m))
		}
		if strings.HasPrefix(m, "</") {
			if len(stack) == 0 || stack[len(stack)-1] != sub[1] {
				return errors.New("unbalanced " + m)
			}
			stack = stack[:len(stack)-1]
		} else {
			stack = append(stack, sub[1])
		}
	}
	if len(stack) > 0 {
		return errors.New("unclosed <" + stack[len(stack)-1] + ">")
	}
	if bad := regexp.MustCompile(`&(?:[a-z]+;|#[0-9]+;)?`).FindAllString(s, -1); slices.Contains(bad, "&") {
		return errors.New("bare & in " + strconv.Quote(s))
	}
	return nil
}

func lastRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[len(r)-n:]
	}
	return string(r)
}

// TestConcurrencyIsBounded holds every Ask until the test lets them all
// go, and checks that no more than Concurrency were ever in flight.
func TestConcurrencyIsBounded(t *testing.T) {
	const limit, n = 2, 6
	entered := make(chan struct{}, n)
	release := make(chan struct{})
	var mu sync.Mutex
	inflight, most := 0, 0
	eng := &fakeEngine{answer: func(q rag.Question) (rag.Answer, error) {
		mu.Lock()
		inflight++
		most = max(most, inflight)
		mu.Unlock()
		entered <- struct{}{}
		<-release
		mu.Lock()
		inflight--
		mu.Unlock()
		return rag.Answer{Answer: "ok"}, nil
	}}
	h := startBot(t, bot.Config{Concurrency: limit}, eng)
	for i := range n {
		h.api.push(privateText(int64(i+1), "q"))
	}
	for range limit {
		<-entered
	}
	// A third Ask can never start while the first two are held, however
	// long we give it; the grace period only gives a broken bound the
	// chance to show.
	select {
	case <-entered:
		t.Errorf("more than %d asks in flight", limit)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	for range n {
		h.api.next(t)
	}
	mu.Lock()
	defer mu.Unlock()
	if most != limit {
		t.Errorf("at most %d asks in flight, want %d", most, limit)
	}
}
