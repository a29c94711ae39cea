package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"fazhi/rag"
)

// fakeChatServer is an OpenAI-compatible server whose model answers with
// reply(prompt), and counts the requests it gets.
func fakeChatServer(t *testing.T, reply func(prompt string) string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.NotFound(w, r)
			return
		}
		calls.Add(1)
		var req struct {
			Messages []struct {
				Content any `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var prompt strings.Builder
		for _, m := range req.Messages {
			fmt.Fprint(&prompt, m.Content)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": reply(prompt.String())}}},
			"usage": map[string]any{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

var contextBlock = regexp.MustCompile(`(?s)<context id="(\d+)"[^>]*>(.*?)</context>`)

// blockWith returns the id of the first context block holding s.
func blockWith(prompt, s string) string {
	for _, m := range contextBlock.FindAllStringSubmatch(prompt, -1) {
		if strings.Contains(m[2], s) {
			return m[1]
		}
	}
	return ""
}

func TestAskThroughLLM(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the seed reports")
	}
	ctx := context.Background()
	data := t.TempDir()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"ingest", "--quiet", "--data", data, "../../testdata/reports"}, nil, &out, &errb); err != nil {
		t.Fatalf("ingest: %v\n%s", err, errb.String())
	}
	tests := []struct {
		name     string
		reply    func(prompt string) string
		wantMode string
		want     string
		wantNote bool
	}{
		{"grounded answer", func(p string) string {
			return "渔门镇2020年共排查、调解各类矛盾纠纷368件[" + blockWith(p, "368") + "]。"
		}, "llm", "368", false},
		{"invented figure is caught by the guard", func(p string) string {
			return "渔门镇2020年共调解矛盾纠纷512件[" + blockWith(p, "368") + "]。"
		}, "extractive", "368", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := fakeChatServer(t, tt.reply)
			env := func(k string) string {
				if k == "FAZHI_LLM_API_KEY" {
					return "sk-test"
				}
				return ""
			}
			var out, errb bytes.Buffer
			err := runAsk(ctx, []string{"--json", "--data", data, "--llm", "openai:fake-model", "--llm-url", srv.URL, "渔门镇2020年调解了多少矛盾纠纷？"}, env, &out, &errb)
			if err != nil {
				t.Fatalf("ask: %v\n%s", err, errb.String())
			}
			var a rag.Answer
			if err := json.Unmarshal(out.Bytes(), &a); err != nil {
				t.Fatalf("decode %s: %v", out.String(), err)
			}
			if calls.Load() == 0 {
				t.Errorf("the model server got no request")
			}
			if a.Mode != tt.wantMode || !a.Found || !strings.Contains(a.Answer, tt.want) {
				t.Errorf("got mode %q found %v answer %q, want mode %q found true answer with %q", a.Mode, a.Found, a.Answer, tt.wantMode, tt.want)
			}
			if (a.Note != "") != tt.wantNote {
				t.Errorf("got note %q, want a note: %v", a.Note, tt.wantNote)
			}
			if len(a.Citations) == 0 || a.Citations[0].Source != "000_cd4b96a87fea5f69.txt" {
				t.Errorf("got citations %+v, want 000_cd4b96a87fea5f69.txt first", a.Citations)
			}
			if strings.Contains(out.String()+errb.String(), "sk-test") {
				t.Errorf("the API key leaked into the output")
			}
		})
	}
}

func TestAskWhenLLMIsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the seed reports")
	}
	ctx := context.Background()
	data := t.TempDir()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"ingest", "--quiet", "--data", data, "../../testdata/reports"}, nil, &out, &errb); err != nil {
		t.Fatalf("ingest: %v\n%s", err, errb.String())
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"overloaded"}}`, http.StatusServiceUnavailable)
	}))
	defer down.Close()
	out.Reset()
	env := func(string) string { return "" }
	err := runAsk(ctx, []string{"--json", "--data", data, "--llm", "openai:fake-model", "--llm-url", down.URL, "渔门镇2020年调解了多少矛盾纠纷？"}, env, &out, &errb)
	if err != nil {
		t.Fatalf("ask with the model down: %v\n%s", err, errb.String())
	}
	var a rag.Answer
	if err := json.Unmarshal(out.Bytes(), &a); err != nil {
		t.Fatalf("decode %s: %v", out.String(), err)
	}
	if a.Mode != "extractive" || !a.Found || !strings.Contains(a.Answer, "368") || a.Note == "" {
		t.Errorf("got mode %q found %v note %q answer %q, want the extractive answer with 368 and a note", a.Mode, a.Found, a.Note, a.Answer)
	}
}
