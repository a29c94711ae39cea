package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tmc/langchaingo/llms"
)

// recorded is one request a fake provider server received.
type recorded struct {
	path string
	auth string
	body map[string]any
}

// fakeProvider records requests and answers them with respond.
type fakeProvider struct {
	mu      sync.Mutex
	reqs    []recorded
	respond func(w http.ResponseWriter, path string, body map[string]any)
}

func newFakeProvider(t *testing.T, respond func(w http.ResponseWriter, path string, body map[string]any)) (*fakeProvider, *httptest.Server) {
	t.Helper()
	f := &fakeProvider{respond: respond}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(data, &body); err != nil {
			http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{path: r.URL.Path, auth: r.Header.Get("Authorization"), body: body})
		f.mu.Unlock()
		f.respond(w, r.URL.Path, body)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeProvider) only(t *testing.T) recorded {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(f.reqs))
	}
	return f.reqs[0]
}

// messageText returns the text of the first message of a chat request,
// whether its content is a string or a list of parts.
func messageText(body map[string]any) string {
	msgs, _ := body["messages"].([]any)
	if len(msgs) == 0 {
		return ""
	}
	m, _ := msgs[0].(map[string]any)
	switch c := m["content"].(type) {
	case string:
		return c
	case []any:
		var b strings.Builder
		for _, p := range c {
			if pm, ok := p.(map[string]any); ok {
				s, _ := pm["text"].(string)
				b.WriteString(s)
			}
		}
		return b.String()
	}
	return ""
}

// openAIChat answers /v1/chat/completions with reply, streaming it as
// server-sent events when the request asks to.
func openAIChat(reply string) func(http.ResponseWriter, string, map[string]any) {
	return func(w http.ResponseWriter, path string, body map[string]any) {
		if path != "/v1/chat/completions" {
			http.Error(w, `{"error":{"message":"no such path"}}`, http.StatusNotFound)
			return
		}
		if stream, _ := body["stream"].(bool); stream {
			w.Header().Set("Content-Type", "text/event-stream")
			for _, piece := range strings.SplitAfter(reply, "，") {
				chunk, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": piece}}}})
				fmt.Fprintf(w, "data: %s\n\n", chunk)
			}
			fmt.Fprint(w, "data: [DONE]\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "c1", "object": "chat.completion", "model": body["model"],
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": reply}}},
		})
	}
}

func TestNewLLMOpenAI(t *testing.T) {
	const reply = "渔门镇2020年共排查、调解各类矛盾纠纷368件[1]，调解成功350件[1]。"
	tests := []struct {
		name     string
		apiKey   string
		stream   bool
		wantAuth string
	}{
		{"no key sends EMPTY", "", false, "Bearer EMPTY"},
		{"given key", "sk-live-abc", false, "Bearer sk-live-abc"},
		{"streaming", "", true, "Bearer EMPTY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, srv := newFakeProvider(t, openAIChat(reply))
			m, err := newLLM("openai:deepseek-chat", srv.URL+"/v1", tt.apiKey, srv.Client())
			if err != nil {
				t.Fatalf("newLLM: %v", err)
			}
			meta := map[string]any{"caller": "test"}
			opts := []llms.CallOption{llms.WithMaxTokens(300), llms.WithMetadata(meta)}
			var chunks []string
			if tt.stream {
				opts = append(opts, llms.WithStreamingFunc(func(_ context.Context, c []byte) error {
					chunks = append(chunks, string(c))
					return nil
				}))
			}
			got, err := llms.GenerateFromSinglePrompt(context.Background(), m, "<context id=\"1\">调解成功350件</context>\n问题：渔门镇调解多少件？", opts...)
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			if got != reply {
				t.Errorf("reply = %q, want %q", got, reply)
			}
			if tt.stream && strings.Join(chunks, "") != reply {
				t.Errorf("streamed %q, want %q", chunks, reply)
			}
			req := fake.only(t)
			if req.auth != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", req.auth, tt.wantAuth)
			}
			if req.body["model"] != "deepseek-chat" {
				t.Errorf("model = %v, want deepseek-chat", req.body["model"])
			}
			if req.body["max_tokens"] != float64(300) {
				t.Errorf("max_tokens = %v, want 300", req.body["max_tokens"])
			}
			if v, ok := req.body["max_completion_tokens"]; ok {
				t.Errorf("max_completion_tokens = %v, want it absent", v)
			}
			if text := messageText(req.body); !strings.Contains(text, "调解成功350件") || !strings.Contains(text, "渔门镇调解多少件") {
				t.Errorf("request lacks the context or the question: %q", text)
			}
			if len(meta) != 1 {
				t.Errorf("caller's metadata map was modified: %v", meta)
			}
		})
	}
}

