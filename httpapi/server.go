// Package httpapi is fazhi's HTTP front end: a small JSON API over the
// question-answering Engine, an OpenAI-compatible chat endpoint so chat
// clients (Open WebUI, ChatBox, LobeChat) can use fazhi as a model, a
// Prometheus metrics page, and an embedded single-page web chat.
//
// The contract: handlers are thin (decode, call the Engine, encode); every
// error is JSON {"error": "..."}; mistakes in a request are answered with a
// 4xx status and never a 5xx; Engine failures become a 500 with a generic
// message while the detail goes to the log. Write endpoints need the admin
// bearer token. Nothing here touches the disk: uploads are read into memory
// (bounded) and handed to the Engine under a sanitised base name.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"fazhi/ingest"
	"fazhi/internal/ratelimit"
	"fazhi/rag"
)

// Engine is what the HTTP API needs from the question-answering core
// (rag.Engine satisfies it).
type Engine interface {
	Ask(ctx context.Context, q rag.Question) (rag.Answer, error)
	AskStream(ctx context.Context, q rag.Question, onChunk func(string) error) (rag.Answer, error)
	Reports(ctx context.Context) ([]rag.ReportInfo, error)
	Facts(ctx context.Context, f rag.FactFilter) ([]ingest.Fact, error)
	Stats(ctx context.Context) (rag.Stats, error)
	IngestFile(ctx context.Context, name string, data []byte) (rag.IngestResult, error)
	Delete(ctx context.Context, source string) error
	Document(ctx context.Context, source, quote string) (rag.Document, error)
	MetricTable(ctx context.Context, metric, town string, year int) (rag.Table, error)
}

// Config tunes a Server. The zero value is usable: writes are disabled,
// no proxy is trusted, no API key is known and every limit takes its
// default.
type Config struct {
	AdminToken     string // bearer token for write endpoints; "" = writes disabled (403)
	MaxBodyBytes   int64  // JSON bodies, default 1 MiB (413 beyond)
	MaxUploadBytes int64  // multipart uploads, default 50 MiB
	RatePerMinute  int    // per-client request limit on /v1/, default 60; 0 = default, negative = off
	ModelName      string // for /v1/models, default "fazhi"

	// TrustedProxies are the peers whose X-Forwarded-For (or X-Real-IP)
	// names the client; other peers' forwarding headers are ignored.
	TrustedProxies []netip.Prefix
	// LimitLocal applies the per-client limit to local tools too:
	// loopback peers that send no forwarding header, unlimited otherwise.
	LimitLocal bool
	// APIKeys maps reader API keys (Authorization: Bearer KEY) to their
	// names; a request with a key is that key's client.
	APIKeys map[string]string
	// RequireAPIKey refuses /v1/ requests without a known key (401).
	RequireAPIKey bool
	// KeyRatePerMinute is each API key's request limit, default 600 (a
	// key is often a chat front end that several people share); 0 =
	// default, negative = off.
	KeyRatePerMinute int
	// Heartbeat is the interval of the comment lines a stream sends while
	// an answer is being prepared, default 10 s.
	Heartbeat time.Duration
	// ExpensiveInUse, if set, reports the expensive questions being
	// answered and waiting for a turn, for /metrics.
	ExpensiveInUse func() (running, queued int)
	// ShutdownGrace is how long, once Shutdown is called, a stream still
	// waiting for its answer goes on before it ends with an error event,
	// default 5 s.
	ShutdownGrace time.Duration
	// RequestTimeout bounds a request's work: past it the work is
	// cancelled and the client gets 504 (a stream, an error event),
	// default DefaultRequestTimeout, a little under WriteTimeout, after
	// which nothing could be written anyway.
	RequestTimeout time.Duration
}

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxBodyBytes     = 1 << 20
	DefaultMaxUploadBytes   = 50 << 20
	DefaultRatePerMinute    = 60
	DefaultKeyRatePerMinute = 600
	DefaultModelName        = "fazhi"
	DefaultHeartbeat        = 10 * time.Second
	DefaultShutdownGrace    = 5 * time.Second
	DefaultRequestTimeout   = WriteTimeout - 5*time.Second
)

// WriteTimeout is how long NewHTTPServer's server has to write a
// response, streams included.
const WriteTimeout = 2 * time.Minute

// The reasons of fazhi_http_refusals_total.
const (
	reasonRate   = "rate_limit" // the client's budget is spent
	reasonBusy   = "busy"       // too many expensive questions at once
	reasonAPIKey = "api_key"    // a missing or unknown API key
)

// MaxQuestionRunes is the longest question (in characters) the API accepts.
const MaxQuestionRunes = rag.MaxQuestionRunes

