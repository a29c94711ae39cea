// Package wecom is fazhi's WeCom (企业微信, and its government edition
// 政务微信) front end: the receive-message callback of a self-built app
// (自建应用), a thin adapter over the question-answering engine.
//
// Contract:
//   - Handler serves the callback URL. GET is the URL verification: a
//     correct msg_signature over echostr gets the decrypted echostr. POST
//     carries an XML whose Encrypt holds the message (WXBizMsgCrypt, see
//     Crypto). A bad signature or a message for another corp id gets 403
//     and no answer; a malformed request 400. An accepted message gets an
//     empty 200 at once and is answered by a worker, since WeCom waits only
//     five seconds and then retries (the retries, with the same MsgId, are
//     answered once).
//   - Answers go through the message API (message/send, msgtype text,
//     split to 2048 bytes) with an access token from gettoken, cached until
//     it expires and fetched again when the API says it is invalid or
//     expired (40014, 42001), the send then being retried once. A send the
//     API rejects is logged with its errcode.
//   - Text messages are questions or the Chinese commands of
//     messenger.ParseCommand, with per-user history for follow-ups; users
//     not in Config.AllowedUsers get a refusal. WeCom's callback delivers
//     no files to a self-built app, so reports cannot be ingested from it.
//   - At most Config.Concurrency messages are answered at once.
//   - The secret, token and EncodingAESKey never reach the log, nor do
//     access tokens.
package wecom

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"fazhi/messenger"
)

// DefaultAPIURL is the public WeCom API; 政务微信 and private deployments
// have their own.
const DefaultAPIURL = "https://qyapi.weixin.qq.com"

// Defaults for zero Config fields.
const (
	DefaultConcurrency = 8
	defaultQueue       = 256
)

// maxMessageBytes is the message API's limit on a text message's content.
const maxMessageBytes = 2048

// seenIDs is how many message ids are remembered to answer retries once.
const seenIDs = 1024

// maxBody bounds a callback request body; messages are far smaller.
const maxBody = 1 << 20

// Config configures a Bot. CorpID, AgentID, Secret, Token and AESKey are
// required: they are on the app's page in the WeCom admin console.
type Config struct {
	// CorpID is the enterprise's id (企业ID).
	CorpID string
	// AgentID is the self-built app's AgentId.
	AgentID int64
	// Secret is the app's Secret, for access tokens. It is never logged.
	Secret string
	// Token and AESKey are the callback's Token and EncodingAESKey (API
	// 接收消息). They are never logged.
	Token, AESKey string
	// APIURL is the API base URL (default DefaultAPIURL).
	APIURL string
	// Concurrency is the most messages answered at once (default 8).
	Concurrency int
	// DeskConfig holds the allow list (WeCom user ids, 账号; empty means
	// everyone in the app's visible range), the admins, the rate limit and
	// the history; its Platform is set to "wecom".
	messenger.DeskConfig
	// HTTPClient makes the API calls (default a client of its own).
	HTTPClient *http.Client
}

// Bot is a WeCom app serving one engine. Create it with New, serve Handler
// on the callback URL and call Run.
type Bot struct {
	cfg    Config
	crypto *Crypto
	desk   *messenger.Desk
	pool   *messenger.Pool
	api    *apiClient
	log    *slog.Logger
	seen   *messenger.Seen
}

// New returns a Bot for cfg over eng. It does no network I/O. A nil log
// discards log output.
func New(cfg Config, eng messenger.Engine, log *slog.Logger) (*Bot, error) {
	if eng == nil {
		return nil, errors.New("wecom: nil engine")
	}
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"corp id", cfg.CorpID}, {"secret", cfg.Secret}, {"token", cfg.Token}, {"AES key", cfg.AESKey},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if cfg.AgentID <= 0 {
		missing = append(missing, "agent id")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("wecom: missing %s", strings.Join(missing, ", "))
	}
	c, err := NewCrypto(cfg.Token, cfg.AESKey, cfg.CorpID)
	if err != nil {
		return nil, err
	}
	cfg.APIURL = strings.TrimRight(strings.TrimSpace(cfg.APIURL), "/")
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	cfg.Platform = "wecom"
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = slog.New(messenger.RedactHandler(log.Handler(), messenger.NewRedactor(cfg.Secret, cfg.Token, cfg.AESKey)))
	return &Bot{
		cfg:    cfg,
		crypto: c,
		desk:   messenger.NewDesk(cfg.DeskConfig, eng, log),
		pool:   messenger.NewPool(cfg.Concurrency, defaultQueue, log),
		api:    newAPIClient(cfg.APIURL, cfg.CorpID, cfg.Secret, cfg.HTTPClient),
		log:    log,
		seen:   messenger.NewSeen(seenIDs),
	}, nil
}

