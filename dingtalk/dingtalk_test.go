package dingtalk_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fazhi/dingtalk"
	"fazhi/dingtalk/dingtalktest"
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

// wait bounds how long a test waits for a reply.
const wait = 20 * time.Second

type harness struct {
	fake *dingtalktest.Fake
	p    *dingtalktest.Platform
	logs *messengertest.LogBuffer
}

func start(t *testing.T, edit func(*dingtalk.Config)) *harness {
	t.Helper()
	fake := dingtalktest.NewFake(t, appKey, appSecret)
	cfg := dingtalk.Config{AppKey: appKey, AppSecret: appSecret, APIURL: fake.URL(), DeskConfig: messenger.DeskConfig{Now: func() time.Time { return now }}}
	if edit != nil {
		edit(&cfg)
	}
	logs := &messengertest.LogBuffer{}
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
		for _, leak := range []string{appSecret, dingtalktest.TokenPrefix, dingtalktest.SessionPrefix} {
			if strings.Contains(logs.String(), leak) {
				t.Errorf("log shows %q:\n%s", leak, logs.String())
			}
		}
	})
	return &harness{fake: fake, p: &dingtalktest.Platform{URL: srv.URL, AppKey: appKey, AppSecret: appSecret, Fake: fake}, logs: logs}
}

// post delivers m with the given timestamp and sign headers, its session
// webhook valid for 90 minutes of the robot's clock unless m says.
func (h *harness) post(t *testing.T, m dingtalktest.Msg, ts, sign string) int {
	t.Helper()
	m.TS, m.Sign = ts, sign
	if m.Expires.IsZero() {
		m.Expires = now.Add(90 * time.Minute)
	}
	return h.p.Post(t, m)
}

func TestConversation(t *testing.T) {
	h := start(t, nil)
	if code := h.post(t, dingtalktest.Msg{User: "staff1", Conv: "cidA", Text: "渔门镇2020年调解了多少矛盾纠纷？"}, tsNow, signNow); code != http.StatusOK {
		t.Fatalf("callback = %d, want 200", code)
	}
	r := h.fake.Wait(t, 1, wait)[0]
	if r.Session != "cidA" || !messengertest.HasFigure(r.Text, "368") || !strings.Contains(r.Text, "**来源**") || !strings.Contains(r.Title, "渔门镇") {
		t.Errorf("first answer = %+v; want 368 with its sources to the message's session", r)
	}
	h.post(t, dingtalktest.Msg{User: "staff1", Conv: "cidA", Text: "那城关镇呢？"}, tsMinute, signMin)
	if r := h.fake.Wait(t, 2, wait)[1]; !messengertest.HasFigure(r.Text, "46") {
		t.Errorf("follow-up = %q, want 46", r.Text)
	}
	h.post(t, dingtalktest.Msg{User: "staff1", Conv: "cidA", Text: "原文"}, tsNow, signNow)
	if r := h.fake.Wait(t, 3, wait)[2]; !strings.Contains(r.Text, "回答依据的原文") || !strings.Contains(r.Text, "> ") {
		t.Errorf("原文 = %q", r.Text)
	}
	h.post(t, dingtalktest.Msg{User: "staff1", Conv: "cidA", Text: "数据 渔门镇 2020"}, tsNow, signNow)
	if r := h.fake.Wait(t, 4, wait)[3]; !strings.Contains(r.Text, "368件") {
		t.Errorf("数据 = %q", r.Text)
	}
}

func TestGroupChat(t *testing.T) {
	h := start(t, nil)
	// Not addressed: no answer (DingTalk delivers these only in some
	// set-ups, but the robot must stay quiet).
	h.post(t, dingtalktest.Msg{User: "staff1", Conv: "cidG", Group: true, Text: "渔门镇2020年调解了多少矛盾纠纷？"}, tsNow, signNow)
	// Addressed, with the mention left in the text.
	h.post(t, dingtalktest.Msg{User: "staff1", Conv: "cidG", Group: true, At: true, Text: "@法治助手 渔门镇2020年调解了多少矛盾纠纷？"}, tsNow, signNow)
	rs := h.fake.Wait(t, 1, wait)
	// Another member follows up in the same Group: the group's history.
	h.post(t, dingtalktest.Msg{User: "staff2", Conv: "cidG", Group: true, At: true, Text: " 那城关镇呢？"}, tsNow, signNow)
	rs = h.fake.Wait(t, 2, wait)
	if !messengertest.HasFigure(rs[0].Text, "368") || !messengertest.HasFigure(rs[1].Text, "46") || len(rs) != 2 {
		t.Errorf("group replies = %+v; want 368 then 46, nothing for the unaddressed message", rs)
	}
}