// contentSecurityPolicy keeps the web page from loading or sending anything
// anywhere but this server.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Server is the HTTP handler for the whole API and the web page.
type Server struct {
	eng     Engine
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	limiter *rateLimiter // per address; nil when off
	keyLim  *rateLimiter // per API key; nil when off
	started time.Time

	closing  chan struct{} // closed by Shutdown
	shutOnce sync.Once
}

// New returns a Server calling eng. A nil log discards log output.
func New(eng Engine, cfg Config, log *slog.Logger) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = DefaultRatePerMinute
	}
	if cfg.KeyRatePerMinute == 0 {
		cfg.KeyRatePerMinute = DefaultKeyRatePerMinute
	}
	if cfg.ModelName == "" {
		cfg.ModelName = DefaultModelName
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		eng:     eng,
		cfg:     cfg,
		log:     log,
		mux:     http.NewServeMux(),
		metrics: newMetrics(),
		started: time.Now(),
		closing: make(chan struct{}),
	}
	if cfg.RatePerMinute > 0 {
		s.limiter = newRateLimiter(cfg.RatePerMinute, maxRateClients, time.Now)
	}
	if cfg.KeyRatePerMinute > 0 {
		s.keyLim = newRateLimiter(cfg.KeyRatePerMinute, maxRateClients, time.Now)
	}
	s.routes()
	return s
}

// NewHTTPServer wraps h in an http.Server with timeouts suited to this API:
// slow clients cannot hold connections open forever, while answers streamed
// over server-sent events still have two minutes to finish.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // uploads up to MaxUploadBytes
		WriteTimeout:      WriteTimeout,    // covers SSE streams of reasonable length
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// Shutdown tells the streams in progress that the server is stopping:
// each still waiting for its answer gets ShutdownGrace more, then ends
// with an error event and [DONE] rather than being cut. Call it when the
// http.Server shuts down (http.Server.RegisterOnShutdown); it returns at
// once and may be called more than once.
func (s *Server) Shutdown() {
	s.shutOnce.Do(func() { close(s.closing) })
}

// CountIngested adds n reports ingested outside the HTTP API (for example
// at start-up or by the CLI) to the fazhi_reports_ingested_total metric.
func (s *Server) CountIngested(n int) {
	if n > 0 {
		s.metrics.addIngested(n)
	}
}

func (s *Server) routes() {
	s.mux.HandleFunc("POST /v1/ask", s.handleAsk)
	s.mux.HandleFunc("POST /v1/chat/completions", s.handleChatCompletions)
	s.mux.HandleFunc("GET /v1/models", s.handleModels)
	s.mux.HandleFunc("GET /v1/documents", s.handleListDocuments)
	s.mux.HandleFunc("POST /v1/documents", s.requireAdmin(s.handleUploadDocument))
	s.mux.HandleFunc("DELETE /v1/documents/{source...}", s.requireAdmin(s.handleDeleteDocument))
	s.mux.HandleFunc("GET /v1/documents/{source...}", s.handleGetDocument)
	s.mux.HandleFunc("GET /v1/facts", s.handleFacts)
	s.mux.HandleFunc("GET /v1/table", s.handleTable)
	s.mux.HandleFunc("GET /v1/table/metrics", s.handleTableMetrics)
	s.mux.HandleFunc("GET /v1/stats", s.handleStats)
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.HandleFunc("GET /readyz", s.handleReadyz)
	s.mux.HandleFunc("GET /metrics", s.handleMetrics)
	s.mux.HandleFunc("GET /", s.handleWeb)
}

// ServeHTTP routes r, applying (in order) panic recovery, security headers,
// on /v1/ routes the API key check and the per-client rate limit, metrics
// and the request log.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// The work stops when its response could no longer be written: the
	// connection's write deadline would cut it, and the engine would go on
	// for nobody.
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	rec := &statusRecorder{ResponseWriter: w}
	var who client
	_, pattern := s.mux.Handler(r)
	route := routeLabel(pattern)

	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")

	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "route", route,
				"panic", v, "stack", string(debug.Stack()))
			if !rec.wroteHeader {
				writeError(rec, http.StatusInternalServerError, "internal error")
			} else {
				rec.status = http.StatusInternalServerError
			}
		}
		d := time.Since(start)
		s.metrics.observeRequest(route, r.Method, rec.code(), d)
		s.log.Info("http request", "method", r.Method, "route", route, "status", rec.code(),
			"duration_ms", float64(d.Microseconds())/1000, "bytes", rec.bytes,
			"remote", remoteAddr(r).String(), "client", who.id)
	}()

	if strings.HasPrefix(r.URL.Path, "/v1/") {
		var refused *refusal
		if who, refused = s.identify(r); refused != nil {
			s.metrics.refuse(refused.reason)
			if refused.status == http.StatusUnauthorized {
				rec.Header().Set("WWW-Authenticate", `Bearer realm="fazhi"`)
			}
			writeError(rec, refused.status, refused.msg)
			return
		}
		if ok, retry := s.allow(who); !ok {
			s.tooMany(rec, reasonRate, retry, "rate limit exceeded: try again later")
			return
		}
	}
	if pattern == "" {
		// The mux answers unmatched requests (404, 405) in plain text;
		// rewrite those bodies as JSON errors.
		s.mux.ServeHTTP(&jsonErrorWriter{statusRecorder: rec}, r)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// routeLabel turns a ServeMux pattern into the route label used in metrics
// and logs: the path part of the pattern, or "unmatched".
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		return pattern[i+1:]
	}
	return pattern
}

