// Package wecomtest fakes WeCom for tests: the message API (gettoken and
// message/send, with tokens a test can expire) and the platform's side of
// the callback, which encrypts and signs with silenceper/wechat's
// WXBizMsgCrypt, an implementation package wecom does not share.
package wecomtest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	wxutil "github.com/silenceper/wechat/v2/util"
)

// App is a test app's settings.
type App struct {
	CorpID  string
	AgentID int64
	Secret  string
	Token   string
	AESKey  string // 43 Base64 characters
}

// TestApp is an app with made-up settings of the right shapes.
var TestApp = App{
	CorpID:  "ww1234567890abcdef",
	AgentID: 1000002,
	Secret:  "app-secret-Shh5Jk9",
	Token:   "callbackTokenQ7",
	AESKey:  "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
}

// TokenPrefix starts every access token the fake issues, so a test can
// look for one in a log.
const TokenPrefix = "ACCESS_TOKEN_"

// Message is a message the fake API was asked to send.
type Message struct {
	ToUser  string
	AgentID int64
	MsgType string
	Content string
}

// API is the WeCom message API: gettoken and message/send, with tokens
// that the test can expire, and a send error it can inject. It accepts
// text messages of at most 2048 bytes.
type API struct {
	app App
	srv *httptest.Server

	mu       sync.Mutex
	tokens   map[string]bool // issued token → still valid
	issued   int
	msgs     []Message
	rejected []int // errcodes answered to sends
	failNext int   // errcode for the next send, once
	newMsg   chan struct{}
}

// NewAPI starts the fake API of app, closed when the test ends.
func NewAPI(tb testing.TB, app App) *API {
	api := &API{app: app, tokens: map[string]bool{}, newMsg: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", api.getToken)
	mux.HandleFunc("POST /cgi-bin/message/send", api.send)
	api.srv = httptest.NewServer(mux)
	tb.Cleanup(api.srv.Close)
	return api
}

// URL is the API's base URL.
func (api *API) URL() string { return api.srv.URL }

func (api *API) getToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("corpid") != api.app.CorpID || q.Get("corpsecret") != api.app.Secret {
		writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
		return
	}
	api.mu.Lock()
	api.issued++
	tok := fmt.Sprintf("%s%d_x9", TokenPrefix, api.issued)
	api.tokens[tok] = true
	api.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": 7200})
}

func (api *API) send(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("access_token")
	var body struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		AgentID int64  `json:"agentid"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	code, msg := 0, "ok"
	switch valid, known := api.tokens[tok]; {
	case !known:
		code, msg = 40014, "invalid access_token"
	case !valid:
		code, msg = 42001, "access_token expired"
	case api.failNext != 0:
		code, msg = api.failNext, "injected failure"
		api.failNext = 0
	case body.MsgType != "text" || body.Text.Content == "" || len(body.Text.Content) > 2048:
		code, msg = 44004, fmt.Sprintf("bad text message of %d bytes", len(body.Text.Content))
	}
	if code != 0 {
		api.rejected = append(api.rejected, code)
		writeJSON(w, map[string]any{"errcode": code, "errmsg": msg})
		return
	}
	api.msgs = append(api.msgs, Message{ToUser: body.ToUser, AgentID: body.AgentID, MsgType: body.MsgType, Content: body.Text.Content})
	select {
	case api.newMsg <- struct{}{}:
	default:
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": ""})
}

// ExpireTokens makes every token issued so far answer 42001.
func (api *API) ExpireTokens() {
	api.mu.Lock()
	defer api.mu.Unlock()
	for k := range api.tokens {
		api.tokens[k] = false
	}
}

// FailNext makes the next send answer errcode code.
func (api *API) FailNext(code int) {
	api.mu.Lock()
	defer api.mu.Unlock()
	api.failNext = code
}

// State returns the messages sent, the errcodes sends were refused with
// and the number of tokens issued.
func (api *API) State() (msgs []Message, rejected []int, issued int) {
	api.mu.Lock()
	defer api.mu.Unlock()
	return append([]Message(nil), api.msgs...), append([]int(nil), api.rejected...), api.issued
}

// Sent returns the messages sent to user.
func (api *API) Sent(user string) []Message {
	msgs, _, _ := api.State()
	var out []Message
	for _, m := range msgs {
		if m.ToUser == user {
			out = append(out, m)
		}
	}
	return out
}

// WaitMessages waits until n messages have been sent in all, for at most
// bound, and returns them.
func (api *API) WaitMessages(tb testing.TB, n int, bound time.Duration) []Message {
	tb.Helper()
	deadline := time.After(bound)
	for {
		msgs, _, _ := api.State()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-api.newMsg:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			tb.Fatalf("waited for %d WeCom messages, got %d: %+v", n, len(msgs), msgs)
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// Platform is WeCom's side of the callback of an app: it encrypts and
// signs with silenceper/wechat.
type Platform struct {
	URL string // the callback URL
	App App

	mu    sync.Mutex
	msgID int
}

// TextXML is a decrypted text message from user as WeCom writes it, with a
// new MsgId.
func (p *Platform) TextXML(user, content string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgID++
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId><AgentID>%d</AgentID></xml>`,
		p.App.CorpID, user, time.Now().Unix(), content, 7000000000000000+p.msgID, p.App.AgentID)
}

// Seal encrypts plain as a message for corp and returns the ciphertext
// and the query that signs it.
func (p *Platform) Seal(tb testing.TB, plain, corp string) (string, url.Values) {
	tb.Helper()
	random := make([]byte, 16)
	rand.Read(random)
	enc, err := wxutil.EncryptMsg(random, []byte(plain), corp, p.App.AESKey)
	if err != nil {
		tb.Fatalf("silenceper EncryptMsg: %v", err)
	}
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), fmt.Sprintf("n%x", random[:4])
	q := url.Values{"msg_signature": {wxutil.Signature(p.App.Token, ts, nonce, string(enc))}, "timestamp": {ts}, "nonce": {nonce}}
	return string(enc), q
}

// Verify makes the URL verification request with echo and returns the
// status and body.
func (p *Platform) Verify(tb testing.TB, echo, corp string, tamper func(q url.Values)) (int, string) {
	tb.Helper()
	enc, q := p.Seal(tb, echo, corp)
	q.Set("echostr", enc)
	if tamper != nil {
		tamper(q)
	}
	resp, err := http.Get(p.URL + "?" + q.Encode())
	if err != nil {
		tb.Fatalf("verification: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Post delivers plain, encrypted for corp, and returns the HTTP status.
// tamper, if not nil, changes the signed query first.
func (p *Platform) Post(tb testing.TB, plain, corp string, tamper func(q url.Values)) int {
	tb.Helper()
	enc, q := p.Seal(tb, plain, corp)
	if tamper != nil {
		tamper(q)
	}
	body, _ := xml.Marshal(struct {
		XMLName    xml.Name `xml:"xml"`
		ToUserName string   `xml:"ToUserName"`
		AgentID    int      `xml:"AgentID"`
		Encrypt    string   `xml:"Encrypt"`
	}{ToUserName: corp, AgentID: int(p.App.AgentID), Encrypt: enc})
	resp, err := http.Post(p.URL+"?"+q.Encode(), "text/xml", bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("callback: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
