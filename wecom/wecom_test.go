package wecom_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	wxutil "github.com/silenceper/wechat/v2/util"

	"fazhi/messenger"
	"fazhi/messenger/messengertest"
	"fazhi/rag"
	"fazhi/wecom"
	"fazhi/wecom/wecomtest"
)

// app is the app of the tests.
var (
	app                                    = wecomtest.TestApp
	corpID, secret, token, aesKey, agentID = app.CorpID, app.Secret, app.Token, app.AESKey, app.AgentID
)

// wait bounds how long a test waits for an answer.
const wait = 20 * time.Second

// harness is an app serving the seed engine behind an httptest callback
// server, the fake API it answers through, and the platform that calls it.
type harness struct {
	api  *wecomtest.API
	p    *wecomtest.Platform
	logs *messengertest.LogBuffer
}

func start(t *testing.T, edit func(*wecom.Config)) *harness {
	t.Helper()
	return startWith(t, messengertest.SeedEngine(t), edit)
}

func startWith(t *testing.T, eng messenger.Engine, edit func(*wecom.Config)) *harness {
	t.Helper()
	api := wecomtest.NewAPI(t, app)
	cfg := wecom.Config{CorpID: corpID, AgentID: agentID, Secret: secret, Token: token, AESKey: aesKey, APIURL: api.URL()}
	if edit != nil {
		edit(&cfg)
	}
	logs := &messengertest.LogBuffer{}
	b, err := wecom.New(cfg, eng, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(b.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
		for _, leak := range []string{secret, token, aesKey, wecomtest.TokenPrefix} {
			if strings.Contains(logs.String(), leak) {
				t.Errorf("log shows %q:\n%s", leak, logs.String())
			}
		}
	})
	return &harness{api: api, p: &wecomtest.Platform{URL: srv.URL, App: app}, logs: logs}
}

