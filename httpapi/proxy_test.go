package httpapi_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"fazhi/httpapi"
	"fazhi/internal/ratelimit"
	"fazhi/rag"
)

// askFrom posts a question to s as if from remote, with extra headers.
func askFrom(s http.Handler, remote string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/v1/ask", strings.NewReader(`{"question":"x"}`))
	req.RemoteAddr = remote
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// refusals reads fazhi_http_refusals_total by reason from /metrics.
func refusals(t *testing.T, s http.Handler) map[string]int {
	t.Helper()
	rec := serve(t, s, http.MethodGet, "/metrics", nil, nil)
	got := map[string]int{}
	for line := range strings.Lines(rec.Body.String()) {
		rest, ok := strings.CutPrefix(line, `fazhi_http_refusals_total{reason="`)
		if !ok {
			continue
		}
		reason, count, _ := strings.Cut(strings.TrimSpace(rest), `"} `)
		n, err := strconv.Atoi(count)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		got[reason] = n
	}
	return got
}

// TestRateLimitBehindProxy: behind a trusted proxy each forwarded client
// has its own budget; a client cannot pick another budget by sending
// the header itself; local tools are not limited; refusals are counted.
func TestRateLimitBehindProxy(t *testing.T) {
	eng := &fakeEngine{answer: yumenAnswer()}
	s := httpapi.New(eng, httpapi.Config{
		RatePerMinute:  3,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	}, nil)
	const proxy = "127.0.0.1:40000"
	via := func(client string) map[string]string { return map[string]string{"X-Forwarded-For": client} }
	for i := range 3 {
		for _, c := range []string{"198.51.100.1", "198.51.100.2"} {
			if rec := askFrom(s, proxy, via(c)); rec.Code != http.StatusOK {
				t.Fatalf("request %d of %s through the proxy: status %d, want 200", i+1, c, rec.Code)
			}
		}
	}
	rec := askFrom(s, proxy, via("198.51.100.1"))
	wantError(t, rec, http.StatusTooManyRequests, "rate limit")
	if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 20 {
		t.Errorf("Retry-After = %q, want the seconds until a token comes back (20 at 3 a minute)", rec.Header().Get("Retry-After"))
	}
	if rec := askFrom(s, proxy, via("198.51.100.3")); rec.Code != http.StatusOK {
		t.Errorf("a third client through the proxy: status %d, want 200", rec.Code)
	}
	// A direct client forging the header spends its own budget.
	for i := range 3 {
		if rec := askFrom(s, "192.0.2.9:1000", via(fmt.Sprintf("203.0.113.%d", i))); rec.Code != http.StatusOK {
			t.Fatalf("direct request %d: status %d, want 200", i+1, rec.Code)
		}
	}
	if rec := askFrom(s, "192.0.2.9:1000", via("203.0.113.99")); rec.Code != http.StatusTooManyRequests {
		t.Errorf("a direct client past its budget with a forged X-Forwarded-For: status %d, want 429", rec.Code)
	}
	// Local tools: loopback, no forwarding header.
	for i := range 10 {
		if rec := askFrom(s, "127.0.0.1:50000", nil); rec.Code != http.StatusOK {
			t.Fatalf("local request %d: status %d, want 200 (local tools are not limited)", i+1, rec.Code)
		}
	}
	if got := refusals(t, s); got["rate_limit"] != 2 || got["busy"] != 0 || got["api_key"] != 0 {
		t.Errorf("refusals = %v, want rate_limit 2 and the other reasons at 0", got)
	}

	limited := httpapi.New(eng, httpapi.Config{RatePerMinute: 3, LimitLocal: true}, nil)
	for range 3 {
		askFrom(limited, "127.0.0.1:50000", nil)
	}
	if rec := askFrom(limited, "127.0.0.1:50000", nil); rec.Code != http.StatusTooManyRequests {
		t.Errorf("LimitLocal: the fourth local request got %d, want 429", rec.Code)
	}
}

// TestAPIKeys: a key is its own client with its own limit, an unknown key
// is refused, and a required key must be sent.
func TestAPIKeys(t *testing.T) {
	eng := &fakeEngine{answer: yumenAnswer()}
	keys := map[string]string{"office-key-0123456789": "office", "webui-key-0123456789": "webui"}
	s := httpapi.New(eng, httpapi.Config{RatePerMinute: 1, KeyRatePerMinute: 2, APIKeys: keys}, nil)
	bearer := func(k string) map[string]string { return map[string]string{"Authorization": "Bearer " + k} }
	// Two clients at two addresses share the office key's budget of 2.
	for i, remote := range []string{"192.0.2.1:1", "192.0.2.2:1"} {
		if rec := askFrom(s, remote, bearer("office-key-0123456789")); rec.Code != http.StatusOK {
			t.Fatalf("office key, request %d: status %d, want 200", i+1, rec.Code)
		}
	}
	wantError(t, askFrom(s, "192.0.2.3:1", bearer("office-key-0123456789")), http.StatusTooManyRequests)
	if rec := askFrom(s, "192.0.2.1:1", bearer("webui-key-0123456789")); rec.Code != http.StatusOK {
		t.Errorf("another key: status %d, want 200", rec.Code)
	}
	// Without a key, the address's budget (1 a minute) is untouched by
	// the keyed requests from it.
	if rec := askFrom(s, "192.0.2.1:1", nil); rec.Code != http.StatusOK {
		t.Errorf("no key, from an address that used keys: status %d, want 200", rec.Code)
	}
	rec := askFrom(s, "192.0.2.1:1", bearer("office-key-0123456780"))
	wantError(t, rec, http.StatusUnauthorized, "invalid API key")
	if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without a WWW-Authenticate: Bearer challenge")
	}

	required := httpapi.New(eng, httpapi.Config{APIKeys: keys, RequireAPIKey: true}, nil)
	wantError(t, askFrom(required, "127.0.0.1:1", nil), http.StatusUnauthorized, "API key is required")
	if rec := askFrom(required, "127.0.0.1:1", bearer("webui-key-0123456789")); rec.Code != http.StatusOK {
		t.Errorf("required key sent: status %d, want 200", rec.Code)
	}
	if rec := serve(t, required, http.MethodGet, "/healthz", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("/healthz with keys required: status %d, want 200 (only /v1/ needs a key)", rec.Code)
	}
	if got := refusals(t, required); got["api_key"] != 1 {
		t.Errorf("refusals = %v, want api_key 1", got)
	}
}