func TestNewLLMOllama(t *testing.T) {
	const reply = "共368件[1]。"
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			fake, srv := newFakeProvider(t, func(w http.ResponseWriter, path string, body map[string]any) {
				if path != "/api/chat" {
					http.Error(w, `{"error":"no such path"}`, http.StatusNotFound)
					return
				}
				w.Header().Set("Content-Type", "application/x-ndjson")
				enc := json.NewEncoder(w)
				if s, _ := body["stream"].(bool); s {
					for _, piece := range []string{"共368", "件[1]", "。"} {
						_ = enc.Encode(map[string]any{"model": body["model"], "message": map[string]any{"role": "assistant", "content": piece}, "done": false})
					}
					_ = enc.Encode(map[string]any{"model": body["model"], "message": map[string]any{"role": "assistant", "content": ""}, "done": true})
					return
				}
				_ = enc.Encode(map[string]any{"model": body["model"], "message": map[string]any{"role": "assistant", "content": reply}, "done": true})
			})
			m, err := newLLM("ollama:qwen2.5:7b", srv.URL, "", srv.Client())
			if err != nil {
				t.Fatalf("newLLM: %v", err)
			}
			opts := []llms.CallOption{llms.WithMaxTokens(300)}
			var chunks []string
			if stream {
				opts = append(opts, llms.WithStreamingFunc(func(_ context.Context, c []byte) error {
					chunks = append(chunks, string(c))
					return nil
				}))
			}
			got, err := llms.GenerateFromSinglePrompt(context.Background(), m, "问题：渔门镇调解多少件？", opts...)
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			if got != reply {
				t.Errorf("reply = %q, want %q", got, reply)
			}
			if stream && strings.Join(chunks, "") != reply {
				t.Errorf("streamed %q, want %q", chunks, reply)
			}
			req := fake.only(t)
			if req.body["model"] != "qwen2.5:7b" {
				t.Errorf("model = %v, want qwen2.5:7b (everything after the first colon)", req.body["model"])
			}
			if o, _ := req.body["options"].(map[string]any); o["num_predict"] != float64(300) {
				t.Errorf("options = %v, want num_predict 300", req.body["options"])
			}
			if text := messageText(req.body); !strings.Contains(text, "渔门镇调解多少件") {
				t.Errorf("request lacks the prompt: %q", text)
			}
		})
	}
}

func TestNewLLMRejectsBadSpecs(t *testing.T) {
	tests := []struct {
		spec, baseURL string
		want          string
	}{
		{"", "", `unsupported model ""`},
		{"gpt-4o", "", `unsupported model "gpt-4o"`},
		{"anthropic:claude-3", "", `unsupported model "anthropic:claude-3"`},
		{"openai:", "", `unsupported model "openai:"`},
		{"ollama:qwen2.5:7b", "127.0.0.1:11434", "bad base URL"},
		{"openai:deepseek-chat", "ftp://example.invalid", "bad base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.spec+" "+tt.baseURL, func(t *testing.T) {
			_, err := newLLM(tt.spec, tt.baseURL, "sk-secret", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if strings.HasPrefix(tt.want, "unsupported") && !strings.Contains(err.Error(), "ollama:MODEL") {
				t.Errorf("err = %v, want it to name the supported forms", err)
			}
			if _, _, err := newEmbedder(tt.spec, tt.baseURL, "sk-secret", nil); err == nil {
				t.Errorf("newEmbedder(%q): want an error", tt.spec)
			}
		})
	}
}