// TestRefusedCallbacks: a bad sign and timestamps two hours off get 4xx
// and no message.
func TestRefusedCallbacks(t *testing.T) {
	h := start(t, nil)
	q := dingtalktest.Msg{User: "staff1", Conv: "cidR", Text: "渔门镇2020年调解了多少矛盾纠纷？"}
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
	h.post(t, dingtalktest.Msg{User: "staff1", Conv: "cidR", Text: "帮助"}, tsNow, signNow)
	h.fake.Wait(t, 1, wait)
	time.Sleep(200 * time.Millisecond)
	if rs := h.fake.Sent(); len(rs) != 1 || !strings.Contains(rs[0].Text, "报告列表") {
		t.Errorf("replies = %+v; want only the help", rs)
	}
}

func TestUserNotAllowed(t *testing.T) {
	h := start(t, func(c *dingtalk.Config) { c.AllowedUsers = []string{"staff1"} })
	h.post(t, dingtalktest.Msg{User: "staff9", Conv: "cidN", Text: "渔门镇2020年调解了多少矛盾纠纷？"}, tsNow, signNow)
	r := h.fake.Wait(t, 1, wait)[0]
	if r.Text != messenger.MsgForbidden {
		t.Errorf("user not allowed got %q, want only %q", r.Text, messenger.MsgForbidden)
	}
}

func TestExpiredSessionWebhook(t *testing.T) {
	h := start(t, nil)
	h.post(t, dingtalktest.Msg{User: "staff1", Conv: "cidE", Text: "帮助", Expires: now.Add(-time.Second)}, tsNow, signNow)
	h.logs.WaitFor("session webhook expired", wait)
	if !strings.Contains(h.logs.String(), "session webhook expired") || len(h.fake.Sent()) != 0 {
		t.Errorf("reply to an expired webhook: sent %+v, log:\n%s", h.fake.Sent(), h.logs.String())
	}
}

func TestSendRejectionIsLogged(t *testing.T) {
	h := start(t, nil)
	h.fake.FailNext(130101)
	h.post(t, dingtalktest.Msg{User: "staff1", Conv: "cidL", Text: "帮助"}, tsNow, signNow)
	h.logs.WaitFor("130101", wait)
	if logs := h.logs.String(); !strings.Contains(logs, "dingtalk: send message failed") || !strings.Contains(logs, "errcode 130101") {
		t.Errorf("no log line for the rejected reply:\n%s", logs)
	}
}

func TestAdminSendsReport(t *testing.T) {
	h := start(t, func(c *dingtalk.Config) { c.Admins = []string{"boss"} })
	h.fake.AddFile("code-1", []byte("青溪镇2023年法治政府建设工作报告\n\n一、主要工作\n全年共排查、调解各类矛盾纠纷77件，调解成功率100%。\n"))
	file := map[string]string{"downloadCode": "code-1", "fileName": "青溪镇2023.txt", "fileId": "f1"}
	h.post(t, dingtalktest.Msg{User: "staff1", Conv: "cidF1", MsgType: "file", Content: file}, tsNow, signNow)
	if r := h.fake.Wait(t, 1, wait)[0]; r.Text != messenger.MsgNotAdmin {
		t.Errorf("file from a non-admin: %q", r.Text)
	}
	h.post(t, dingtalktest.Msg{User: "boss", Conv: "cidF2", MsgType: "file", Content: file}, tsNow, signNow)
	if r := h.fake.Wait(t, 2, wait)[1]; !strings.Contains(r.Text, "已导入：青溪镇 2023年") {
		t.Errorf("file from an admin: %q", r.Text)
	}
	h.post(t, dingtalktest.Msg{User: "staff1", Conv: "cidF1", Text: "青溪镇2023年调解了多少矛盾纠纷？"}, tsNow, signNow)
	if r := h.fake.Wait(t, 3, wait)[2]; !messengertest.HasFigure(r.Text, "77") {
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
