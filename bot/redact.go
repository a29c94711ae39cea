package bot

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
)

// redactor removes the bot token from text. Bot API URLs carry the token in
// their path (".../bot<token>/sendMessage", ".../file/bot<token>/..."), and
// errors from net/http quote the URL, so everything that reaches a log goes
// through it.
type redactor struct {
	r *strings.Replacer
}

const redacted = "<redacted>"

func newRedactor(token string) redactor {
	pairs := []string{token, redacted}
	for _, v := range []string{url.PathEscape(token), url.QueryEscape(token)} {
		if v != token {
			pairs = append(pairs, v, redacted)
		}
	}
	return redactor{r: strings.NewReplacer(pairs...)}
}

func (r redactor) String(s string) string { return r.r.Replace(s) }

// redactedError hides the token in Error() but keeps the chain for
// errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (r redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.String(err.Error()), err: err}
}

// redactHandler is a slog.Handler that removes the token from the message
// and from every attribute before passing the record on.
type redactHandler struct {
	inner slog.Handler
	r     redactor
}

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return redactHandler{inner: h.inner.WithAttrs(clean), r: h.r}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{inner: h.inner.WithGroup(name), r: h.r}
}

func (h redactHandler) attr(a slog.Attr) slog.Attr {
	a.Key = h.r.String(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(h.r.String(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		a.Value = slog.GroupValue(clean...)
	case slog.KindAny:
		// Errors, Stringers and anything else may print the token: log
		// their text form instead.
		a.Value = slog.StringValue(h.r.String(v.String()))
	default:
		a.Value = v
	}
	return a
}
