package dingtalk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fazhi/dingtalk"
	"fazhi/messenger"
	"fazhi/messenger/messengertest"
)

// The app in the tests, and signatures of it computed outside Go with
//
//	printf '%s\n%s' "$TS" "$SECRET" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
const (
	appKey    = "dingq3xkeyappkey7"
	appSecret = "gQ3X-dingtalk-app-secret_7Lm"

	tsNow    = "1764676800000" // 2025-12-02 12:00:00 UTC
	signNow  = "9SnTmqHuoAoRdKc7gmIreYJte6srPOSBRgsh+Y0LtFA="
	tsOld    = "1764669600000" // two hours earlier
	signOld  = "tN1NGk3B6+P+ddSQDdiploKi7SoPyEB17CiqqJBCmIU="
	tsLater  = "1764684000000" // two hours later
	signLate = "HFPrzyevI9FrZA0To+jX7fz44NWNTCPpull2p6Z0PBg="
	tsMinute = "1764676860000" // a minute later
	signMin  = "kHWPu9U40ZmWGmU4zyLSpywtT9dPGgXyyaIrHTRqay0="
)

// now is the robot's clock in the tests: a minute after tsNow.
var now = time.UnixMilli(1764676860000)

func TestSignMatchesOpenSSL(t *testing.T) {
	for ts, want := range map[string]string{tsNow: signNow, tsOld: signOld, tsLater: signLate, tsMinute: signMin} {
		if got := dingtalk.Sign(ts, appSecret); got != want {
			t.Errorf("Sign(%s) = %s, openssl says %s", ts, got, want)
		}
	}
}

// reply is a message posted to a session webhook.
type reply struct {
	Session string // the webhook's session key
	MsgType string
	Title   string
	Text    string
}

// fakeDingTalk is DingTalk's side: the session webhooks replies go to and
// the open API (access token, robot file download, the file itself).
type fakeDingTalk struct {
	srv *httptest.Server

	mu       sync.Mutex
	replies  []reply
	failNext int
	tokens   int
	files    map[string][]byte // download code → content
	newReply chan struct{}
}

func newFake(t *testing.T) *fakeDingTalk {
	f := &fakeDingTalk{files: map[string][]byte{}, newReply: make(chan struct{}, 100)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /robot/sendBySession", f.session)
	mux.HandleFunc("POST /v1.0/oauth2/accessToken", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ AppKey, AppSecret string }
		json.NewDecoder(r.Body).Decode(&in)
		if in.AppKey != appKey || in.AppSecret != appSecret {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]string{"code": "invalidClientIdOrSecret", "message": "bad app"})
			return
		}
		f.mu.Lock()
		f.tokens++
		n := f.tokens
		f.mu.Unlock()
		writeJSON(w, map[string]any{"accessToken": fmt.Sprintf("dt-access-%d", n), "expireIn": 7200})
	})
	mux.HandleFunc("POST /v1.0/robot/messageFiles/download", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ DownloadCode, RobotCode string }
		json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		_, ok := f.files[in.DownloadCode]
		f.mu.Unlock()
		if !strings.HasPrefix(r.Header.Get("x-acs-dingtalk-access-token"), "dt-access-") || in.RobotCode != appKey || !ok {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]string{"code": "invalidParameter", "message": "bad download"})
			return
		}
		writeJSON(w, map[string]string{"downloadUrl": f.srv.URL + "/files/" + in.DownloadCode + "?sig=temporary"})
	})
	mux.HandleFunc("GET /files/{code}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		data := f.files[r.PathValue("code")]
		f.mu.Unlock()
		w.Write(data)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDingTalk) session(w http.ResponseWriter, r *http.Request) {
	var in struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
	}
	json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext != 0 {
		writeJSON(w, map[string]any{"errcode": f.failNext, "errmsg": "injected failure"})
		f.failNext = 0
		return
	}
	if in.MsgType != "markdown" || in.Markdown.Title == "" || in.Markdown.Text == "" || len(in.Markdown.Text) > 4000 {
		writeJSON(w, map[string]any{"errcode": 400105, "errmsg": "bad markdown"})
		return
	}
	f.replies = append(f.replies, reply{Session: r.URL.Query().Get("session"), MsgType: in.MsgType, Title: in.Markdown.Title, Text: in.Markdown.Text})
	f.newReply <- struct{}{}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (f *fakeDingTalk) sent() []reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]reply(nil), f.replies...)
}

