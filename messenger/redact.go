package messenger

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
)

// Redactor removes secrets (tokens, app secrets, keys) from text. Platform
// URLs may carry them (Telegram's ".../bot<token>/sendMessage"), and errors
// from net/http quote the URL, so everything that reaches a log goes
// through it. The zero Redactor removes nothing.
type Redactor struct {
	r *strings.Replacer
}

const redacted = "<redacted>"

// NewRedactor returns a Redactor of secrets, also in their URL-escaped
// forms. Empty secrets are ignored.
func NewRedactor(secrets ...string) Redactor {
	var pairs []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		pairs = append(pairs, s, redacted)
		for _, v := range []string{url.PathEscape(s), url.QueryEscape(s)} {
			if v != s {
				pairs = append(pairs, v, redacted)
			}
		}
	}
	return Redactor{r: strings.NewReplacer(pairs...)}
}

// String returns s without the secrets.
func (r Redactor) String(s string) string {
	if r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// redactedError hides the token in Error() but keeps the chain for
// errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Error returns err with the secrets removed from its text; errors.Is and
// errors.As still see the original chain.
func (r Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.String(err.Error()), err: err}
}

// RedactHandler returns a slog.Handler that removes r's secrets from the
// message and from every attribute before passing the record to inner.
func RedactHandler(inner slog.Handler, r Redactor) slog.Handler {
	return redactHandler{inner: inner, r: r}
}

type redactHandler struct {
	inner slog.Handler
	r     Redactor
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

// StripQuery removes the query from the URL an *url.Error quotes, where
// platforms put access tokens and session keys that change too often to
// be listed in a Redactor. Other errors are returned as they are.
func StripQuery(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u := ue.URL
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i] + "?<redacted>"
	}
	return &redactedError{msg: strings.Replace(err.Error(), ue.URL, u, 1), err: err}
}
