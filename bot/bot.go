// Package bot is fazhi's Telegram front end: a thin adapter that turns chat
// messages into calls on the question-answering engine and renders its
// answers, with their sources, as Telegram HTML messages.
//
// Contract:
//   - In private chats every text message is a question; in groups the bot
//     answers when it is @mentioned, when a message replies to it, or on
//     /ask. Commands: /start, /help, /ask, /reports, /facts, /proof.
//   - When Config.AllowedUsers is set, anyone else gets a short refusal and
//     the engine is never called for them. Only Config.Admins may send
//     report files to ingest.
//   - Each chat keeps its last few turns for follow-up questions, expiring
//     after Config.HistoryTTL; /proof shows the quotes behind the chat's last
//     answer.
//   - At most Config.Concurrency updates are handled at once, each user is
//     rate limited, a panicking handler is recovered, and sendMessage is
//     retried on 429 (honouring retry_after) and 5xx.
//   - The bot token never reaches the log: every record is scrubbed of it.
//
// Long polling: New then Run. Webhook mode: mount WebhookHandler on an HTTPS
// server, register it with Telegram (setWebhook with the same secret_token)
// and call RunWebhook.
package bot

import (
	"context"
	"crypto/subtle"
	"errors"
	"fazhi/messenger"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// Engine is what the bot needs from the question-answering engine;
// *rag.Engine satisfies it.
type Engine = messenger.Engine

// maxWebhookBody bounds a webhook request body; updates are far smaller.
const maxWebhookBody = 1 << 20

// webhookSecretHeader is where Telegram puts the webhook's secret_token.
const webhookSecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// Bot is a Telegram bot serving one Engine. Create it with New.
type Bot struct {
	cfg   Config
	log   *slog.Logger
	red   messenger.Redactor
	tg    *tgbot.Bot
	tr    *http.Transport
	dl    *http.Client // file downloads, bounded by ctx rather than a client timeout
	desk  *messenger.Desk
	retry retryPolicy

	me      atomic.Pointer[models.User]             // the bot itself, from getMe in Run
	running atomic.Bool                             // Run or RunWebhook is active
	stop    atomic.Pointer[context.CancelCauseFunc] // ends the active run on a fatal error
}

// New returns a Bot for cfg and eng. It does no network I/O: Run checks the
// token. A nil log discards log output.
func New(cfg Config, eng Engine, log *slog.Logger) (*Bot, error) {
	cfg = cfg.withDefaults()
	if cfg.Token == "" {
		return nil, errors.New("bot: empty token")
	}
	if eng == nil {
		return nil, errors.New("bot: nil engine")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	red := messenger.NewRedactor(cfg.Token)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	log = slog.New(messenger.RedactHandler(log.Handler(), red))
	b := &Bot{
		cfg: cfg,
		log: log,
		red: red,
		tr:  tr,
		dl:  &http.Client{Transport: tr},
		desk: messenger.NewDesk(messenger.DeskConfig{
			Platform:       "bot",
			AllowedUsers:   idStrings(cfg.AllowedUsers),
			Admins:         idStrings(cfg.Admins),
			RatePerMinute:  cfg.RatePerMinute,
			HistoryTurns:   cfg.HistoryTurns,
			HistoryTTL:     cfg.HistoryTTL,
			Words:          words,
			MessageTimeout: cfg.MessageTimeout,
			MaxFileBytes:   cfg.MaxFileBytes,
		}, eng, log),
		retry: defaultRetry,
	}
	// The API client's timeout only guards against a dead connection: the
	// long poll itself lasts PollTimeout, and other calls follow their ctx.
	api := &http.Client{Transport: tr, Timeout: cfg.PollTimeout + 15*time.Second}
	tg, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(cfg.APIURL),
		// The library asks Telegram to hold getUpdates for this minus 1 s.
		tgbot.WithHTTPClient(cfg.PollTimeout+time.Second, statusClient{c: api}),
		tgbot.WithSkipGetMe(),
		tgbot.WithAllowedUpdates(tgbot.AllowedUpdates{models.AllowedUpdateMessage}),
		// Handlers run synchronously on Concurrency workers instead of a
		// goroutine per update: at most Concurrency updates are in
		// flight, a full queue holds back getUpdates, and Start returns
		// only once every handler has.
		tgbot.WithWorkers(cfg.Concurrency),
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithDefaultHandler(b.handle),
		tgbot.WithMiddlewares(b.recoverPanics),
		tgbot.WithErrorsHandler(b.libraryError),
		tgbot.WithDebugHandler(func(format string, args ...any) {
			b.log.Debug("telegram: " + fmt.Sprintf(format, args...))
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", red.Error(err))
	}
	b.tg = tg
	return b, nil
}

func idStrings(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = idString(id)
	}
	return out
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// from is who sent m and where, as the Desk keys them.
func from(m *models.Message) messenger.Message {
	return messenger.Message{Conversation: idString(m.Chat.ID), User: idString(m.From.ID)}
}

// replier sends the Desk's replies to m's chat.
type replier struct {
	b *Bot
	m *models.Message
}

func (r replier) Reply(ctx context.Context, spans ...messenger.Span) { r.b.reply(ctx, r.m, spans...) }
func (r replier) Busy(ctx context.Context) func()                    { return r.b.typing(ctx, r.m) }

// Run checks the token with getMe, then long-polls for updates and handles
// them until ctx is cancelled. It returns nil after a cancellation, once
// every handler has finished; it returns an error if getMe fails or
// Telegram rejects the token while polling. A failing getUpdates is retried
// with backoff without moving the offset, so no update is skipped.
func (b *Bot) Run(ctx context.Context) error {
	return b.run(ctx, false)
}

// RunWebhook handles the updates that WebhookHandler receives until ctx is
// cancelled, like Run but without polling. It does not call setWebhook:
// register the handler's public URL with Telegram, with
// Config.WebhookSecret as secret_token, separately. It fails when
// Config.WebhookSecret is empty.
func (b *Bot) RunWebhook(ctx context.Context) error {
	if b.cfg.WebhookSecret == "" {
		return errors.New("bot: webhook mode needs Config.WebhookSecret")
	}
	return b.run(ctx, true)
}

func (b *Bot) run(ctx context.Context, webhook bool) error {
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("bot: already running")
	}
	defer b.running.Store(false)
	defer b.tr.CloseIdleConnections()

	me, err := b.tg.GetMe(ctx)
	if err != nil {
		return fmt.Errorf("bot: getMe: %w", b.red.Error(err))
	}
	b.me.Store(me)

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	b.stop.Store(&cancel)
	defer b.stop.Store(nil)

	mode := "polling"
	if webhook {
		mode = "webhook"
	}
	b.log.Info("telegram bot running", "username", me.Username, "mode", mode, "workers", b.cfg.Concurrency)
	if webhook {
		b.tg.StartWebhook(runCtx)
	} else {
		b.tg.Start(runCtx)
	}
	if ctx.Err() == nil {
		if cause := context.Cause(runCtx); cause != nil {
			return cause
		}
	}
	b.log.Info("telegram bot stopped")
	return nil
}

// libraryError receives the library's errors (failed getUpdates and the
// like). An unauthorized token ends the run; the rest are logged while the
// library retries.
func (b *Bot) libraryError(err error) {
	switch {
	case errors.Is(err, tgbot.ErrorUnauthorized):
		b.log.Error("telegram: token rejected, stopping", "err", err)
		if stop := b.stop.Load(); stop != nil {
			(*stop)(fmt.Errorf("bot: telegram rejected the token: %w", b.red.Error(err)))
		}
	case errors.Is(err, tgbot.ErrorConflict):
		b.log.Error("telegram: conflict: another process polls with this token, or a webhook is set", "err", err)
	default:
		b.log.Warn("telegram: library error", "err", err)
	}
}

// WebhookHandler returns the HTTP handler for webhook mode. It accepts only
// POST requests whose X-Telegram-Bot-Api-Secret-Token equals
// Config.WebhookSecret (compared in constant time), and rejects everything
// when no secret is configured. Accepted updates are queued for RunWebhook.
func (b *Bot) WebhookHandler() http.Handler {
	inner := b.tg.WebhookHandler()
	secret := []byte(b.cfg.WebhookSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := []byte(r.Header.Get(webhookSecretHeader))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			b.log.Warn("telegram: webhook request with a wrong secret token", "remote", r.RemoteAddr)
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
		inner(w, r)
	})
}

// recoverPanics keeps one bad update from taking the process down.
func (b *Bot) recoverPanics(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(ctx context.Context, tg *tgbot.Bot, upd *models.Update) {
		defer func() {
			if r := recover(); r != nil {
				b.log.Error("bot: panic while handling an update",
					"update", upd.ID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				if upd.Message != nil && ctx.Err() == nil {
					b.replyText(ctx, upd.Message, messenger.MsgInternalError)
				}
			}
		}()
		next(ctx, tg, upd)
	}
}

// handle routes one update.
func (b *Bot) handle(ctx context.Context, _ *tgbot.Bot, upd *models.Update) {
	m := upd.Message
	if m == nil || m.From == nil || m.From.IsBot {
		return
	}
	private := m.Chat.Type == models.ChatTypePrivate

	if m.Document != nil {
		if !private {
			if _, ok := b.addressed(m.Caption, m.CaptionEntities, m); !ok {
				return
			}
		}
		if !b.mayUse(m.From.ID) {
			b.replyText(ctx, m, messenger.MsgForbidden)
			return
		}
		b.ingestDocument(ctx, m)
		return
	}

	text := strings.TrimSpace(m.Text)
	if cmd, args, ok := parseCommand(text); ok {
		if cmd.target != "" && !strings.EqualFold(cmd.target, b.username()) {
			return // meant for another bot in the group
		}
		if !b.mayUse(m.From.ID) {
			b.replyText(ctx, m, messenger.MsgForbidden)
			return
		}
		b.command(ctx, m, cmd.name, args, private)
		return
	}

	if !private {
		q, ok := b.addressed(m.Text, m.Entities, m)
		if !ok {
			return
		}
		text = q
	}
	// Questions and the Chinese commands (帮助, 报告列表, 数据, 原文).
	b.desk.Handle(ctx, from(m), text, replier{b, m})
}

func (b *Bot) command(ctx context.Context, m *models.Message, name, args string, private bool) {
	switch name {
	case "start", "help":
		b.replyText(ctx, m, helpText)
	case "ask":
		if args == "" {
			b.replyText(ctx, m, msgAskUsage)
			return
		}
		b.desk.Ask(ctx, from(m), args, replier{b, m})
	case "reports":
		b.desk.Reports(ctx, from(m), replier{b, m})
	case "facts":
		b.desk.Facts(ctx, from(m), args, replier{b, m})
	case "proof":
		b.desk.Proof(ctx, from(m), replier{b, m})
	default:
		if private {
			b.replyText(ctx, m, msgUnknownCmd)
		}
	}
}

// mayUse reports whether user may talk to the bot at all.
func (b *Bot) mayUse(user int64) bool { return b.desk.MayUse(idString(user)) }

func (b *Bot) username() string {
	if me := b.me.Load(); me != nil {
		return me.Username
	}
	return ""
}

// command is a parsed "/name@target".
type command struct {
	name   string // lower case
	target string // bot username after '@', or ""
}

// parseCommand splits "/name@target args". Command names are Latin letters,
// digits and '_', so "/ask渔门镇…" is /ask with the question after it.
func parseCommand(text string) (command, string, bool) {
	if !strings.HasPrefix(text, "/") {
		return command{}, "", false
	}
	rest := text[1:]
	n := strings.IndexFunc(rest, func(r rune) bool {
		return r > unicode.MaxASCII || !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
	})
	if n < 0 {
		n = len(rest)
	}
	if n == 0 {
		return command{}, "", false
	}
	cmd := command{name: strings.ToLower(rest[:n])}
	rest = rest[n:]
	if strings.HasPrefix(rest, "@") {
		end := strings.IndexFunc(rest[1:], func(r rune) bool {
			return r > unicode.MaxASCII || !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
		})
		if end < 0 {
			end = len(rest) - 1
		}
		cmd.target = rest[1 : 1+end]
		rest = rest[1+end:]
	}
	return cmd, strings.TrimSpace(rest), true
}

// addressed reports whether a group message is meant for the bot, by an
// @mention or by replying to one of its messages, and returns the text
// with the mentions removed.
func (b *Bot) addressed(text string, entities []models.MessageEntity, m *models.Message) (string, bool) {
	me := b.me.Load()
	if me == nil {
		return "", false
	}
	units := utf16.Encode([]rune(text))
	found := false
	var keep []uint16
	pos := 0
	for _, e := range entities {
		if e.Offset < pos || e.Length <= 0 || e.Offset+e.Length > len(units) {
			continue
		}
		isMe := false
		switch e.Type {
		case models.MessageEntityTypeMention:
			isMe = me.Username != "" &&
				strings.EqualFold(string(utf16.Decode(units[e.Offset:e.Offset+e.Length])), "@"+me.Username)
		case models.MessageEntityTypeTextMention:
			isMe = e.User != nil && e.User.ID == me.ID
		}
		if isMe {
			found = true
			keep = append(keep, units[pos:e.Offset]...)
			pos = e.Offset + e.Length
		}
	}
	keep = append(keep, units[pos:]...)
	out := string(utf16.Decode(keep))
	if !found && len(entities) == 0 && me.Username != "" {
		// No entities (some clients and proxies drop them): look for the
		// mention in the text itself.
		if i := indexMention(text, me.Username); i >= 0 {
			found = true
			out = text[:i] + text[i+1+len(me.Username):]
		}
	}
	if !found && m.ReplyToMessage != nil && m.ReplyToMessage.From != nil && m.ReplyToMessage.From.ID == me.ID {
		found = true
	}
	return strings.TrimSpace(out), found
}

// indexMention finds "@username" as a whole word, ignoring ASCII case,
// and returns the byte index of its '@'.
func indexMention(text, username string) int {
	for i := 0; i+1+len(username) <= len(text); i++ {
		if text[i] != '@' || !strings.EqualFold(text[i+1:i+1+len(username)], username) {
			continue
		}
		if end := i + 1 + len(username); end == len(text) || !isNameByte(text[end]) {
			return i
		}
	}
	return -1
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