func TestNewLLMRedactsKey(t *testing.T) {
	const key = "sk-very-secret-key"
	_, srv := newFakeProvider(t, func(w http.ResponseWriter, _ string, _ map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s"}}`, key)
	})
	m, err := newLLM("openai:deepseek-chat", srv.URL+"/v1", key, srv.Client())
	if err != nil {
		t.Fatalf("newLLM: %v", err)
	}
	_, err = llms.GenerateFromSinglePrompt(context.Background(), m, "hi")
	if err == nil {
		t.Fatal("want an error from a 401")
	}
	if strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("err = %q, want the key redacted", err)
	}
	if errors.Unwrap(err) == nil {
		t.Errorf("redacted error does not wrap the original")
	}
}

func TestNewEmbedder(t *testing.T) {
	tests := []struct {
		name     string
		spec     string
		path     string // base URL path
		apiKey   string
		respond  func(w http.ResponseWriter, path string, body map[string]any)
		wantName string
		check    func(t *testing.T, r recorded)
	}{
		{
			name: "ollama", spec: "ollama:nomic-embed-text", wantName: "ollama:nomic-embed-text",
			respond: func(w http.ResponseWriter, path string, body map[string]any) {
				if path != "/api/embed" {
					http.Error(w, `{"error":"no such path"}`, http.StatusNotFound)
					return
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"model": body["model"], "embeddings": [][]float32{{0.25, -0.5, 1}}})
			},
			check: func(t *testing.T, r recorded) {
				if r.body["model"] != "nomic-embed-text" || r.body["input"] != "渔门镇 矛盾纠纷" {
					t.Errorf("request = %v", r.body)
				}
			},
		},
		{
			name: "openai-compatible", spec: "openai:text-embedding-3-small", path: "/compatible-mode/v1", apiKey: "sk-emb",
			wantName: "openai:text-embedding-3-small",
			respond: func(w http.ResponseWriter, path string, body map[string]any) {
				if path != "/compatible-mode/v1/embeddings" {
					http.Error(w, `{"error":{"message":"no such path"}}`, http.StatusNotFound)
					return
				}
				_ = json.NewEncoder(w).Encode(map[string]any{
					"object": "list", "model": body["model"],
					"data": []any{map[string]any{"object": "embedding", "index": 0, "embedding": []float32{0.25, -0.5, 1}}},
				})
			},
			check: func(t *testing.T, r recorded) {
				in, _ := r.body["input"].([]any)
				if r.body["model"] != "text-embedding-3-small" || len(in) != 1 || in[0] != "渔门镇 矛盾纠纷" {
					t.Errorf("request = %v", r.body)
				}
				if r.auth != "Bearer sk-emb" {
					t.Errorf("Authorization = %q", r.auth)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, srv := newFakeProvider(t, tt.respond)
			embed, name, err := newEmbedder(tt.spec, srv.URL+tt.path, tt.apiKey, srv.Client())
			if err != nil {
				t.Fatalf("newEmbedder: %v", err)
			}
			if name != tt.wantName {
				t.Errorf("name = %q, want %q", name, tt.wantName)
			}
			v, err := embed(context.Background(), "渔门镇\n矛盾纠纷")
			if err != nil {
				t.Fatalf("embed: %v", err)
			}
			if len(v) != 3 || v[0] != 0.25 || v[1] != -0.5 || v[2] != 1 {
				t.Errorf("vector = %v, want [0.25 -0.5 1]", v)
			}
			tt.check(t, fake.only(t))
		})
	}
}

func TestNewEmbedderEmptyResponse(t *testing.T) {
	tests := []struct {
		spec string
		body string
	}{
		{"ollama:nomic-embed-text", `{"embeddings":[]}`},
		{"ollama:nomic-embed-text", `{"embeddings":[[]]}`},
		{"openai:text-embedding-3-small", `{"object":"list","data":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.spec+" "+tt.body, func(t *testing.T) {
			_, srv := newFakeProvider(t, func(w http.ResponseWriter, _ string, _ map[string]any) {
				fmt.Fprint(w, tt.body)
			})
			embed, _, err := newEmbedder(tt.spec, srv.URL, "", srv.Client())
			if err != nil {
				t.Fatalf("newEmbedder: %v", err)
			}
			if v, err := embed(context.Background(), "text"); err == nil {
				t.Errorf("embed = %v, want an error for an empty response", v)
			}
		})
	}
}
