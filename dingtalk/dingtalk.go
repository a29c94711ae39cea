// Package dingtalk is fazhi's DingTalk (钉钉, and 浙政钉) front end: the HTTP
// callback of an enterprise internal app's robot (企业内部应用机器人), a thin
// adapter over the question-answering engine.
//
// Contract:
//   - Handler serves the robot's message receiving address. A request is
//     accepted only when its sign header is Base64(HMAC-SHA256(app secret,
//     timestamp + "\n" + app secret)) and its timestamp header (ms) is
//     within an hour of now; otherwise it gets 403 and no answer. An
//     accepted message gets 200 at once and is answered by a worker.
//   - Answers are posted to the message's sessionWebhook (markdown with a
//     title, split to 4000 bytes) while it is valid; a reply the webhook
//     rejects is logged with its errcode.
//   - Text is a question or a Chinese command of messenger.ParseCommand,
//     with per-conversation history for follow-ups. In group chats the
//     robot answers only when @mentioned (isInAtList), the mention removed.
//   - Users not in Config.AllowedUsers (by senderStaffId) get a refusal.
//     Admins may send a report file (msgtype file), downloaded through the
//     robot file API with the app's access token, to be ingested.
//   - At most Config.Concurrency messages are answered at once.
//   - The app secret never reaches the log, nor do access tokens or
//     session webhook keys.
package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"fazhi/messenger"
)

// DefaultAPIURL is the DingTalk open API, for access tokens and files.
const DefaultAPIURL = "https://api.dingtalk.com"

// Defaults for zero Config fields.
const (
	DefaultConcurrency = 8
	defaultQueue       = 256
)

// MaxFileSize is the largest report file accepted from a chat.
const MaxFileSize = 20 << 20

// maxMessageBytes bounds one markdown reply.
const maxMessageBytes = 4000

// maxSkew is how far a request's timestamp may be from now.
const maxSkew = time.Hour

// seenIDs is how many message ids are remembered to answer retries once.
const seenIDs = 1024

// maxBody bounds a callback request body.
const maxBody = 1 << 20

// Config configures a Bot. AppKey and AppSecret are required: they are on
// the app's page in the DingTalk developer console.
type Config struct {
	// AppKey is the app's AppKey (the robot code of an internal app).
	AppKey string
	// AppSecret signs the callbacks and gets access tokens. It is never
	// logged.
	AppSecret string
	// APIURL is the open API base URL (default DefaultAPIURL); 浙政钉 and
	// private deployments have their own.
	APIURL string
	// Concurrency is the most messages answered at once (default 8).
	Concurrency int
	// DeskConfig holds the allow list (staff ids, senderStaffId; empty
	// means everyone who can reach the robot), the admins who may send
	// report files, the rate limit, the history and the clock (Now, also
	// used to check timestamps); its Platform is set to "dingtalk".
	messenger.DeskConfig
	// HTTPClient makes the outgoing calls (default a client of its own).
	HTTPClient *http.Client
}

// Bot is a DingTalk robot serving one engine. Create it with New, serve
// Handler on the message receiving address and call Run.
type Bot struct {
	cfg  Config
	desk *messenger.Desk
	pool *messenger.Pool
	api  *apiClient
	log  *slog.Logger
	seen *messenger.Seen
}

// New returns a Bot for cfg over eng. It does no network I/O. A nil log
// discards log output.
func New(cfg Config, eng messenger.Engine, log *slog.Logger) (*Bot, error) {
	if eng == nil {
		return nil, errors.New("dingtalk: nil engine")
	}
	cfg.AppKey, cfg.AppSecret = strings.TrimSpace(cfg.AppKey), strings.TrimSpace(cfg.AppSecret)
	switch {
	case cfg.AppKey == "" && cfg.AppSecret == "":
		return nil, errors.New("dingtalk: missing app key, app secret")
	case cfg.AppKey == "":
		return nil, errors.New("dingtalk: missing app key")
	case cfg.AppSecret == "":
		return nil, errors.New("dingtalk: missing app secret")
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
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Platform = "dingtalk"
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = slog.New(messenger.RedactHandler(log.Handler(), messenger.NewRedactor(cfg.AppSecret)))
	return &Bot{
		cfg:  cfg,
		desk: messenger.NewDesk(cfg.DeskConfig, eng, log),
		pool: messenger.NewPool(cfg.Concurrency, defaultQueue, log),
		api:  newAPIClient(cfg.APIURL, cfg.AppKey, cfg.AppSecret, cfg.HTTPClient, cfg.Now),
		log:  log,
		seen: messenger.NewSeen(seenIDs),
	}, nil
}

// Run answers the messages Handler accepts until ctx is cancelled, then
// returns once the answers in progress have finished.
func (b *Bot) Run(ctx context.Context) error {
	b.log.Info("dingtalk robot running", "app", b.cfg.AppKey, "workers", b.cfg.Concurrency)
	err := b.pool.Run(ctx)
	b.log.Info("dingtalk robot stopped")
	return err
}

// Sign is the sign header of a request with timestamp ts (milliseconds, as
// written in the timestamp header) for an app secret.
func Sign(ts, appSecret string) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(ts + "\n" + appSecret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// incoming is the callback body, the fields the robot reads.
type incoming struct {
	MsgID   string `json:"msgId"`
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
	Content                   json.RawMessage `json:"content"`
	SenderStaffID             string          `json:"senderStaffId"`
	SenderNick                string          `json:"senderNick"`
	ConversationType          string          `json:"conversationType"` // "1" private, "2" group
	ConversationID            string          `json:"conversationId"`
	IsInAtList                bool            `json:"isInAtList"`
	SessionWebhook            string          `json:"sessionWebhook"`
	SessionWebhookExpiredTime int64           `json:"sessionWebhookExpiredTime"` // ms
	RobotCode                 string          `json:"robotCode"`
}

// fileContent is the content of a file message.
type fileContent struct {
	DownloadCode string `json:"downloadCode"`
	FileName     string `json:"fileName"`
}

// Handler serves the robot's message receiving address.
func (b *Bot) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if err := b.verify(r.Header.Get("timestamp"), r.Header.Get("sign")); err != nil {
			b.log.Warn("dingtalk: callback refused", "remote", r.RemoteAddr, "err", err)
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		var m incoming
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&m); err != nil {
			http.Error(w, "body is not the callback JSON", http.StatusBadRequest)
			return
		}
		// An empty 200: an answer in the body would be sent at once, and
		// answers take longer; they go to the session webhook.
		w.WriteHeader(http.StatusOK)
		b.accept(m)
	})
}