// wait waits until n replies have been posted in all.
func (f *fakeDingTalk) wait(t *testing.T, n int) []reply {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if r := f.sent(); len(r) >= n {
			return r
		}
		select {
		case <-f.newReply:
		case <-deadline:
			t.Fatalf("waited for %d replies, got %+v", n, f.sent())
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	fake *fakeDingTalk
	url  string // the robot's callback
	logs *syncBuffer
	n    int
}

func start(t *testing.T, edit func(*dingtalk.Config)) *harness {
	t.Helper()
	fake := newFake(t)
	cfg := dingtalk.Config{AppKey: appKey, AppSecret: appSecret, APIURL: fake.srv.URL, Now: func() time.Time { return now }}
	if edit != nil {
		edit(&cfg)
	}
	logs := &syncBuffer{}
	b, err := dingtalk.New(cfg, messengertest.SeedEngine(t), slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
		for _, leak := range []string{appSecret, "dt-access-", "session=s"} {
			if strings.Contains(logs.String(), leak) {
				t.Errorf("log shows %q:\n%s", leak, logs.String())
			}
		}
	})
	return &harness{fake: fake, url: srv.URL, logs: logs}
}

// msg is a callback body as DingTalk writes it.
type msg struct {
	user, conv, text string
	group, at        bool
	msgType          string
	content          any
	expires          time.Time
}

// post delivers m with the given timestamp and sign headers and returns
// the HTTP status.
func (h *harness) post(t *testing.T, m msg, ts, sign string) int {
	t.Helper()
	h.n++
	ctype := "1"
	if m.group {
		ctype = "2"
	}
	if m.msgType == "" {
		m.msgType = "text"
	}
	if m.expires.IsZero() {
		m.expires = now.Add(90 * time.Minute)
	}
	body := map[string]any{
		"msgId":                     fmt.Sprintf("msg%d", h.n),
		"msgtype":                   m.msgType,
		"text":                      map[string]string{"content": m.text},
		"senderStaffId":             m.user,
		"senderNick":                "张三",
		"conversationType":          ctype,
		"conversationId":            m.conv,
		"isInAtList":                m.at,
		"sessionWebhook":            h.fake.srv.URL + "/robot/sendBySession?session=s" + m.conv,
		"sessionWebhookExpiredTime": m.expires.UnixMilli(),
		"robotCode":                 appKey,
		"chatbotUserId":             "$:LWCP_v1:$robot",
	}
	if m.content != nil {
		body["content"] = m.content
	}
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, h.url, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("timestamp", ts)
	req.Header.Set("sign", sign)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func hasFigure(text, n string) bool {
	return regexp.MustCompile(`(^|[^0-9.])` + regexp.QuoteMeta(n) + `($|[^0-9])`).MatchString(text)
}

func TestConversation(t *testing.T) {
	h := start(t, nil)
	if code := h.post(t, msg{user: "staff1", conv: "cidA", text: "渔门镇2020年调解了多少矛盾纠纷？"}, tsNow, signNow); code != http.StatusOK {
		t.Fatalf("callback = %d, want 200", code)
	}
	r := h.fake.wait(t, 1)[0]
	if r.Session != "scidA" || !hasFigure(r.Text, "368") || !strings.Contains(r.Text, "**来源**") || !strings.Contains(r.Title, "渔门镇") {
		t.Errorf("first answer = %+v; want 368 with its sources to the message's session", r)
	}
	h.post(t, msg{user: "staff1", conv: "cidA", text: "那城关镇呢？"}, tsMinute, signMin)
	if r := h.fake.wait(t, 2)[1]; !hasFigure(r.Text, "46") {
		t.Errorf("follow-up = %q, want 46", r.Text)
	}
	h.post(t, msg{user: "staff1", conv: "cidA", text: "原文"}, tsNow, signNow)
	if r := h.fake.wait(t, 3)[2]; !strings.Contains(r.Text, "回答依据的原文") || !strings.Contains(r.Text, "> ") {
		t.Errorf("原文 = %q", r.Text)
	}
	h.post(t, msg{user: "staff1", conv: "cidA", text: "数据 渔门镇 2020"}, tsNow, signNow)
	if r := h.fake.wait(t, 4)[3]; !strings.Contains(r.Text, "368件") {
		t.Errorf("数据 = %q", r.Text)
	}
}

func TestGroupChat(t *testing.T) {
	h := start(t, nil)
	// Not addressed: no answer (DingTalk delivers these only in some
	// set-ups, but the robot must stay quiet).
	h.post(t, msg{user: "staff1", conv: "cidG", group: true, text: "渔门镇2020年调解了多少矛盾纠纷？"}, tsNow, signNow)
	// Addressed, with the mention left in the text.
	h.post(t, msg{user: "staff1", conv: "cidG", group: true, at: true, text: "@法治助手 渔门镇2020年调解了多少矛盾纠纷？"}, tsNow, signNow)
	rs := h.fake.wait(t, 1)
	// Another member follows up in the same group: the group's history.
	h.post(t, msg{user: "staff2", conv: "cidG", group: true, at: true, text: " 那城关镇呢？"}, tsNow, signNow)
	rs = h.fake.wait(t, 2)
	if !hasFigure(rs[0].Text, "368") || !hasFigure(rs[1].Text, "46") || len(rs) != 2 {
		t.Errorf("group replies = %+v; want 368 then 46, nothing for the unaddressed message", rs)
	}
}

// TestRefusedCallbacks: a bad sign and timestamps two hours off get 4xx
// and no message.
func TestRefusedCallbacks(t *testing.T) {
	h := start(t, nil)
	q := msg{user: "staff1", conv: "cidR", text: "渔门镇2020年调解了多少矛盾纠纷？"}
	for _, tt := range []struct {
		name, ts, sign string
	}{
		{"two hours old", tsOld, signOld},
		{"two hours ahead", tsLater, signLate},
		{"sign of another timestamp", tsNow, signMin},
		{"no sign", tsNow, ""},
		{"sign with another secret", tsNow, dingtalk.Sign(tsNow, "another-secret")},
	} {
		if code := h.post(t, q, tt.ts, tt.sign); code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tt.name, code)
		}
	}
	h.post(t, msg{user: "staff1", conv: "cidR", text: "帮助"}, tsNow, signNow)
	h.fake.wait(t, 1)
	time.Sleep(200 * time.Millisecond)
	if rs := h.fake.sent(); len(rs) != 1 || !strings.Contains(rs[0].Text, "报告列表") {
		t.Errorf("replies = %+v; want only the help", rs)
	}
}

