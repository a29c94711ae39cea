package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fazhi/httpapi"
	"fazhi/rag"
)

// A history over rag.MaxHistoryRunes is refused with a 400 naming the
// field, on both ask endpoints, before the engine is called.
func TestHistoryTooLong(t *testing.T) {
	long := strings.Repeat("渔门镇调解了多少矛盾纠纷", rag.MaxHistoryRunes/12+1)
	turns, _ := json.Marshal([]rag.Turn{{Role: "user", Content: long}, {Role: "assistant", Content: "368件"}})
	msgs, _ := json.Marshal([]map[string]string{{"role": "user", "content": long}, {"role": "assistant", "content": "368件"}, {"role": "user", "content": "那城关镇呢？"}})
	for _, tc := range []struct{ target, body string }{
		{"/v1/ask", `{"question":"那城关镇呢？","history":` + string(turns) + `}`},
		{"/v1/chat/completions", `{"model":"fazhi","messages":` + string(msgs) + `}`},
	} {
		t.Run(tc.target, func(t *testing.T) {
			eng := &fakeEngine{answer: yumenAnswer()}
			s := newTestServer(t, eng, httpapi.Config{MaxBodyBytes: 4 << 20})
			wantError(t, postJSON(t, s, tc.target, tc.body), http.StatusBadRequest, "history", "too long")
			if len(eng.questions) != 0 {
				t.Errorf("engine asked %d questions, want none", len(eng.questions))
			}
		})
	}
	t.Run("at the limit", func(t *testing.T) {
		eng := &fakeEngine{answer: yumenAnswer()}
		s := newTestServer(t, eng, httpapi.Config{MaxBodyBytes: 4 << 20})
		turns, _ := json.Marshal([]rag.Turn{{Role: "user", Content: strings.Repeat("法", rag.MaxHistoryRunes)}})
		if rec := postJSON(t, s, "/v1/ask", `{"question":"那城关镇呢？","history":`+string(turns)+`}`); rec.Code != http.StatusOK {
			t.Errorf("status = %d, want 200 for a history of exactly %d characters", rec.Code, rag.MaxHistoryRunes)
		}
	})
}

// The engine's limits (a question in too many parts) are a 400 with the
// engine's words.
func TestEngineLimitIs400(t *testing.T) {
	eng := &fakeEngine{askErr: &rag.LimitError{What: "question", Limit: rag.MaxQuestionParts, Unit: "parts"}}
	s := newTestServer(t, eng, httpapi.Config{})
	wantError(t, postJSON(t, s, "/v1/ask", `{"question":"x"}`), http.StatusBadRequest, "too many things")
}

// A client that disconnects canceled the work; whatever error that came
// back as, it is logged and counted as 499 "client closed", not a 500.
func TestClientClosedWhateverTheError(t *testing.T) {
	for _, err := range []error{
		errors.New("sqlite: interrupted (9)"), // a driver's own word for a canceled query
		context.Canceled,
	} {
		t.Run(err.Error(), func(t *testing.T) {
			var logBuf bytes.Buffer
			eng := &fakeEngine{askErr: err}
			s := httpapi.New(eng, httpapi.Config{RatePerMinute: -1}, slog.New(slog.NewTextHandler(&logBuf, nil)))
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/ask", strings.NewReader(`{"question":"x"}`))
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != 499 {
				t.Errorf("status = %d, want 499", rec.Code)
			}
			if !strings.Contains(logBuf.String(), "client closed") || strings.Contains(logBuf.String(), "level=ERROR") {
				t.Errorf("log %q: want \"client closed\" and no error line", logBuf.String())
			}
			m := serve(t, s, http.MethodGet, "/metrics", nil, nil)
			if !strings.Contains(m.Body.String(), `fazhi_http_requests_total{route="/v1/ask",method="POST",code="499"} 1`) {
				t.Errorf("metrics do not count the request as 499:\n%s", m.Body)
			}
		})
	}
}