// allow takes a token from who's budget: its key's or its address's.
// Local tools are not limited unless LimitLocal says so; nor is the
// admin.
func (s *Server) allow(who client) (bool, time.Duration) {
	switch {
	case who.id == "admin":
		return true, 0
	case who.key:
		if s.keyLim == nil {
			return true, 0
		}
		return s.keyLim.allow(who.id)
	case who.local && !s.cfg.LimitLocal, s.limiter == nil:
		return true, 0
	}
	return s.limiter.allow(who.id)
}

// tooMany refuses with 429, a Retry-After of whole seconds (at least
// one) and a count under reason.
func (s *Server) tooMany(w http.ResponseWriter, reason string, retry time.Duration, msg string) {
	s.metrics.refuse(reason)
	secs := int(retry.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, http.StatusTooManyRequests, msg)
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	bytes       int64
}

func (w *statusRecorder) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status = code
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush).
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// jsonErrorWriter replaces the plain-text body of an error response with a
// JSON error, keeping the status and headers such as Allow.
type jsonErrorWriter struct {
	*statusRecorder
	swallow bool
}

func (w *jsonErrorWriter) WriteHeader(code int) {
	if code < 400 || w.wroteHeader {
		w.statusRecorder.WriteHeader(code)
		return
	}
	w.swallow = true
	writeError(w.statusRecorder, code, strings.ToLower(http.StatusText(code)))
}

func (w *jsonErrorWriter) Write(p []byte) (int, error) {
	if w.swallow {
		return len(p), nil
	}
	return w.statusRecorder.Write(p)
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON encodes v as the response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may be gone; nothing left to do
}

// writeError sends {"error": msg} with the given status.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Del("Content-Disposition")
	writeJSON(w, status, errorBody{Error: msg})
}

// engineError translates an Engine failure into a response: a refusal of
// the gate for expensive questions is a 429, an empty question (should
// validation here miss one) is the client's, cancellation and timeouts
// get their own statuses, everything else a generic 500 whose detail is
// logged only.
func (s *Server) engineError(w http.ResponseWriter, r *http.Request, op string, err error) {
	var busy *ratelimit.BusyError
	switch {
	case errors.Is(r.Context().Err(), context.Canceled):
		// The client went away, which canceled the work: whatever error
		// that surfaced as (a driver's "interrupted", a model client's
		// wrapped cancel), it is no server fault. The status is for the
		// log and metrics.
		s.log.Info("client closed request", "op", op, "err", err)
		writeError(w, statusClientClosed, "request canceled")
	case errors.As(err, &busy):
		s.log.Warn("too many expensive questions", "op", op, "err", err)
		s.tooMany(w, reasonBusy, busy.RetryAfter, "too many expensive questions at once: try again later")
	case errors.Is(err, rag.ErrEmptyQuestion):
		writeError(w, http.StatusBadRequest, "question: must not be empty")
	case errors.Is(err, rag.ErrLimit):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(r.Context().Err(), context.DeadlineExceeded):
		s.log.Warn("engine timed out", "op", op, "err", err)
		writeError(w, http.StatusGatewayTimeout, "the request timed out")
	default:
		s.log.Error("engine failed", "op", op, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

// statusClientClosed is nginx's non-standard status for a request whose
// client disconnected before the response was ready.
const statusClientClosed = 499

// readBody reads a request body of at most limit bytes. It writes the error
// response itself (413 when too large, 400 otherwise) and reports ok=false.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) (data []byte, ok bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge,
				"request body too large (limit "+strconv.FormatInt(tooBig.Limit, 10)+" bytes)")
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "could not read request body")
		return nil, false
	}
	return data, true
}