// TestBusyIsTooManyRequests: the Engine's refusal of an expensive
// question (its gate is full) is a 429 with Retry-After, counted as busy,
// for a plain answer and a stream alike.
func TestBusyIsTooManyRequests(t *testing.T) {
	busy := fmt.Errorf("expensive question: %w", &ratelimit.BusyError{QueueFull: true, RetryAfter: 30 * time.Second})
	s := newTestServer(t, &fakeEngine{askErr: busy}, httpapi.Config{})
	for _, c := range []struct{ path, body string }{
		{"/v1/ask", `{"question":"所有镇一共调解多少件？"}`},
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"所有镇一共调解多少件？"}]}`},
		{"/v1/chat/completions", `{"stream":true,"messages":[{"role":"user","content":"所有镇一共调解多少件？"}]}`},
	} {
		rec := postJSON(t, s, c.path, c.body)
		wantError(t, rec, http.StatusTooManyRequests, "too many expensive questions")
		if got := rec.Header().Get("Retry-After"); got != "30" {
			t.Errorf("%s: Retry-After = %q, want 30", c.path, got)
		}
	}
	if got := refusals(t, s); got["busy"] != 3 {
		t.Errorf("refusals = %v, want busy 3", got)
	}
}

// TestExpensiveGauge: /metrics shows the expensive questions running and
// queued, as the gate reports them.
func TestExpensiveGauge(t *testing.T) {
	gate := ratelimit.NewGate(1, 4, time.Minute)
	release, err := gate.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	go func() {
		defer close(waiting)
		if r, err := gate.Enter(context.Background()); err == nil {
			r()
		}
	}()
	s := newTestServer(t, &fakeEngine{}, httpapi.Config{ExpensiveInUse: gate.InUse})
	deadline := time.Now().Add(5 * time.Second)
	for {
		body := serve(t, s, http.MethodGet, "/metrics", nil, nil).Body.String()
		if strings.Contains(body, `fazhi_expensive_questions{state="running"} 1`) &&
			strings.Contains(body, `fazhi_expensive_questions{state="queued"} 1`) &&
			strings.Contains(body, "# TYPE fazhi_expensive_questions gauge") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics does not show 1 running and 1 queued:\n%s", body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	release()
	<-waiting
}

// slowEngine answers AskStream only when released, streaming nothing
// before (as the LLM chain holds its answer back for the numeric guard).
type slowEngine struct {
	*fakeEngine
	release chan struct{}
}

func (e *slowEngine) AskStream(ctx context.Context, q rag.Question, onChunk func(string) error) (rag.Answer, error) {
	select {
	case <-e.release:
	case <-ctx.Done():
		return rag.Answer{}, ctx.Err()
	}
	a := yumenAnswer()
	return a, onChunk(a.Answer)
}

// openStream posts a streamed chat question to srv and returns the
// response.
func openStream(t *testing.T, srv *httptest.Server) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"stream":true,"messages":[{"role":"user","content":"x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestStreamHeartbeat: while the answer is prepared the stream is open,
// with the headers proxies need, and a comment line arrives every
// interval; then the answer and [DONE].
func TestStreamHeartbeat(t *testing.T) {
	eng := &slowEngine{fakeEngine: &fakeEngine{}, release: make(chan struct{})}
	const beat = 30 * time.Millisecond
	srv := httptest.NewServer(newTestServer(t, eng, httpapi.Config{Heartbeat: beat}))
	defer srv.Close()
	start := time.Now()
	resp := openStream(t, srv)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, Content-Type %q; want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for k, v := range map[string]string{"X-Accel-Buffering": "no", "Cache-Control": "no-cache"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	br := bufio.NewReader(resp.Body)
	beats := 0
	for beats < 3 {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream while the answer is prepared: %v", err)
		}
		switch line = strings.TrimSpace(line); {
		case line == ": keep-alive":
			beats++
		case line == "", strings.Contains(line, `"role":"assistant"`):
		default:
			t.Fatalf("line %q before the answer, want heartbeats and the role event", line)
		}
	}
	if d := time.Since(start); d < 3*beat {
		t.Errorf("3 heartbeats within %v, want one every %v", d, beat)
	}
	close(eng.release)
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rest), "368") || !strings.HasSuffix(strings.TrimSpace(string(rest)), "data: [DONE]") {
		t.Errorf("after the heartbeats: %s, want the answer and [DONE]", rest)
	}
}

// TestStreamEndsOnShutdown: a stream still waiting for its answer when
// the server shuts down ends, after the grace, with an error event and
// [DONE]; one that has not started yet gets a 503.
func TestStreamEndsOnShutdown(t *testing.T) {
	eng := &slowEngine{fakeEngine: &fakeEngine{}, release: make(chan struct{})}
	api := newTestServer(t, eng, httpapi.Config{Heartbeat: 20 * time.Millisecond, ShutdownGrace: 50 * time.Millisecond})
	srv := httptest.NewServer(api)
	defer srv.Close()
	resp := openStream(t, srv)
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, `"role":"assistant"`) {
		t.Fatalf("first line %q, %v: want the role event", line, err)
	}
	start := time.Now()
	api.Shutdown()
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatalf("the stream did not end cleanly: %v", err)
	}
	events := strings.TrimSpace(string(rest))
	if !strings.Contains(events, "shutting down") || !strings.HasSuffix(events, "data: [DONE]") {
		t.Errorf("after Shutdown: %s, want an error event saying so and [DONE]", events)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("ended %v after Shutdown, before the grace of 50ms", d)
	}

	quiet := newTestServer(t, eng, httpapi.Config{Heartbeat: time.Hour, ShutdownGrace: 20 * time.Millisecond})
	quiet.Shutdown()
	rec := postJSON(t, quiet, "/v1/chat/completions", `{"stream":true,"messages":[{"role":"user","content":"x"}]}`)
	wantError(t, rec, http.StatusServiceUnavailable, "shutting down")
}
