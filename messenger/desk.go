// Package messenger holds what fazhi's chat front ends share: the handling
// of a message once its platform has decoded it (commands in Chinese,
// questions with per-conversation history for follow-ups, allow lists and
// admins, per-user rate limits, report files to ingest), the rendering of
// answers with their sources, the splitting of long replies to a platform's
// message limit, bounded workers, and keeping secrets out of logs.
//
// The adapters (bot for Telegram, wecom, dingtalk) decode their platform's
// messages into a Message, call a Desk, and send the spans it replies with
// through a Replier that renders them in their Format. They never import
// one another.
package messenger

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"fazhi/ingest"
	"fazhi/internal/ratelimit"
	"fazhi/rag"
)

// Engine is what a messenger needs from the question-answering engine;
// *rag.Engine satisfies it.
type Engine interface {
	Ask(ctx context.Context, q rag.Question) (rag.Answer, error)
	Reports(ctx context.Context) ([]rag.ReportInfo, error)
	Facts(ctx context.Context, f rag.FactFilter) ([]ingest.Fact, error)
	IngestFile(ctx context.Context, name string, data []byte) (rag.IngestResult, error)
}

// Defaults used for zero (or negative) DeskConfig fields.
const (
	DefaultRatePerMinute = 20
	DefaultHistoryTurns  = 6
	DefaultHistoryTTL    = 30 * time.Minute
	// DefaultMessageTimeout bounds the engine's work on one message: a
	// question, a listing or a report file to ingest.
	DefaultMessageTimeout = 2 * time.Minute
)

// maxConversations bounds the per-conversation history and the per-user
// rate-limit maps; the entries idle longest are forgotten first.
const maxConversations = 10_000

// Vocabulary is how a platform's replies name its commands.
type Vocabulary struct {
	Help       string // the help text
	ProofHint  string // the line under an answer's sources
	Reports    string // the command that lists the reports
	FactsUsage string // how to use the facts command
}

// Chinese is the vocabulary of the messengers whose commands are Chinese
// words (see ParseCommand).
var Chinese = Vocabulary{
	Help:       HelpText,
	ProofHint:  ProofHint,
	Reports:    "「报告列表」",
	FactsUsage: "用法：数据 乡镇名 [年份]，例如：数据 渔门镇 2020",
}

