// Package dingtalktest fakes DingTalk for tests: the session webhooks a
// robot replies to, the open API it downloads files through, and the
// platform's side of the callback, which signs its requests with an HMAC
// written here, apart from package dingtalk.
package dingtalktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TokenPrefix starts every access token the fake issues, and SessionPrefix
// every session webhook key, so a test can look for them in a log.
const (
	TokenPrefix   = "dt-access-"
	SessionPrefix = "sess-"
)

// Reply is a message posted to a session webhook.
type Reply struct {
	Session string // the webhook's session key
	MsgType string
	Title   string
	Text    string
}

// Fake is DingTalk's side: session webhooks (markdown replies of at most
// 4000 bytes, with a title) and the open API (access token, robot file
// download, the file itself).
type Fake struct {
	appKey, appSecret string
	srv               *httptest.Server

	mu       sync.Mutex
	replies  []Reply
	failNext int
	tokens   int
	files    map[string][]byte // download code → content
	newReply chan struct{}
}

// NewFake starts the fake for an app, closed when the test ends.
func NewFake(tb testing.TB, appKey, appSecret string) *Fake {
	f := &Fake{appKey: appKey, appSecret: appSecret, files: map[string][]byte{}, newReply: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /robot/sendBySession", f.session)
	mux.HandleFunc("POST /v1.0/oauth2/accessToken", f.accessToken)
	mux.HandleFunc("POST /v1.0/robot/messageFiles/download", f.download)
	mux.HandleFunc("GET /files/{code}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		data := f.files[r.PathValue("code")]
		f.mu.Unlock()
		w.Write(data)
	})
	f.srv = httptest.NewServer(mux)
	tb.Cleanup(f.srv.Close)
	return f
}

// URL is the open API's base URL.
func (f *Fake) URL() string { return f.srv.URL }

// Webhook is the session webhook of a conversation.
func (f *Fake) Webhook(conv string) string {
	return f.srv.URL + "/robot/sendBySession?session=" + SessionPrefix + conv
}

// AddFile makes a file downloadable by its download code.
func (f *Fake) AddFile(code string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[code] = data
}

// FailNext makes the next reply answer errcode code.
func (f *Fake) FailNext(code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = code
}

func (f *Fake) accessToken(w http.ResponseWriter, r *http.Request) {
	var in struct{ AppKey, AppSecret string }
	json.NewDecoder(r.Body).Decode(&in)
	if in.AppKey != f.appKey || in.AppSecret != f.appSecret {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "invalidClientIdOrSecret", "message": "bad app"})
		return
	}
	f.mu.Lock()
	f.tokens++
	n := f.tokens
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"accessToken": fmt.Sprintf("%s%d", TokenPrefix, n), "expireIn": 7200})
}

func (f *Fake) download(w http.ResponseWriter, r *http.Request) {
	var in struct{ DownloadCode, RobotCode string }
	json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	_, ok := f.files[in.DownloadCode]
	f.mu.Unlock()
	if !strings.HasPrefix(r.Header.Get("x-acs-dingtalk-access-token"), TokenPrefix) || in.RobotCode != f.appKey || !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "invalidParameter", "message": "bad download"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"downloadUrl": f.srv.URL + "/files/" + in.DownloadCode + "?sig=temporary"})
}

func (f *Fake) session(w http.ResponseWriter, r *http.Request) {
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
		writeJSON(w, http.StatusOK, map[string]any{"errcode": f.failNext, "errmsg": "injected failure"})
		f.failNext = 0
		return
	}
	if in.MsgType != "markdown" || in.Markdown.Title == "" || in.Markdown.Text == "" || len(in.Markdown.Text) > 4000 {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 400105, "errmsg": "bad markdown"})
		return
	}
	f.replies = append(f.replies, Reply{
		Session: strings.TrimPrefix(r.URL.Query().Get("session"), SessionPrefix),
		MsgType: in.MsgType, Title: in.Markdown.Title, Text: in.Markdown.Text,
	})
	select {
	case f.newReply <- struct{}{}:
	default:
	}
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// Sent returns the replies posted so far.
func (f *Fake) Sent() []Reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Reply(nil), f.replies...)
}

// Wait waits until n replies have been posted in all, for at most bound,
// and returns them.
func (f *Fake) Wait(tb testing.TB, n int, bound time.Duration) []Reply {
	tb.Helper()
	deadline := time.After(bound)
	for {
		if r := f.Sent(); len(r) >= n {
			return r
		}
		select {
		case <-f.newReply:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			tb.Fatalf("waited for %d DingTalk replies, got %+v", n, f.Sent())
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Msg is a message to a robot.
type Msg struct {
	User, Conv, Text string
	Group, At        bool      // a group chat; the robot @mentioned
	MsgType          string    // "text" when empty
	Content          any       // the content of a file message
	Expires          time.Time // the session webhook's end; in 90 minutes when zero
	TS, Sign         string    // the headers; now, signed right, when TS is empty
}

// Platform posts messages to a robot's callback as DingTalk does.
type Platform struct {
	URL       string // the robot's callback
	AppKey    string
	AppSecret string
	Fake      *Fake

	mu sync.Mutex
	n  int
}

// sign is DingTalk's: Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)).
func sign(ts, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'\n'})
	mac.Write([]byte(secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Post delivers m and returns the HTTP status.
func (p *Platform) Post(tb testing.TB, m Msg) int {
	tb.Helper()
	p.mu.Lock()
	p.n++
	id := p.n
	p.mu.Unlock()
	ctype := "1"
	if m.Group {
		ctype = "2"
	}
	if m.MsgType == "" {
		m.MsgType = "text"
	}
	if m.Expires.IsZero() {
		m.Expires = time.Now().Add(90 * time.Minute)
	}
	if m.TS == "" {
		m.TS = strconv.FormatInt(time.Now().UnixMilli(), 10)
		m.Sign = sign(m.TS, p.AppSecret)
	}
	body := map[string]any{
		"msgId":                     fmt.Sprintf("msg%d-%d", id, time.Now().UnixNano()),
		"msgtype":                   m.MsgType,
		"text":                      map[string]string{"content": m.Text},
		"senderStaffId":             m.User,
		"senderNick":                "张三",
		"conversationType":          ctype,
		"conversationId":            m.Conv,
		"isInAtList":                m.At,
		"sessionWebhook":            p.Fake.Webhook(m.Conv),
		"sessionWebhookExpiredTime": m.Expires.UnixMilli(),
		"robotCode":                 p.AppKey,
		"chatbotUserId":             "$:LWCP_v1:$robot",
	}
	if m.Content != nil {
		body["content"] = m.Content
	}
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, p.URL, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("timestamp", m.TS)
	req.Header.Set("sign", m.Sign)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("dingtalk callback: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