// verify checks a request's timestamp and sign headers.
func (b *Bot) verify(ts, sign string) error {
	if ts == "" || sign == "" {
		return errors.New("missing timestamp or sign header")
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("timestamp header is not milliseconds")
	}
	if skew := b.cfg.Now().Sub(time.UnixMilli(ms)); skew > maxSkew || skew < -maxSkew {
		return fmt.Errorf("timestamp is %s off, more than %s", skew.Round(time.Second), maxSkew)
	}
	if !hmac.Equal([]byte(sign), []byte(Sign(ts, b.cfg.AppSecret))) {
		return errors.New("bad sign")
	}
	return nil
}

// accept queues an accepted message for a worker.
func (b *Bot) accept(m incoming) {
	if m.SenderStaffID == "" || m.SessionWebhook == "" {
		b.log.Info("dingtalk: message without a sender staff id or a session webhook", "type", m.MsgType)
		return
	}
	if m.MsgID != "" && !b.seen.Add(m.MsgID) {
		b.log.Info("dingtalk: retried message already taken", "msgid", m.MsgID)
		return
	}
	group := m.ConversationType == "2"
	if group && !m.IsInAtList {
		return
	}
	conv := m.ConversationID
	if conv == "" {
		conv = m.SenderStaffID
	}
	from := messenger.Message{Conversation: conv, User: m.SenderStaffID}
	rep := &replier{b: b, webhook: m.SessionWebhook, expires: time.UnixMilli(m.SessionWebhookExpiredTime), at: m.SenderStaffID, group: group}
	var job func(ctx context.Context)
	switch m.MsgType {
	case "text":
		text := strings.TrimSpace(m.Text.Content)
		if group {
			text = stripMentions(text)
		}
		job = func(ctx context.Context) { b.desk.Handle(ctx, from, text, rep) }
	case "file":
		var fc fileContent
		if err := json.Unmarshal(m.Content, &fc); err != nil || fc.DownloadCode == "" {
			b.log.Warn("dingtalk: file message without a download code", "user", m.SenderStaffID)
			return
		}
		robot := m.RobotCode
		if robot == "" {
			robot = b.cfg.AppKey
		}
		job = func(ctx context.Context) {
			if !b.desk.MayUse(from.User) {
				rep.Reply(ctx, messenger.Plain(messenger.MsgForbidden))
				return
			}
			b.desk.Ingest(ctx, from, messenger.File{
				Name:     fc.FileName,
				MaxBytes: MaxFileSize,
				Fetch:    func(ctx context.Context) ([]byte, error) { return b.api.download(ctx, robot, fc.DownloadCode) },
			}, rep)
		}
	default:
		b.log.Info("dingtalk: ignored a message that is neither text nor a file", "type", m.MsgType, "user", m.SenderStaffID)
		return
	}
	if !b.pool.Submit(job) {
		b.log.Error("dingtalk: too many messages waiting, dropped one", "user", m.SenderStaffID)
	}
}

// stripMentions removes the @mentions at the start of a group message
// ("@法治助手 渔门镇呢？"); DingTalk usually strips the robot's own, but not
// always others'.
func stripMentions(text string) string {
	for strings.HasPrefix(text, "@") {
		i := strings.IndexFunc(text, unicode.IsSpace)
		if i < 0 {
			return ""
		}
		text = strings.TrimLeftFunc(text[i:], unicode.IsSpace)
	}
	return text
}

// replier posts the Desk's replies to a message's session webhook.
type replier struct {
	b       *Bot
	webhook string
	expires time.Time
	at      string
	group   bool
}

func (r *replier) Busy(context.Context) func() { return func() {} }

func (r *replier) Reply(ctx context.Context, spans ...messenger.Span) {
	messenger.SendParts(ctx, r.b.log, "dingtalk", messenger.Markdown.Render(spans, maxMessageBytes),
		func(ctx context.Context, text string) error {
			if !r.expires.IsZero() && r.b.cfg.Now().After(r.expires) {
				return errWebhookExpired
			}
			return r.b.api.sendMarkdown(ctx, r.webhook, title(spans), text)
		}, "user", r.at)
}

// errWebhookExpired: a reply was ready after its message's session webhook
// had expired.
var errWebhookExpired = errors.New("session webhook expired before the reply was sent")

// maxTitleRunes bounds the title DingTalk shows in notifications.
const maxTitleRunes = 20

// title is the reply's first line, cut short.
func title(spans []messenger.Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
		if strings.Contains(s.Text, "\n") || b.Len() > 200 {
			break
		}
	}
	line, _, _ := strings.Cut(strings.TrimSpace(b.String()), "\n")
	if r := []rune(line); len(r) > maxTitleRunes {
		line = string(r[:maxTitleRunes]) + "…"
	}
	if line == "" {
		line = "法治问答"
	}
	return line
}