// DeskConfig configures a Desk. Zero values select the defaults.
type DeskConfig struct {
	// Platform names the messenger in log lines ("wecom", "dingtalk").
	Platform string
	// AllowedUsers lists the user ids that may use the messenger; empty
	// means everyone. Admins are always allowed.
	AllowedUsers []string
	// Admins lists the user ids that may send report files to ingest.
	Admins []string
	// RatePerMinute is how many engine requests one user may make per
	// minute, as a token bucket with a burst of the same size (default 20).
	RatePerMinute int
	// HistoryTurns is how many question-and-answer turns per conversation
	// are passed to the engine for follow-ups (default 6).
	HistoryTurns int
	// HistoryTTL is how long a conversation's history lives after its last
	// question (default 30 minutes).
	HistoryTTL time.Duration
	// Words is how replies name the commands (default Chinese).
	Words Vocabulary
	// MessageTimeout bounds the engine's work on one message (default 2
	// minutes): past it the user is told, and the worker is free again.
	// It should exceed the model's own timeout, so that a model that does
	// not answer still leaves time for the answer from the reports.
	MessageTimeout time.Duration
	// MaxFileBytes is the largest report file ingested (fazhi's
	// --max-file-mb), below the platform's own limit; 0: the platform's.
	MaxFileBytes int64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Message is who sent a message and where.
type Message struct {
	// Conversation keys the history: a private chat or a group.
	Conversation string
	// User is the sender's id on the platform.
	User string
}

// Replier sends a reply back to where a message came from. Reply renders
// the spans in the platform's format, splits them to its message limit and
// logs a failed send: there is no one else to tell.
type Replier interface {
	Reply(ctx context.Context, spans ...Span)
	// Busy shows that an answer is being prepared, where the platform can,
	// until the returned stop is called.
	Busy(ctx context.Context) (stop func())
}

// Desk answers the messages of one messenger. It is safe for concurrent
// use.
type Desk struct {
	cfg     DeskConfig
	eng     Engine
	log     *slog.Logger
	allowed map[string]bool
	admins  map[string]bool
	limiter *ratelimit.Limiter[string]
	hist    *History[string]
}

// NewDesk returns a Desk for cfg over eng. A nil log discards log output.
func NewDesk(cfg DeskConfig, eng Engine, log *slog.Logger) *Desk {
	if cfg.RatePerMinute <= 0 {
		cfg.RatePerMinute = DefaultRatePerMinute
	}
	if cfg.HistoryTurns <= 0 {
		cfg.HistoryTurns = DefaultHistoryTurns
	}
	if cfg.HistoryTTL <= 0 {
		cfg.HistoryTTL = DefaultHistoryTTL
	}
	if cfg.MessageTimeout <= 0 {
		cfg.MessageTimeout = DefaultMessageTimeout
	}
	if cfg.Words == (Vocabulary{}) {
		cfg.Words = Chinese
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Platform == "" {
		cfg.Platform = "messenger"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Desk{
		cfg:     cfg,
		eng:     eng,
		log:     log,
		allowed: set(cfg.AllowedUsers),
		admins:  set(cfg.Admins),
		limiter: ratelimit.New[string](cfg.RatePerMinute, maxConversations, cfg.Now),
		hist:    NewHistory[string](cfg.HistoryTurns, cfg.HistoryTTL, maxConversations, cfg.Now),
	}
}

func set(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// MayUse reports whether user may talk to the messenger at all.
func (d *Desk) MayUse(user string) bool {
	return len(d.allowed) == 0 || d.allowed[user] || d.admins[user]
}

// IsAdmin reports whether user may send report files to ingest.
func (d *Desk) IsAdmin(user string) bool { return d.admins[user] }

// Handle answers a text message addressed to the messenger: a command of
// ParseCommand or a question. Users not allowed get a refusal and the
// engine is not called for them.
func (d *Desk) Handle(ctx context.Context, m Message, text string, r Replier) {
	if !d.MayUse(m.User) {
		d.log.Info(d.cfg.Platform+": refused a user not allowed", "user", m.User)
		r.Reply(ctx, Plain(MsgForbidden))
		return
	}
	cmd, args := ParseCommand(text)
	switch cmd {
	case CmdHelp:
		r.Reply(ctx, Plain(d.cfg.Words.Help))
	case CmdReports:
		d.Reports(ctx, m, r)
	case CmdFacts:
		d.Facts(ctx, m, args, r)
	case CmdProof:
		d.Proof(ctx, m, r)
	default:
		d.Ask(ctx, m, text, r)
	}
}

// Ask answers question q with the conversation's history as context. The
// caller has checked MayUse.
func (d *Desk) Ask(ctx context.Context, m Message, q string, r Replier) {
	if q == "" {
		r.Reply(ctx, Plain(MsgEmptyQuestion))
		return
	}
	if !d.allow(ctx, m, r) {
		return
	}
	stop := r.Busy(ctx)
	start := time.Now()
	wctx, cancel := d.work(ctx)
	a, err := d.eng.Ask(wctx, rag.Question{Text: q, History: d.hist.Turns(m.Conversation)})
	cancel()
	stop()
	if err != nil {
		d.engineFailed(ctx, m, "ask", err, r)
		return
	}
	d.hist.Add(m.Conversation, q, a)
	d.log.Info(d.cfg.Platform+": answered", "conversation", m.Conversation, "user", m.User, "found", a.Found,
		"mode", a.Mode, "citations", len(a.Citations), "took", time.Since(start))
	r.Reply(ctx, AnswerSpans(a, d.cfg.Words.ProofHint)...)
}

// Reports lists the stored reports.
func (d *Desk) Reports(ctx context.Context, m Message, r Replier) {
	if !d.allow(ctx, m, r) {
		return
	}
	wctx, cancel := d.work(ctx)
	rs, err := d.eng.Reports(wctx)
	cancel()
	if err != nil {
		d.engineFailed(ctx, m, "reports", err, r)
		return
	}
	r.Reply(ctx, ReportsSpans(rs)...)
}

// Facts lists the figures of the town (and year) args names.
func (d *Desk) Facts(ctx context.Context, m Message, args string, r Replier) {
	town, year := ParseFactsArgs(args)
	if town == "" {
		r.Reply(ctx, Plain(d.cfg.Words.FactsUsage))
		return
	}
	if !d.allow(ctx, m, r) {
		return
	}
	wctx, cancel := d.work(ctx)
	fs, err := d.eng.Facts(wctx, rag.FactFilter{Town: town, Year: year})
	cancel()
	if err != nil {
		d.engineFailed(ctx, m, "facts", err, r)
		return
	}
	r.Reply(ctx, FactsSpans(town, year, fs, d.cfg.Words.Reports)...)
}

// Proof shows the quotes behind the conversation's last answer.
func (d *Desk) Proof(ctx context.Context, m Message, r Replier) {
	a, ok := d.hist.Last(m.Conversation)
	if !ok {
		r.Reply(ctx, Plain(MsgNoProof))
		return
	}
	r.Reply(ctx, ProofSpans(a)...)
}

// Ingest handles a report file sent by a user who may use the messenger:
// an admin's is ingested, everyone else gets a refusal.
func (d *Desk) Ingest(ctx context.Context, m Message, f File, r Replier) {
	if !d.IsAdmin(m.User) {
		r.Reply(ctx, Plain(MsgNotAdmin))
		return
	}
	name := CleanFileName(f.Name)
	if msg := unsupported(name); msg != "" {
		r.Reply(ctx, Plain(msg))
		return
	}
	if lim := d.cfg.MaxFileBytes; lim > 0 && (f.MaxBytes <= 0 || lim < f.MaxBytes) {
		f.MaxBytes = lim // fazhi's own limit is the lower
	}
	if f.MaxBytes > 0 && f.Size > f.MaxBytes {
		r.Reply(ctx, Plain(tooLargeText(f.Size, f.MaxBytes)))
		return
	}
	if !d.allow(ctx, m, r) {
		return
	}
	stop := r.Busy(ctx)
	data, err := f.Fetch(ctx)
	if err != nil {
		stop()
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, ErrTooLarge):
			r.Reply(ctx, Plain(tooLargeText(0, f.MaxBytes)))
		default:
			d.log.Error(d.cfg.Platform+": file download failed", "conversation", m.Conversation, "user", m.User, "file", name, "err", err)
			r.Reply(ctx, Plain(MsgDownloadError))
		}
		return
	}
	if f.MaxBytes > 0 && int64(len(data)) > f.MaxBytes {
		stop()
		r.Reply(ctx, Plain(tooLargeText(int64(len(data)), f.MaxBytes)))
		return
	}
	wctx, cancel := d.work(ctx)
	res, err := d.eng.IngestFile(wctx, name, data)
	cancel()
	stop()
	if err != nil {
		d.engineFailed(ctx, m, "ingest", err, r)
		return
	}
	d.log.Info(d.cfg.Platform+": ingested", "user", m.User, "file", name, "bytes", len(data), "status", res.Status)
	r.Reply(ctx, Plain(IngestText(res)))
}

// allow applies the user's rate limit, telling them (once) when they are
// over it.
func (d *Desk) allow(ctx context.Context, m Message, r Replier) bool {
	ok, _, warn := d.limiter.Allow(m.User)
	if !ok {
		d.log.Info(d.cfg.Platform+": rate limited", "user", m.User, "conversation", m.Conversation)
		if warn {
			r.Reply(ctx, Plain(MsgRateLimited))
		}
	}
	return ok
}

// work is the context of the engine's work on one message: it ends after
// MessageTimeout, so that no message holds a worker for ever. Replies use
// the messenger's own context, so the user still hears of it.
func (d *Desk) work(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.cfg.MessageTimeout)
}

// engineFailed logs an engine error and gives the user a generic reply,
// unless the messenger is shutting down.
func (d *Desk) engineFailed(ctx context.Context, m Message, op string, err error, r Replier) {
	if ctx.Err() != nil {
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		d.log.Warn(d.cfg.Platform+": engine timed out", "op", op, "conversation", m.Conversation, "user", m.User, "timeout", d.cfg.MessageTimeout, "err", err)
		r.Reply(ctx, Plain(MsgTimeout))
		return
	}
	var busy *ratelimit.BusyError
	if errors.As(err, &busy) {
		d.log.Warn(d.cfg.Platform+": too many expensive questions", "op", op, "conversation", m.Conversation, "user", m.User, "err", err)
		r.Reply(ctx, Plain(MsgBusy))
		return
	}
	if errors.Is(err, rag.ErrLimit) {
		// The question is over a limit of the engine: say which.
		r.Reply(ctx, Plain("问题超出限制，请拆分或缩短后再问（"+err.Error()+"）。"))
		return
	}
	d.log.Error(d.cfg.Platform+": engine failed", "op", op, "conversation", m.Conversation, "user", m.User, "err", err)
	r.Reply(ctx, Plain(MsgInternalError))
}

// RateLimitedUsers reports how many users the rate limiter tracks.
func (d *Desk) RateLimitedUsers() int { return d.limiter.Len() }

// Conversations reports how many conversations have history.
func (d *Desk) Conversations() int { return d.hist.Len() }