// TestCryptoMatchesSilenceper checks the scheme both ways against
// silenceper/wechat: its ciphertexts decrypt here, ours decrypt there, and
// the signatures agree.
func TestCryptoMatchesSilenceper(t *testing.T) {
	c, err := wecom.NewCrypto(token, aesKey, corpID)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"", "x", strings.Repeat("渔门镇调解368件。", 3), strings.Repeat("a", 12), strings.Repeat("b", 1000)} {
		theirs, err := wxutil.EncryptMsg([]byte("0123456789abcdef"), []byte(msg), corpID, aesKey)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decrypt(string(theirs))
		if err != nil || string(got) != msg {
			t.Errorf("Decrypt(silenceper's %d bytes) = %q, %v; want %q", len(msg), got, err, msg)
		}
		ours, err := c.Encrypt([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		_, back, err := wxutil.DecryptMsg(corpID, ours, aesKey)
		if err != nil || string(back) != msg {
			t.Errorf("silenceper DecryptMsg(our %d bytes) = %q, %v; want %q", len(msg), back, err, msg)
		}
		if sig, want := c.Signature("1409304348", "xxxxxx", ours), wxutil.Signature(token, "1409304348", "xxxxxx", ours); sig != want {
			t.Errorf("Signature = %s, silenceper says %s", sig, want)
		}
	}
	other, _ := wxutil.EncryptMsg([]byte("0123456789abcdef"), []byte("<xml/>"), "wwOTHERCORP", aesKey)
	if _, err := c.Decrypt(string(other)); err != wecom.ErrCorpID {
		t.Errorf("Decrypt of another corp's message: err = %v, want ErrCorpID", err)
	}
}

func TestNewValidates(t *testing.T) {
	eng := messengertest.SeedEngine(t)
	good := wecom.Config{CorpID: corpID, AgentID: agentID, Secret: secret, Token: token, AESKey: aesKey}
	tests := []struct {
		name string
		edit func(*wecom.Config)
		want string
	}{
		{"no secret or token", func(c *wecom.Config) { c.Secret, c.Token = "", "" }, "missing secret, token"},
		{"no agent", func(c *wecom.Config) { c.AgentID = 0 }, "missing agent id"},
		{"short AES key", func(c *wecom.Config) { c.AESKey = "abc" }, "EncodingAESKey is 3 characters, want 43"},
		{"AES key not Base64", func(c *wecom.Config) { c.AESKey = strings.Repeat("!", 43) }, "not Base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			_, err := wecom.New(cfg, eng, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: err = %v, want one saying %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

func TestURLVerification(t *testing.T) {
	h := start(t, nil)
	get := func(q url.Values) (int, string) {
		resp, err := http.Get(h.p.URL + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	const echo = "4839271650193846571"
	enc, q := h.p.Seal(t, echo, corpID)
	q.Set("echostr", enc)
	if code, body := get(q); code != http.StatusOK || body != echo {
		t.Errorf("verification = %d %q, want 200 %q", code, body, echo)
	}
	// Some proxies pass echostr's '+' unencoded, which decodes as a space.
	for i := 0; i < 50 && !strings.Contains(enc, "+"); i++ {
		enc, q = h.p.Seal(t, echo, corpID)
	}
	q.Del("echostr")
	raw := q.Encode() + "&echostr=" + strings.NewReplacer("/", "%2F", "=", "%3D").Replace(enc)
	resp, err := http.Get(h.p.URL + "?" + raw)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != echo {
		t.Errorf("verification with a raw '+' in echostr %q = %d %q, want 200 %q", enc, resp.StatusCode, body, echo)
	}
	enc, q = h.p.Seal(t, echo, corpID)
	q.Set("echostr", enc)
	q.Set("msg_signature", strings.Repeat("0", 40))
	if code, body := get(q); code != http.StatusForbidden || strings.Contains(body, echo) {
		t.Errorf("bad signature = %d %q, want 403 without the echostr", code, body)
	}
	enc, q = h.p.Seal(t, echo, "wwOTHERCORP")
	q.Set("echostr", enc)
	if code, body := get(q); code != http.StatusForbidden || strings.Contains(body, echo) {
		t.Errorf("another corp's echostr = %d %q, want 403", code, body)
	}
	if code, _ := get(url.Values{"echostr": {enc}}); code != http.StatusBadRequest {
		t.Errorf("no signature = %d, want 400", code)
	}
}

// TestConversation asks a question and a follow-up, with the access token
// expiring in between: the send is refused with 42001, a token is fetched
// again and the send retried.
func TestConversation(t *testing.T) {
	h := start(t, nil)
	if code := h.p.Post(t, h.p.TextXML("zhangsan", "渔门镇2020年调解了多少矛盾纠纷？"), corpID, nil); code != http.StatusOK {
		t.Fatalf("callback = %d, want 200", code)
	}
	msgs := h.api.WaitMessages(t, 1, wait)
	if m := msgs[0]; m.ToUser != "zhangsan" || m.AgentID != agentID || !messengertest.HasFigure(m.Content, "368") || !strings.Contains(m.Content, "来源") {
		t.Errorf("first answer = %+v; want 368 with its sources, to zhangsan through agent %d", m, agentID)
	}

	h.api.ExpireTokens()
	if code := h.p.Post(t, h.p.TextXML("zhangsan", "那城关镇呢？"), corpID, nil); code != http.StatusOK {
		t.Fatalf("callback = %d, want 200", code)
	}
	msgs = h.api.WaitMessages(t, 2, wait)
	if m := msgs[1]; !messengertest.HasFigure(m.Content, "46") {
		t.Errorf("follow-up answer = %q, want 46", m.Content)
	}
	_, rejected, issued := h.api.State()
	if issued != 2 || len(rejected) != 1 || rejected[0] != 42001 {
		t.Errorf("tokens issued %d, sends rejected %v; want 2 tokens and one 42001", issued, rejected)
	}

	// Another user's follow-up has no history to follow.
	h.p.Post(t, h.p.TextXML("lisi", "原文"), corpID, nil)
	if m := h.api.WaitMessages(t, 3, wait)[2]; m.ToUser != "lisi" || m.Content != messenger.MsgNoProof {
		t.Errorf("原文 from a new user = %+v", m)
	}
	// Commands.
	h.p.Post(t, h.p.TextXML("zhangsan", "原文"), corpID, nil)
	if m := h.api.WaitMessages(t, 4, wait)[3]; !strings.Contains(m.Content, "回答依据的原文") || !messengertest.HasFigure(m.Content, "46") {
		t.Errorf("原文 = %q", m.Content)
	}
	h.p.Post(t, h.p.TextXML("zhangsan", "数据 渔门镇 2020"), corpID, nil)
	if m := h.api.WaitMessages(t, 5, wait)[4]; !strings.Contains(m.Content, "368件") {
		t.Errorf("数据 渔门镇 2020 = %q", m.Content)
	}
}

// TestRejectedCallbacks: a bad signature and another corp id get 4xx and
// no answer; a retried callback (same MsgId) is answered once.
func TestRejectedCallbacks(t *testing.T) {
	h := start(t, nil)
	q := "渔门镇2020年调解了多少矛盾纠纷？"
	if code := h.p.Post(t, h.p.TextXML("zhangsan", q), corpID, func(v url.Values) { v.Set("msg_signature", strings.Repeat("a", 40)) }); code != http.StatusForbidden {
		t.Errorf("bad signature = %d, want 403", code)
	}
	if code := h.p.Post(t, h.p.TextXML("zhangsan", q), corpID, func(v url.Values) { v.Set("timestamp", "1") }); code != http.StatusForbidden {
		t.Errorf("signature over another timestamp = %d, want 403", code)
	}
	if code := h.p.Post(t, h.p.TextXML("zhangsan", q), "wwOTHERCORP", nil); code != http.StatusForbidden {
		t.Errorf("wrong corp id = %d, want 403", code)
	}
	resp, err := http.Post(h.p.URL+"?msg_signature=a&timestamp=1&nonce=n", "text/xml", strings.NewReader("not xml"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("garbage body = %d, want 400", resp.StatusCode)
	}

	msg := h.p.TextXML("zhangsan", "帮助")
	h.p.Post(t, msg, corpID, nil)
	h.p.Post(t, msg, corpID, nil) // WeCom's retry of the same message
	msgs := h.api.WaitMessages(t, 1, wait)
	time.Sleep(200 * time.Millisecond) // room for a wrong second answer
	msgs, _, _ = h.api.State()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Content, "报告列表") {
		t.Errorf("messages sent = %+v; want only the help, once", msgs)
	}
}

func TestUserNotAllowed(t *testing.T) {
	h := start(t, func(c *wecom.Config) { c.AllowedUsers = []string{"zhangsan"} })
	h.p.Post(t, h.p.TextXML("wangwu", "渔门镇2020年调解了多少矛盾纠纷？"), corpID, nil)
	m := h.api.WaitMessages(t, 1, wait)[0]
	if m.ToUser != "wangwu" || m.Content != messenger.MsgForbidden || regexp.MustCompile(`[0-9]`).MatchString(m.Content) {
		t.Errorf("user not allowed got %+v; want only the refusal", m)
	}
}

// TestLongRepliesAreSplit: every part of a long reply fits WeCom's 2048
// bytes (the fake rejects longer ones).
func TestLongRepliesAreSplit(t *testing.T) {
	h := start(t, nil)
	h.p.Post(t, h.p.TextXML("zhangsan", "报告列表"), corpID, nil)
	h.p.Post(t, h.p.TextXML("zhangsan", "数据 渔门镇"), corpID, nil)
	msgs := h.api.WaitMessages(t, 2, wait)
	for _, m := range msgs {
		if len(m.Content) > 2048 {
			t.Errorf("message of %d bytes", len(m.Content))
		}
	}
	if _, rejected, _ := h.api.State(); len(rejected) != 0 {
		t.Errorf("sends rejected: %v", rejected)
	}
}

func TestSendRejectionIsLogged(t *testing.T) {
	h := start(t, nil)
	h.api.FailNext(81013)
	h.p.Post(t, h.p.TextXML("zhangsan", "帮助"), corpID, nil)
	h.logs.WaitFor("errcode 81013", wait)
	if logs := h.logs.String(); !strings.Contains(logs, "wecom: send message failed") || !strings.Contains(logs, "errcode 81013") {
		t.Errorf("no log line for the rejected send:\n%s", logs)
	}
}

// slowEngine holds every question until released, counting how many it
// holds at once.
type slowEngine struct {
	messenger.Engine
	release chan struct{}
	mu      sync.Mutex
	now     int
	peak    int
}

func (e *slowEngine) Ask(ctx context.Context, q rag.Question) (rag.Answer, error) {
	e.mu.Lock()
	e.now++
	e.peak = max(e.peak, e.now)
	e.mu.Unlock()
	<-e.release
	e.mu.Lock()
	e.now--
	e.mu.Unlock()
	return e.Engine.Ask(ctx, q)
}

// TestCallbackReturnsAtOnce: while the engine is busy the callback still
// answers at once (WeCom gives it five seconds), and no more than
// Concurrency questions reach the engine together.
func TestCallbackReturnsAtOnce(t *testing.T) {
	eng := &slowEngine{Engine: messengertest.SeedEngine(t), release: make(chan struct{})}
	h := startWith(t, eng, func(c *wecom.Config) { c.Concurrency = 2 })
	for i := range 5 {
		start := time.Now()
		if code := h.p.Post(t, h.p.TextXML(fmt.Sprintf("user%d", i), "渔门镇2020年调解了多少矛盾纠纷？"), corpID, nil); code != http.StatusOK {
			t.Fatalf("callback %d = %d", i, code)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("callback %d took %s while the engine was busy", i, took)
		}
	}
	held := func() (now, peak int) {
		eng.mu.Lock()
		defer eng.mu.Unlock()
		return eng.now, eng.peak
	}
	deadline := time.Now().Add(wait)
	for n, _ := held(); n < 2 && time.Now().Before(deadline); n, _ = held() {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // room for a third, wrongly
	close(eng.release)
	for _, m := range h.api.WaitMessages(t, 5, wait) {
		if !messengertest.HasFigure(m.Content, "368") {
			t.Errorf("answer to %s = %q", m.ToUser, m.Content)
		}
	}
	if _, peak := held(); peak != 2 {
		t.Errorf("%d questions reached the engine at once, want 2 (Concurrency)", peak)
	}
}