func TestUserNotAllowed(t *testing.T) {
	h := start(t, func(c *dingtalk.Config) { c.AllowedUsers = []string{"staff1"} })
	h.post(t, msg{user: "staff9", conv: "cidN", text: "渔门镇2020年调解了多少矛盾纠纷？"}, tsNow, signNow)
	r := h.fake.wait(t, 1)[0]
	if r.Text != messenger.MsgForbidden {
		t.Errorf("user not allowed got %q, want only %q", r.Text, messenger.MsgForbidden)
	}
}

func TestExpiredSessionWebhook(t *testing.T) {
	h := start(t, nil)
	h.post(t, msg{user: "staff1", conv: "cidE", text: "帮助", expires: now.Add(-time.Second)}, tsNow, signNow)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(h.logs.String(), "session webhook expired") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(h.logs.String(), "session webhook expired") || len(h.fake.sent()) != 0 {
		t.Errorf("reply to an expired webhook: sent %+v, log:\n%s", h.fake.sent(), h.logs.String())
	}
}

func TestSendRejectionIsLogged(t *testing.T) {
	h := start(t, nil)
	h.fake.mu.Lock()
	h.fake.failNext = 130101
	h.fake.mu.Unlock()
	h.post(t, msg{user: "staff1", conv: "cidL", text: "帮助"}, tsNow, signNow)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(h.logs.String(), "130101") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "dingtalk: send message failed") || !strings.Contains(logs, "errcode 130101") {
		t.Errorf("no log line for the rejected reply:\n%s", logs)
	}
}

func TestAdminSendsReport(t *testing.T) {
	h := start(t, func(c *dingtalk.Config) { c.Admins = []string{"boss"} })
	h.fake.mu.Lock()
	h.fake.files["code-1"] = []byte("青溪镇2023年法治政府建设工作报告\n\n一、主要工作\n全年共排查、调解各类矛盾纠纷77件，调解成功率100%。\n")
	h.fake.mu.Unlock()
	file := map[string]string{"downloadCode": "code-1", "fileName": "青溪镇2023.txt", "fileId": "f1"}
	h.post(t, msg{user: "staff1", conv: "cidF1", msgType: "file", content: file}, tsNow, signNow)
	if r := h.fake.wait(t, 1)[0]; r.Text != messenger.MsgNotAdmin {
		t.Errorf("file from a non-admin: %q", r.Text)
	}
	h.post(t, msg{user: "boss", conv: "cidF2", msgType: "file", content: file}, tsNow, signNow)
	if r := h.fake.wait(t, 2)[1]; !strings.Contains(r.Text, "已导入：青溪镇 2023年") {
		t.Errorf("file from an admin: %q", r.Text)
	}
	h.post(t, msg{user: "staff1", conv: "cidF1", text: "青溪镇2023年调解了多少矛盾纠纷？"}, tsNow, signNow)
	if r := h.fake.wait(t, 3)[2]; !hasFigure(r.Text, "77") {
		t.Errorf("question on the new report: %q", r.Text)
	}
}

func TestNewValidates(t *testing.T) {
	eng := messengertest.SeedEngine(t)
	if _, err := dingtalk.New(dingtalk.Config{AppKey: appKey}, eng, nil); err == nil || !strings.Contains(err.Error(), "missing app secret") {
		t.Errorf("New without a secret: %v", err)
	}
	if _, err := dingtalk.New(dingtalk.Config{AppSecret: appSecret}, eng, nil); err == nil || !strings.Contains(err.Error(), "missing app key") || strings.Contains(err.Error(), appSecret) {
		t.Errorf("New without a key: %v", err)
	}
}
