package bot

import (
	"context"
	"errors"
	"fazhi/messenger"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// typingEvery is how often the "typing" action is renewed while a reply is
// being prepared; Telegram shows it for about five seconds.
const typingEvery = 4 * time.Second

// retryPolicy bounds how sendMessage is retried after 429 and 5xx replies.
type retryPolicy struct {
	attempts int           // tries in all, the first included
	base     time.Duration // first backoff after a 5xx; doubles each time
	maxWait  time.Duration // a retry_after longer than this is not waited for
}

var defaultRetry = retryPolicy{attempts: 4, base: 500 * time.Millisecond, maxWait: 30 * time.Second}

// serverError is an HTTP 5xx from the Bot API server. The library does not
// type these, so statusClient turns them into this error before it parses
// the body.
type serverError struct {
	status int
}

func (e *serverError) Error() string {
	return fmt.Sprintf("bot api server error: HTTP %d", e.status)
}

// statusClient is the library's HttpClient seam: it fails 5xx responses
// with *serverError, so that the retry logic can recognise them.
type statusClient struct {
	c *http.Client
}

func (s statusClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := s.c.Do(r)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 500 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		return nil, &serverError{status: resp.StatusCode}
	}
	return resp, nil
}

// retryDelay says whether err is worth retrying and after how long.
func (p retryPolicy) retryDelay(err error, attempt int) (time.Duration, bool) {
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		d := time.Duration(tooMany.RetryAfter) * time.Second
		if d <= 0 {
			d = p.base << (attempt - 1)
		}
		return d, d <= p.maxWait
	}
	var srv *serverError
	if errors.As(err, &srv) {
		return p.base << (attempt - 1), true
	}
	return 0, false
}

// withRetry runs call until it succeeds, fails for good, runs out of
// attempts or ctx is done.
func (b *Bot) withRetry(ctx context.Context, method string, call func() error) error {
	for attempt := 1; ; attempt++ {
		err := call()
		if err == nil {
			return nil
		}
		wait, ok := b.retry.retryDelay(err, attempt)
		if !ok || attempt >= b.retry.attempts {
			return err
		}
		b.log.Warn("telegram: retrying", "method", method, "attempt", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (while waiting to retry after: %w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// reply sends spans to m's chat as one or more HTML messages; in groups the
// first one replies to m. Failures are logged: there is no one to tell.
func (b *Bot) reply(ctx context.Context, m *models.Message, spans ...messenger.Span) {
	for i, text := range messenger.HTML.Render(spans, maxMessageLen) {
		params := &tgbot.SendMessageParams{
			ChatID:             m.Chat.ID,
			Text:               text,
			ParseMode:          models.ParseModeHTML,
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()},
		}
		if m.IsTopicMessage {
			params.MessageThreadID = m.MessageThreadID
		}
		if i == 0 && m.Chat.Type != models.ChatTypePrivate {
			params.ReplyParameters = &models.ReplyParameters{MessageID: m.ID, AllowSendingWithoutReply: true}
		}
		err := b.withRetry(ctx, "sendMessage", func() error {
			_, err := b.tg.SendMessage(ctx, params)
			return err
		})
		if err != nil {
			level := slog.LevelError
			if ctx.Err() != nil {
				level = slog.LevelDebug // shutting down
			}
			b.log.Log(ctx, level, "telegram: send message failed", "chat", m.Chat.ID, "part", i+1, "err", err)
			return
		}
	}
}

// replyText sends plain text.
func (b *Bot) replyText(ctx context.Context, m *models.Message, text string) {
	b.reply(ctx, m, messenger.Plain(text))
}

// typing shows "typing" in m's chat until the returned stop is called. The
// first action is sent before typing returns; stop waits for the renewing
// goroutine to end.
func (b *Bot) typing(ctx context.Context, m *models.Message) (stop func()) {
	send := func(ctx context.Context) {
		params := &tgbot.SendChatActionParams{ChatID: m.Chat.ID, Action: models.ChatActionTyping}
		if m.IsTopicMessage {
			params.MessageThreadID = m.MessageThreadID
		}
		if _, err := b.tg.SendChatAction(ctx, params); err != nil && ctx.Err() == nil {
			b.log.Debug("telegram: chat action failed", "chat", m.Chat.ID, "err", err)
		}
	}
	send(ctx)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(typingEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				send(ctx)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
