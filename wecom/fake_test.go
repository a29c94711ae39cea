package wecom_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	wxutil "github.com/silenceper/wechat/v2/util"
)

// The app's settings in the tests: an EncodingAESKey is 43 Base64
// characters.
const (
	corpID  = "ww1234567890abcdef"
	agentID = 1000002
	secret  = "app-secret-Shh5Jk9"
	token   = "callbackTokenQ7"
	aesKey  = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

// sent is a message the fake API received.
type sent struct {
	ToUser  string
	AgentID int64
	MsgType string
	Content string
}

// fakeAPI is the WeCom API: gettoken and message/send, with tokens that
// the test can expire, and a send error it can inject.
type fakeAPI struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	tokens   map[string]bool // issued token → still valid
	issued   int
	msgs     []sent
	rejected []int // errcodes answered to sends
	failNext int   // errcode for the next send, once
	newMsg   chan struct{}
}

func newFakeAPI(t testing.TB) *fakeAPI {
	api := &fakeAPI{t: t, tokens: map[string]bool{}, newMsg: make(chan struct{}, 100)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", api.getToken)
	mux.HandleFunc("POST /cgi-bin/message/send", api.send)
	api.srv = httptest.NewServer(mux)
	t.Cleanup(api.srv.Close)
	return api
}

func (api *fakeAPI) URL() string { return api.srv.URL }

func (api *fakeAPI) getToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("corpid") != corpID || q.Get("corpsecret") != secret {
		writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
		return
	}
	api.mu.Lock()
	api.issued++
	tok := fmt.Sprintf("ACCESS_TOKEN_%d_x9", api.issued)
	api.tokens[tok] = true
	api.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": 7200})
}

func (api *fakeAPI) send(w http.ResponseWriter, r *http.Request) {
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
	api.msgs = append(api.msgs, sent{ToUser: body.ToUser, AgentID: body.AgentID, MsgType: body.MsgType, Content: body.Text.Content})
	api.newMsg <- struct{}{}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": ""})
}

// expireTokens makes every token issued so far answer 42001.
func (api *fakeAPI) expireTokens() {
	api.mu.Lock()
	defer api.mu.Unlock()
	for k := range api.tokens {
		api.tokens[k] = false
	}
}

func (api *fakeAPI) state() (msgs []sent, rejected []int, issued int) {
	api.mu.Lock()
	defer api.mu.Unlock()
	return append([]sent(nil), api.msgs...), append([]int(nil), api.rejected...), api.issued
}

// waitMessages waits until n messages have been sent in all.
func (api *fakeAPI) waitMessages(t testing.TB, n int) []sent {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		msgs, _, _ := api.state()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-api.newMsg:
		case <-deadline:
			t.Fatalf("waited for %d messages, got %d: %+v", n, len(msgs), msgs)
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// platform is WeCom's side of the callback: it encrypts and signs with
// silenceper/wechat's WXBizMsgCrypt, an implementation this package does
// not share.
type platform struct {
	url           string // the callback URL
	token, aesKey string
	corpID        string
	agentID       int
	msgID         int
}

// textXML is a decrypted text message as WeCom writes it.
func (p *platform) textXML(user, content string) string {
	p.msgID++
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId><AgentID>%d</AgentID></xml>`,
		p.corpID, user, time.Now().Unix(), content, 7000000000000000+p.msgID, p.agentID)
}

// seal encrypts plain for corp and returns the ciphertext and a query with
// its signature.
func (p *platform) seal(t testing.TB, plain, corp string) (string, url.Values) {
	t.Helper()
	random := []byte("abcdefghijklmnop")
	enc, err := wxutil.EncryptMsg(random, []byte(plain), corp, p.aesKey)
	if err != nil {
		t.Fatalf("silenceper EncryptMsg: %v", err)
	}
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), fmt.Sprintf("n%d", p.msgID)
	q := url.Values{"msg_signature": {wxutil.Signature(p.token, ts, nonce, string(enc))}, "timestamp": {ts}, "nonce": {nonce}}
	return string(enc), q
}

// post delivers an encrypted message and returns the HTTP status.
func (p *platform) post(t testing.TB, plain, corp string, tamper func(q url.Values)) int {
	t.Helper()
	enc, q := p.seal(t, plain, corp)
	if tamper != nil {
		tamper(q)
	}
	body, _ := xml.Marshal(struct {
		XMLName    xml.Name `xml:"xml"`
		ToUserName string   `xml:"ToUserName"`
		AgentID    int      `xml:"AgentID"`
		Encrypt    string   `xml:"Encrypt"`
	}{ToUserName: corp, AgentID: p.agentID, Encrypt: enc})
	resp, err := http.Post(p.url+"?"+q.Encode(), "text/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("callback: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
