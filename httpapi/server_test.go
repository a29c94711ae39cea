package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fazhi/httpapi"
	"fazhi/rag"
)

func TestAsk(t *testing.T) {
	eng := &fakeEngine{answer: yumenAnswer()}
	s := newTestServer(t, eng, httpapi.Config{})

	rec := postJSON(t, s, "/v1/ask", `{"question":"  2020年渔门镇调解了多少件矛盾纠纷？ ",
		"history":[{"role":"user","content":"渔门镇有哪些举措？"},{"role":"assistant","content":"……"}],
		"temperature": 0.2}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"answer", "found", "citations", "mode"} {
		if _, ok := got[key]; !ok {
			t.Errorf("answer JSON lacks %q: %s", key, rec.Body)
		}
	}
	ans := mustDecode[rag.Answer](t, rec.Body.Bytes())
	if ans.Answer != yumenAnswer().Answer || !ans.Found || len(ans.Citations) != 1 {
		t.Errorf("answer = %+v, want the engine's answer", ans)
	}
	c := ans.Citations[0]
	if c.Source == "" || c.Town != "渔门镇" || c.Year != 2020 || c.Quote == "" || c.Section == "" || c.Title == "" {
		t.Errorf("citation = %+v, want all fields", c)
	}
	q := eng.lastQuestion(t)
	if q.Text != "2020年渔门镇调解了多少件矛盾纠纷？" {
		t.Errorf("engine got question %q, want it trimmed", q.Text)
	}
	if len(q.History) != 2 || q.History[0].Role != "user" || q.History[1].Role != "assistant" {
		t.Errorf("engine got history %+v, want the two turns", q.History)
	}
}

func TestAskNotFoundHasEmptyCitations(t *testing.T) {
	eng := &fakeEngine{answer: rag.Answer{Answer: "报告中没有提到。", Found: false, Mode: "extractive"}}
	s := newTestServer(t, eng, httpapi.Config{})
	rec := postJSON(t, s, "/v1/ask", `{"question":"某镇的GDP是多少？"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if !strings.Contains(rec.Body.String(), `"citations":[]`) {
		t.Errorf("body %s: want citations as an empty array, not null", rec.Body)
	}
}

func TestAskRejectsBadRequests(t *testing.T) {
	tests := []struct {
		name   string
		body   []byte
		status int
		want   string
	}{
		{"malformed JSON", []byte(`{"question": "x"`), http.StatusBadRequest, "JSON"},
		{"not an object", []byte(`["x"]`), http.StatusBadRequest, "JSON"},
		{"wrong type", []byte(`{"question": 5}`), http.StatusBadRequest, "question"},
		{"empty question", []byte(`{"question": ""}`), http.StatusBadRequest, "question"},
		{"missing question", []byte(`{}`), http.StatusBadRequest, "question"},
		{"whitespace question", []byte(`{"question": " \n\t　"}`), http.StatusBadRequest, "question"},
		{"too long", []byte(`{"question": "` + strings.Repeat("法", httpapi.MaxQuestionRunes+1) + `"}`), http.StatusBadRequest, "question"},
		{"invalid UTF-8", append(append([]byte(`{"question": "渔门镇`), 0xff, 0xfe), []byte(`"}`)...), http.StatusBadRequest, "UTF-8"},
		{"bad history role", []byte(`{"question": "x", "history": [{"role": "system", "content": "y"}]}`), http.StatusBadRequest, "history[0].role"},
		{"trailing data", []byte(`{"question": "x"} {}`), http.StatusBadRequest, "JSON"},
		{"5 MB body", []byte(`{"question": "` + strings.Repeat("a", 5<<20) + `"}`), http.StatusRequestEntityTooLarge, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := &fakeEngine{answer: yumenAnswer()}
			s := newTestServer(t, eng, httpapi.Config{})
			rec := serve(t, s, http.MethodPost, "/v1/ask", bytes.NewReader(tt.body), nil)
			wantError(t, rec, tt.status, tt.want)
			if n := eng.questionCount(); n != 0 {
				t.Errorf("engine was called %d times; a bad request must not reach it", n)
			}
		})
	}
}

func TestAskMaxLengthQuestionAccepted(t *testing.T) {
	eng := &fakeEngine{answer: yumenAnswer()}
	s := newTestServer(t, eng, httpapi.Config{})
	rec := postJSON(t, s, "/v1/ask", `{"question": "`+strings.Repeat("法", httpapi.MaxQuestionRunes)+`"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 for a question of exactly %d characters", rec.Code, httpapi.MaxQuestionRunes)
	}
}

func TestEngineErrors(t *testing.T) {
	secret := errors.New("sqlite: database /var/lib/fazhi/secret.db is locked")
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"failure", secret, http.StatusInternalServerError},
		{"timeout", fmt.Errorf("ask: %w", context.DeadlineExceeded), http.StatusGatewayTimeout},
		{"engine says empty", fmt.Errorf("question: %w", rag.ErrEmptyQuestion), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logBuf bytes.Buffer
			eng := &fakeEngine{askErr: tt.err}
			s := httpapi.New(eng, httpapi.Config{RatePerMinute: -1}, slog.New(slog.NewTextHandler(&logBuf, nil)))
			rec := postJSON(t, s, "/v1/ask", `{"question":"x"}`)
			wantError(t, rec, tt.status)
			if strings.Contains(rec.Body.String(), "secret") {
				t.Errorf("response %s leaks the internal error", rec.Body)
			}
			if tt.err == secret && !strings.Contains(logBuf.String(), "secret.db") {
				t.Errorf("log %q lacks the error detail", logBuf.String())
			}
		})
	}
}

func TestClientGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	eng := &fakeEngine{askErr: fmt.Errorf("retrieve: %w", context.Canceled)}
	s := newTestServer(t, eng, httpapi.Config{})
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/ask", strings.NewReader(`{"question":"x"}`))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 499 {
		t.Errorf("status = %d for a client that went away, want 499 (not logged as a server failure)", rec.Code)
	}
}

func TestPanicRecovered(t *testing.T) {
	eng := &fakeEngine{panicOnAsk: true}
	s := newTestServer(t, eng, httpapi.Config{})
	rec := postJSON(t, s, "/v1/ask", `{"question":"x"}`)
	wantError(t, rec, http.StatusInternalServerError, "internal error")
	m := serve(t, s, http.MethodGet, "/metrics", nil, nil)
	if !strings.Contains(m.Body.String(), `fazhi_http_requests_total{route="/v1/ask",method="POST",code="500"} 1`) {
		t.Errorf("metrics do not count the recovered panic as a 500:\n%s", m.Body)
	}
}

func TestUnknownRoutesAreJSON(t *testing.T) {
	s := newTestServer(t, &fakeEngine{}, httpapi.Config{})
	tests := []struct {
		method, target string
		status         int
	}{
		{http.MethodGet, "/v1/nothing", http.StatusNotFound},
		{http.MethodGet, "/nothing.js", http.StatusNotFound},
		{http.MethodGet, "/index.html", http.StatusNotFound},
		{http.MethodPut, "/v1/ask", http.StatusMethodNotAllowed},
		{http.MethodGet, "/v1/ask", http.StatusNotFound}, // GET / (the page) owns every GET path
		{http.MethodPost, "/v1/stats", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rec := serve(t, s, tt.method, tt.target, nil, nil)
			wantError(t, rec, tt.status)
			if tt.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
		})
	}
}

func TestHealthAndStats(t *testing.T) {
	stats := rag.Stats{Reports: 5, Chunks: 120, Facts: 300, Embedder: "hash", Dim: 256}
	eng := &fakeEngine{stats: stats}
	s := newTestServer(t, eng, httpapi.Config{})

	if rec := serve(t, s, http.MethodGet, "/healthz", nil, nil); rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "ok" {
		t.Errorf("healthz = %d %q, want 200 ok", rec.Code, rec.Body)
	}
	if rec := serve(t, s, http.MethodGet, "/readyz", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("readyz = %d, want 200", rec.Code)
	}
	rec := serve(t, s, http.MethodGet, "/v1/stats", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("stats status = %d", rec.Code)
	}
	var raw map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"reports", "chunks", "facts", "embedder", "dim"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stats JSON %s lacks %q", rec.Body, k)
		}
	}
	if got := mustDecode[rag.Stats](t, rec.Body.Bytes()); got != stats {
		t.Errorf("stats = %+v, want %+v", got, stats)
	}

	eng.statsErr = errors.New("store closed")
	wantError(t, serve(t, s, http.MethodGet, "/readyz", nil, nil), http.StatusServiceUnavailable)
	wantError(t, serve(t, s, http.MethodGet, "/v1/stats", nil, nil), http.StatusInternalServerError)
}

func TestMetrics(t *testing.T) {
	eng := &fakeEngine{answer: yumenAnswer(), ingestRes: rag.IngestResult{Status: rag.StatusNew}}
	s := newTestServer(t, eng, httpapi.Config{AdminToken: "tok"})
	postJSON(t, s, "/v1/ask", `{"question":"a"}`)
	postJSON(t, s, "/v1/ask", `{"question":"b"}`)
	eng.answer = rag.Answer{Answer: "没有提到。"}
	postJSON(t, s, "/v1/ask", `{"question":"c"}`)
	postJSON(t, s, "/v1/ask", `{`)
	serve(t, s, http.MethodGet, "/v1/documents/x/../../etc/passwd", nil, nil)
	body, ct := multipartBody(t, "file", "r.txt", []byte("报告"))
	serve(t, s, http.MethodPost, "/v1/documents", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer tok"})
	s.CountIngested(4)

	rec := serve(t, s, http.MethodGet, "/metrics", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	text := rec.Body.String()
	for _, want := range []string{
		"# HELP fazhi_http_requests_total ",
		"# TYPE fazhi_http_requests_total counter",
		`fazhi_http_requests_total{route="/v1/ask",method="POST",code="200"} 3`,
		`fazhi_http_requests_total{route="/v1/ask",method="POST",code="400"} 1`,
		`fazhi_http_requests_total{route="/v1/documents",method="POST",code="201"} 1`,
		"# TYPE fazhi_http_request_duration_seconds histogram",
		`fazhi_http_request_duration_seconds_bucket{route="/v1/ask",le="+Inf"} 4`,
		`fazhi_http_request_duration_seconds_count{route="/v1/ask"} 4`,
		`fazhi_http_request_duration_seconds_sum{route="/v1/ask"} `,
		"# TYPE fazhi_answers_total counter",
		`fazhi_answers_total{found="true"} 2`,
		`fazhi_answers_total{found="false"} 1`,
		"# TYPE fazhi_reports_ingested_total counter",
		"fazhi_reports_ingested_total 5",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "passwd") || strings.Contains(text, "/x/") {
		t.Errorf("metrics use a raw path as a label:\n%s", text)
	}
	checkHistogramCumulative(t, text)
}

// checkHistogramCumulative verifies bucket counts never decrease within a
// route and end at the +Inf count.
func checkHistogramCumulative(t *testing.T, text string) {
	t.Helper()
	last := map[string]int{}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "fazhi_http_request_duration_seconds_bucket{") {
			continue
		}
		route := line[strings.Index(line, "route="):strings.Index(line, ",le=")]
		n, err := strconv.Atoi(line[strings.LastIndex(line, " ")+1:])
		if err != nil {
			t.Fatalf("bad bucket line %q", line)
		}
		if n < last[route] {
			t.Errorf("bucket counts decrease for %s at %q", route, line)
		}
		last[route] = n
	}
	if len(last) == 0 {
		t.Error("no histogram buckets written")
	}
}

func TestRateLimit(t *testing.T) {
	eng := &fakeEngine{answer: yumenAnswer()}
	s := httpapi.New(eng, httpapi.Config{RatePerMinute: 3}, nil)
	ask := func(remote string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/v1/ask", strings.NewReader(`{"question":"x"}`))
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	for i := range 3 {
		if rec := ask("192.0.2.1:1000"); rec.Code != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200 within the limit", i+1, rec.Code)
		}
	}
	rec := ask("192.0.2.1:1001") // same client, another port
	wantError(t, rec, http.StatusTooManyRequests)
	if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q, want a positive number of seconds", rec.Header().Get("Retry-After"))
	}
	if rec := ask("192.0.2.2:1000"); rec.Code != http.StatusOK {
		t.Errorf("another client: status %d, want 200", rec.Code)
	}
	// Health checks and the page are not limited.
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	req.RemoteAddr = "192.0.2.1:1000"
	hrec := httptest.NewRecorder()
	s.ServeHTTP(hrec, req)
	if hrec.Code != http.StatusOK {
		t.Errorf("healthz under rate limit: status %d, want 200", hrec.Code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newTestServer(t, &fakeEngine{}, httpapi.Config{})
	for _, target := range []string{"/", "/v1/stats", "/app.js"} {
		rec := serve(t, s, http.MethodGet, target, nil, nil)
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: Content-Security-Policy = %q, want default-src 'self'", target, csp)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: missing X-Content-Type-Options: nosniff", target)
		}
	}
}

func TestWebPage(t *testing.T) {
	s := newTestServer(t, &fakeEngine{}, httpapi.Config{})
	tests := []struct {
		target, contentType string
		contains            []string
	}{
		{"/", "text/html", []string{"<title>法治问答 fazhi</title>", `src="/app.js"`, `href="/style.css"`, "数据", "报告"}},
		{"/app.js", "javascript", []string{"/v1/ask", "textContent", "history"}},
		{"/style.css", "text/css", []string{"@media"}},
		{"/favicon.svg", "image/svg+xml", []string{"<svg"}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rec := serve(t, s, http.MethodGet, tt.target, nil, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, tt.contentType) {
				t.Errorf("Content-Type = %q, want %q", ct, tt.contentType)
			}
			for _, c := range tt.contains {
				if !strings.Contains(rec.Body.String(), c) {
					t.Errorf("body lacks %q", c)
				}
			}
			for _, bad := range []string{"http://", "https://", "innerHTML", "//cdn", "fonts.googleapis"} {
				if strings.Contains(rec.Body.String(), bad) && !(bad == "http://" && tt.target == "/favicon.svg") {
					t.Errorf("%s contains %q: the page must not load anything from elsewhere or use innerHTML", tt.target, bad)
				}
			}
		})
	}
}

func TestConcurrentAsks(t *testing.T) {
	eng := &fakeEngine{answer: yumenAnswer()}
	s := newTestServer(t, eng, httpapi.Config{})
	srv := httptest.NewServer(s)
	defer srv.Close()

	const clients, asks = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, clients*asks)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range asks {
				body := fmt.Sprintf(`{"question":"客户%d的第%d个问题"}`, c, i)
				resp, err := srv.Client().Post(srv.URL+"/v1/ask", "application/json", strings.NewReader(body))
				if err != nil {
					errs <- err
					continue
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("client %d ask %d: status %d: %s", c, i, resp.StatusCode, data)
					continue
				}
				var a rag.Answer
				if err := json.Unmarshal(data, &a); err != nil || a.Answer == "" {
					errs <- fmt.Errorf("client %d ask %d: bad answer %s: %v", c, i, data, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := eng.questionCount(); n != clients*asks {
		t.Errorf("engine answered %d questions, want %d", n, clients*asks)
	}
	rec := serve(t, s, http.MethodGet, "/metrics", nil, nil)
	want := fmt.Sprintf(`fazhi_answers_total{found="true"} %d`, clients*asks)
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %q", want)
	}
}

func TestRequestLogOmitsAuthorization(t *testing.T) {
	var logBuf bytes.Buffer
	eng := &fakeEngine{deleteErr: errors.New("disk on fire")}
	s := httpapi.New(eng, httpapi.Config{AdminToken: "s3cret-token", RatePerMinute: -1}, slog.New(slog.NewJSONHandler(&logBuf, nil)))
	serve(t, s, http.MethodDelete, "/v1/documents/a.txt", nil, map[string]string{"Authorization": "Bearer s3cret-token"})
	serve(t, s, http.MethodDelete, "/v1/documents/a.txt", nil, map[string]string{"Authorization": "Bearer wrong-token"})
	log := logBuf.String()
	if strings.Contains(log, "s3cret") || strings.Contains(log, "wrong-token") {
		t.Errorf("log contains a token:\n%s", log)
	}
	for _, want := range []string{`"method":"DELETE"`, `"route":"/v1/documents/{source...}"`, `"status":500`, `"status":401`, `"duration_ms"`} {
		if !strings.Contains(log, want) {
			t.Errorf("request log lacks %s:\n%s", want, log)
		}
	}
}

func TestNewHTTPServerTimeouts(t *testing.T) {
	srv := httpapi.NewHTTPServer(":0", http.NotFoundHandler())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("timeouts not set: %+v", srv)
	}
	if srv.WriteTimeout < 60e9 {
		t.Errorf("WriteTimeout = %v, too short for streamed answers", srv.WriteTimeout)
	}
}

// A request whose work outlives RequestTimeout is cancelled and answered
// 504 while the response can still be written.
func TestRequestTimeout(t *testing.T) {
	eng := &fakeEngine{answer: yumenAnswer(), waitForCancel: true}
	s := httpapi.New(eng, httpapi.Config{RatePerMinute: -1, RequestTimeout: 50 * time.Millisecond}, nil)
	rec := postJSON(t, s, "/v1/ask", `{"question":"渔门镇2020年调解了多少矛盾纠纷？"}`)
	wantError(t, rec, http.StatusGatewayTimeout)
	if !eng.sawCancel() {
		t.Error("the engine's context was not cancelled at the request timeout")
	}
}
