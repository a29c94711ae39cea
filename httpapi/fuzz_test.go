package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fazhi/httpapi"
	"fazhi/rag"
)

// FuzzAskRequest sends arbitrary bodies to POST /v1/ask and
// /v1/chat/completions: the server never panics and never answers a
// client's bytes with a 5xx.
func FuzzAskRequest(f *testing.F) {
	for _, s := range []string{
		`{"question":"渔门镇2020年调解了多少矛盾纠纷？"}`,
		`{"question":"那城关镇呢？","history":[{"role":"user","content":"渔门镇"},{"role":"assistant","content":"368"}]}`,
		`{"question":""}`, `{"question":`, `[]`, `null`, "{\"question\":\"\xff\xfe\"}",
		`{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true}`,
		`{"question":"x","history":[{"role":"system","content":"y"}]}`,
	} {
		f.Add(s)
	}
	eng := &fakeEngine{answer: rag.Answer{Answer: "368", Found: true, Mode: "extractive"}}
	srv := httpapi.New(eng, httpapi.Config{RatePerMinute: -1}, nil)
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/v1/ask", "/v1/chat/completions"} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			srv.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("POST %s %q: status %d, want no 5xx for client input: %s", path, body, rec.Code, rec.Body.String())
			}
		}
	})
}
