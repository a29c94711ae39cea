package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fazhi/dingtalk/dingtalktest"
	"fazhi/messenger"
	"fazhi/wecom/wecomtest"
)

// TestServeMessengers runs `fazhi serve` as a real process with the
// Telegram bot, the WeCom app and the DingTalk robot configured at once,
// each against its fake platform: on every messenger a question gets 368
// and its follow-up 46 (on WeCom with the access token expired in
// between), a user not allowed gets no figure, forged callbacks get 4xx,
// and no secret reaches the log.
func TestServeMessengers(t *testing.T) {
	skipShort(t)
	bin := buildBinary(t)
	tg := newFakeBotAPI(t)
	wx := wecomtest.NewAPI(t, wecomtest.TestApp)
	const dtKey, dtSecret = "dingE2Ekey", "e2e-dingtalk-secret-Vb7"
	dt := dingtalktest.NewFake(t, dtKey, dtSecret)
	app := wecomtest.TestApp
	s := startServe(t, bin, []string{
		"FAZHI_TELEGRAM_TOKEN=" + botToken,
		"FAZHI_TELEGRAM_API_URL=" + tg.srv.URL,
		"FAZHI_WECOM_CORP_ID=" + app.CorpID,
		fmt.Sprint("FAZHI_WECOM_AGENT_ID=", app.AgentID),
		"FAZHI_WECOM_SECRET=" + app.Secret,
		"FAZHI_WECOM_TOKEN=" + app.Token,
		"FAZHI_WECOM_AES_KEY=" + app.AESKey,
		"FAZHI_WECOM_API_URL=" + wx.URL(),
		"FAZHI_WECOM_ALLOWED_USERS=zhangsan,lisi",
		"FAZHI_DINGTALK_APP_KEY=" + dtKey,
		"FAZHI_DINGTALK_APP_SECRET=" + dtSecret,
		"FAZHI_DINGTALK_API_URL=" + dt.URL(),
		"FAZHI_DINGTALK_ALLOWED_USERS=staff1",
	}, "--data", t.TempDir())
	s.waitLog(t, "telegram bot running")
	s.waitLog(t, "wecom app running")
	s.waitLog(t, "dingtalk robot running")

	const question, followUp = "渔门镇2020年调解了多少矛盾纠纷？", "那城关镇呢？"

	// Telegram, beside the two others.
	tg.push(42, question)
	tg.waitMessage(t, 42, 0, "368", s)
	tg.push(42, followUp)
	tg.waitMessage(t, 42, 1, "46", s)

	// WeCom: URL verification, then the conversation, the token expiring
	// between the two questions.
	wp := &wecomtest.Platform{URL: s.url + wecomPath, App: app}
	if code, body := wp.Verify(t, "echo-5821", app.CorpID, nil); code != http.StatusOK || body != "echo-5821" {
		t.Errorf("WeCom URL verification = %d %q, want 200 echo-5821", code, body)
	}
	if code := wp.Post(t, wp.TextXML("zhangsan", question), app.CorpID, nil); code != http.StatusOK {
		t.Fatalf("WeCom callback = %d\n%s", code, s.stderr)
	}
	if m := wx.WaitMessages(t, 1, startBound)[0]; !hasNumber(m.Content, "368") {
		t.Errorf("WeCom answer = %q, want 368", m.Content)
	}
	wx.ExpireTokens()
	wp.Post(t, wp.TextXML("zhangsan", followUp), app.CorpID, nil)
	if m := wx.WaitMessages(t, 2, startBound)[1]; !hasNumber(m.Content, "46") {
		t.Errorf("WeCom follow-up = %q, want 46", m.Content)
	}
	if _, rejected, issued := wx.State(); issued != 2 || len(rejected) != 1 || rejected[0] != 42001 {
		t.Errorf("WeCom tokens issued %d, sends refused %v; want 2 and [42001]", issued, rejected)
	}
	if code := wp.Post(t, wp.TextXML("zhangsan", question), app.CorpID, func(q url.Values) { q.Set("msg_signature", strings.Repeat("f", 40)) }); code/100 != 4 {
		t.Errorf("WeCom callback with a bad signature = %d, want 4xx", code)
	}
	if code := wp.Post(t, wp.TextXML("zhangsan", question), "wwANOTHERCORP", nil); code/100 != 4 {
		t.Errorf("WeCom callback for another corp = %d, want 4xx", code)
	}
	wp.Post(t, wp.TextXML("wangwu", question), app.CorpID, nil)
	if m := wx.WaitMessages(t, 3, startBound)[2]; m.ToUser != "wangwu" || m.Content != messenger.MsgForbidden {
		t.Errorf("WeCom user not allowed got %+v", m)
	}

	// DingTalk.
	dp := &dingtalktest.Platform{URL: s.url + dingtalkPath, AppKey: dtKey, AppSecret: dtSecret, Fake: dt}
	if code := dp.Post(t, dingtalktest.Msg{User: "staff1", Conv: "cidE2E", Text: question}); code != http.StatusOK {
		t.Fatalf("DingTalk callback = %d\n%s", code, s.stderr)
	}
	if r := dt.Wait(t, 1, startBound)[0]; !hasNumber(r.Text, "368") || r.Session != "cidE2E" {
		t.Errorf("DingTalk answer = %+v, want 368 to session cidE2E", r)
	}
	dp.Post(t, dingtalktest.Msg{User: "staff1", Conv: "cidE2E", Text: followUp})
	if r := dt.Wait(t, 2, startBound)[1]; !hasNumber(r.Text, "46") {
		t.Errorf("DingTalk follow-up = %q, want 46", r.Text)
	}
	if code := dp.Post(t, dingtalktest.Msg{User: "staff1", Conv: "cidE2E", Text: question, TS: "1", Sign: "x"}); code/100 != 4 {
		t.Errorf("DingTalk callback with a forged sign = %d, want 4xx", code)
	}
	dp.Post(t, dingtalktest.Msg{User: "staff7", Conv: "cidOther", Text: question})
	if r := dt.Wait(t, 3, startBound)[2]; r.Text != messenger.MsgForbidden {
		t.Errorf("DingTalk user not allowed got %q", r.Text)
	}

	// Nothing more was sent: the forged callbacks got no answer.
	if msgs, _, _ := wx.State(); len(msgs) != 3 {
		t.Errorf("WeCom messages sent: %d, want 3", len(msgs))
	}
	if rs := dt.Sent(); len(rs) != 3 {
		t.Errorf("DingTalk replies: %d, want 3", len(rs))
	}
	log := s.stderr.String()
	for _, leak := range []string{app.Secret, app.Token, app.AESKey, wecomtest.TokenPrefix, dtSecret, dingtalktest.SessionPrefix, botToken} {
		if strings.Contains(log, leak) {
			t.Errorf("the server log contains %q:\n%s", leak, log)
		}
	}
}