// Run answers the messages Handler accepts until ctx is cancelled, then
// returns once the answers in progress have finished.
func (b *Bot) Run(ctx context.Context) error {
	b.log.Info("wecom app running", "corp", b.cfg.CorpID, "agent", b.cfg.AgentID, "workers", b.cfg.Concurrency)
	err := b.pool.Run(ctx)
	b.log.Info("wecom app stopped")
	return err
}

// envelope is the POST body: the encrypted message.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	AgentID    string `xml:"AgentID"`
	Encrypt    string `xml:"Encrypt"`
}

// message is a decrypted message or event.
type message struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	MsgID        string `xml:"MsgId"`
	AgentID      string `xml:"AgentID"`
	Event        string `xml:"Event"`
}

// Handler serves the callback URL (GET verification, POST messages).
func (b *Bot) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
		if sig == "" || ts == "" || nonce == "" {
			http.Error(w, "missing msg_signature, timestamp or nonce", http.StatusBadRequest)
			return
		}
		switch r.Method {
		case http.MethodGet:
			// Base64 has no spaces: a space is a '+' that reached us
			// without URL encoding and was decoded as one.
			b.verifyURL(w, r, sig, ts, nonce, strings.ReplaceAll(q.Get("echostr"), " ", "+"))
		case http.MethodPost:
			b.receive(w, r, sig, ts, nonce)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// open checks the signature of a ciphertext and decrypts it, writing the
// error response when it fails.
func (b *Bot) open(w http.ResponseWriter, r *http.Request, sig, ts, nonce, encrypted string) ([]byte, bool) {
	if encrypted == "" {
		http.Error(w, "missing encrypted message", http.StatusBadRequest)
		return nil, false
	}
	if !b.crypto.Verify(sig, ts, nonce, encrypted) {
		b.log.Warn("wecom: callback with a bad msg_signature", "remote", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusForbidden)
		return nil, false
	}
	plain, err := b.crypto.Decrypt(encrypted)
	switch {
	case errors.Is(err, ErrCorpID):
		b.log.Warn("wecom: callback for another corp id", "remote", r.RemoteAddr)
		http.Error(w, "wrong corp id", http.StatusForbidden)
		return nil, false
	case err != nil:
		b.log.Warn("wecom: callback that does not decrypt", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "cannot decrypt", http.StatusBadRequest)
		return nil, false
	}
	return plain, true
}

func (b *Bot) verifyURL(w http.ResponseWriter, r *http.Request, sig, ts, nonce, echo string) {
	plain, ok := b.open(w, r, sig, ts, nonce, echo)
	if !ok {
		return
	}
	b.log.Info("wecom: callback URL verified")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(plain)
}

func (b *Bot) receive(w http.ResponseWriter, r *http.Request, sig, ts, nonce string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		http.Error(w, "body is not the callback XML", http.StatusBadRequest)
		return
	}
	plain, ok := b.open(w, r, sig, ts, nonce, env.Encrypt)
	if !ok {
		return
	}
	var m message
	if err := xml.Unmarshal(plain, &m); err != nil {
		http.Error(w, "message is not XML", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK) // WeCom waits five seconds at most: answer later
	if m.AgentID != "" && m.AgentID != strconv.FormatInt(b.cfg.AgentID, 10) {
		b.log.Warn("wecom: message for another app", "agent", m.AgentID)
		return
	}
	if m.FromUserName == "" || m.MsgType == "event" {
		return
	}
	if m.MsgID != "" && !b.seen.Add(m.MsgID) {
		b.log.Info("wecom: retried message already taken", "msgid", m.MsgID)
		return
	}
	if m.MsgType != "text" {
		b.log.Info("wecom: ignored a message that is not text", "type", m.MsgType, "user", m.FromUserName)
		return
	}
	from := messenger.Message{Conversation: m.FromUserName, User: m.FromUserName}
	if !b.pool.Submit(func(ctx context.Context) {
		b.desk.Handle(ctx, from, strings.TrimSpace(m.Content), replier{b: b, user: m.FromUserName})
	}) {
		b.log.Error("wecom: too many messages waiting, dropped one", "user", m.FromUserName)
	}
}

// replier sends the Desk's replies to one user.
type replier struct {
	b    *Bot
	user string
}

func (r replier) Busy(context.Context) func() { return func() {} }

func (r replier) Reply(ctx context.Context, spans ...messenger.Span) {
	messenger.SendParts(ctx, r.b.log, "wecom", messenger.Text.Render(spans, maxMessageBytes),
		func(ctx context.Context, text string) error {
			return r.b.api.sendText(ctx, r.user, r.b.cfg.AgentID, text)
		},
		"user", r.user)
}