// TestServeMessengerSettings: a partial WeCom or DingTalk set-up stops
// serve with an error that names what is missing or wrong.
func TestServeMessengerSettings(t *testing.T) {
	offlineEnv(t)
	for _, k := range []string{"FAZHI_WECOM_CORP_ID", "FAZHI_WECOM_AGENT_ID", "FAZHI_WECOM_SECRET", "FAZHI_WECOM_TOKEN", "FAZHI_WECOM_AES_KEY", "FAZHI_DINGTALK_APP_KEY", "FAZHI_DINGTALK_APP_SECRET", "FAZHI_TELEGRAM_TOKEN"} {
		t.Setenv(k, "")
	}
	app := wecomtest.TestApp
	full := []string{"--wecom-corp-id", app.CorpID, "--wecom-secret", app.Secret, "--wecom-token", app.Token, "--wecom-aes-key", app.AESKey}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"wecom without secret, key and agent", []string{"--wecom-corp-id", app.CorpID, "--wecom-token", app.Token}, "missing secret, AES key, agent id"},
		{"wecom agent id not a number", append(full, "--wecom-agent-id", "abc"), `--wecom-agent-id: "abc" is not a positive AgentId`},
		{"wecom AES key too short", []string{"--wecom-corp-id", app.CorpID, "--wecom-secret", app.Secret, "--wecom-token", app.Token, "--wecom-aes-key", "short", "--wecom-agent-id", "7"}, "EncodingAESKey is 5 characters, want 43"},
		{"dingtalk without secret", []string{"--dingtalk-app-key", "dingk"}, "--dingtalk-*: dingtalk: missing app secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--data", t.TempDir(), "--samples=false", "--addr", "127.0.0.1:0"}, tt.args...)
			_, _, err := runCLI(t, args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("serve %v: err = %v, want one saying %q", tt.args, err, tt.want)
			}
			if strings.Contains(err.Error(), app.Secret) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}
