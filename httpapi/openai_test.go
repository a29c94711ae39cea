package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fazhi/httpapi"
	"fazhi/rag"
)

// completion is the part of an OpenAI chat.completion this test reads.
type completion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Delta struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
	Citations []rag.Citation `json:"citations"`
	Found     *bool          `json:"found"`
}

const chatBody = `{
	"model": "gpt-4o", "temperature": 0.7, "max_tokens": 512, "top_p": 1, "stream": %s,
	"messages": [
		{"role": "system", "content": "You are a helpful assistant."},
		{"role": "user", "content": [{"type": "text", "text": "渔门镇2020年有哪些举措？"}]},
		{"role": "assistant", "content": "开展普法宣传。\n\n来源：\n1. 《渔门镇2020年度法治政府建设工作报告》 — 000.txt"},
		{"role": "user", "content": "那调解了多少件矛盾纠纷？"}
	]}`

func TestChatCompletion(t *testing.T) {
	eng := &fakeEngine{answer: yumenAnswer()}
	s := newTestServer(t, eng, httpapi.Config{})
	rec := serve(t, s, http.MethodPost, "/v1/chat/completions", strings.NewReader(strings.Replace(chatBody, "%s", "false", 1)),
		map[string]string{"Content-Type": "application/json", "Authorization": "Bearer sk-whatever"})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
	}
	c := mustDecode[completion](t, rec.Body.Bytes())
	if c.Object != "chat.completion" || !strings.HasPrefix(c.ID, "chatcmpl-") || c.Created == 0 || c.Model != "fazhi" {
		t.Errorf("envelope = id %q object %q created %d model %q", c.ID, c.Object, c.Created, c.Model)
	}
	if len(c.Choices) != 1 {
		t.Fatalf("choices = %d, want 1", len(c.Choices))
	}
	ch := c.Choices[0]
	if ch.Message.Role != "assistant" || ch.FinishReason == nil || *ch.FinishReason != "stop" {
		t.Errorf("choice = role %q finish %v, want assistant/stop", ch.Message.Role, ch.FinishReason)
	}
	golden(t, "chat_content.golden", []byte(ch.Message.Content))
	if !strings.HasPrefix(ch.Message.Content, yumenAnswer().Answer+"\n\n来源：") {
		t.Errorf("content %q: want the answer, a blank line, then the sources", ch.Message.Content)
	}
	if c.Usage == nil || c.Usage.TotalTokens != 0 {
		t.Errorf("usage = %+v, want zeros", c.Usage)
	}
	if len(c.Citations) != 1 || c.Citations[0].Town != "渔门镇" || c.Found == nil || !*c.Found {
		t.Errorf("citations = %+v found = %v, want the engine's", c.Citations, c.Found)
	}

	q := eng.lastQuestion(t)
	if q.Text != "那调解了多少件矛盾纠纷？" {
		t.Errorf("question = %q, want the last user message", q.Text)
	}
	want := []rag.Turn{{Role: "user", Content: "渔门镇2020年有哪些举措？"}, {Role: "assistant", Content: "开展普法宣传。"}}
	if len(q.History) != len(want) {
		t.Fatalf("history = %+v, want %+v", q.History, want)
	}
	for i := range want {
		if q.History[i] != want[i] {
			t.Errorf("history[%d] = %+v, want %+v (system dropped, sources stripped)", i, q.History[i], want[i])
		}
	}
}

func TestChatCompletionErrors(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"no messages", `{"messages": []}`, http.StatusBadRequest, "user"},
		{"only system", `{"messages": [{"role":"system","content":"x"}]}`, http.StatusBadRequest, "user"},
		{"empty question", `{"messages": [{"role":"user","content":"  "}]}`, http.StatusBadRequest, "question"},
		{"bad content", `{"messages": [{"role":"user","content":{"a":1}}]}`, http.StatusBadRequest, "messages[0].content"},
		{"malformed", `{"messages": [`, http.StatusBadRequest, "JSON"},
		{"too long", `{"messages": [{"role":"user","content":"` + strings.Repeat("问", 2001) + `"}]}`, http.StatusBadRequest, "question"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, &fakeEngine{answer: yumenAnswer()}, httpapi.Config{})
			wantError(t, postJSON(t, s, "/v1/chat/completions", tt.body), tt.status, tt.want)
		})
	}
}

// sseEvents reads a server-sent event stream and returns the data of each
// event. It fails the test on any line that is not "data: ..." or blank.
func sseEvents(t *testing.T, resp *http.Response) []string {
	t.Helper()
	var events []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("stream line %q is not a data event", line)
		}
		events = append(events, data)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}

func TestChatCompletionStream(t *testing.T) {
	ans := yumenAnswer()
	tests := []struct {
		name   string
		pieces []string
	}{
		{"streamed in pieces", []string{"2020年渔门镇", "共排查、调解各类矛盾纠纷", "368件。"}},
		{"engine streams nothing", nil},
		{"engine streams a prefix", []string{"2020年渔门镇"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := &fakeEngine{answer: ans, pieces: tt.pieces}
			srv := httptest.NewServer(newTestServer(t, eng, httpapi.Config{ModelName: "fazhi-test"}))
			defer srv.Close()
			resp, err := srv.Client().Post(srv.URL+"/v1/chat/completions", "application/json",
				strings.NewReader(strings.Replace(chatBody, "%s", "true", 1)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
				t.Errorf("Content-Type = %q, want text/event-stream", ct)
			}
			events := sseEvents(t, resp)
			if len(events) < 3 || events[len(events)-1] != "[DONE]" {
				t.Fatalf("events = %q, want chunks then [DONE]", events)
			}
			var content strings.Builder
			var final completion
			for i, ev := range events[:len(events)-1] {
				c := mustDecode[completion](t, []byte(ev))
				if c.Object != "chat.completion.chunk" || c.Model != "fazhi-test" || len(c.Choices) != 1 {
					t.Fatalf("event %d = %s: want one chat.completion.chunk choice", i, ev)
				}
				if i == 0 && c.Choices[0].Delta.Role != "assistant" {
					t.Errorf("first event %s: want delta.role assistant", ev)
				}
				if fr := c.Choices[0].FinishReason; fr != nil && i != len(events)-2 {
					t.Errorf("event %d has finish_reason %q before the end", i, *fr)
				}
				content.WriteString(c.Choices[0].Delta.Content)
				final = c
			}
			if fr := final.Choices[0].FinishReason; fr == nil || *fr != "stop" {
				t.Errorf("last chunk finish_reason = %v, want stop", fr)
			}
			if len(final.Citations) != 1 || final.Found == nil || !*final.Found {
				t.Errorf("last chunk citations %+v found %v, want the engine's", final.Citations, final.Found)
			}
			got := content.String()
			if !strings.HasPrefix(got, ans.Answer+"\n\n来源：") || !strings.Contains(got, "《渔门镇2020年度法治政府建设工作报告》") {
				t.Errorf("concatenated deltas = %q, want the answer then the sources", got)
			}
		})
	}
}

func TestChatCompletionStreamEngineErrors(t *testing.T) {
	t.Run("before any piece", func(t *testing.T) {
		eng := &fakeEngine{askErr: errors.New("index broken")}
		s := newTestServer(t, eng, httpapi.Config{})
		rec := postJSON(t, s, "/v1/chat/completions", `{"stream":true,"messages":[{"role":"user","content":"x"}]}`)
		wantError(t, rec, http.StatusInternalServerError, "internal error")
	})
	t.Run("mid-stream", func(t *testing.T) {
		eng := &fakeEngine{pieces: []string{"2020年"}, streamErr: errors.New("llm connection reset")}
		srv := httptest.NewServer(newTestServer(t, eng, httpapi.Config{}))
		defer srv.Close()
		resp, err := srv.Client().Post(srv.URL+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"stream":true,"messages":[{"role":"user","content":"x"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		events := sseEvents(t, resp)
		if len(events) < 2 || events[len(events)-1] != "[DONE]" {
			t.Fatalf("events = %q, want an error event then [DONE]", events)
		}
		var e struct {
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal([]byte(events[len(events)-2]), &e); err != nil || len(e.Error) == 0 {
			t.Errorf("event before [DONE] = %s, want an error object", events[len(events)-2])
		}
		if strings.Contains(strings.Join(events, ""), "connection reset") {
			t.Error("stream leaks the internal error")
		}
	})
}

func TestModels(t *testing.T) {
	s := newTestServer(t, &fakeEngine{}, httpapi.Config{ModelName: "fazhi-7"})
	rec := serve(t, s, http.MethodGet, "/v1/models", nil, map[string]string{"Authorization": "Bearer anything"})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	var got struct {
		Object string `json:"object"`
		Data   []struct {
			ID     string `json:"id"`
			Object string `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Object != "list" || len(got.Data) != 1 || got.Data[0].ID != "fazhi-7" || got.Data[0].Object != "model" {
		t.Errorf("models = %+v, want one model fazhi-7", got)
	}
}

// gatedEngine streams one piece, then waits for the test to release it.
type gatedEngine struct {
	*fakeEngine
	gate chan struct{}
}

func (g *gatedEngine) AskStream(ctx context.Context, q rag.Question, onChunk func(string) error) (rag.Answer, error) {
	if err := onChunk("2020年渔门镇"); err != nil {
		return rag.Answer{}, err
	}
	select {
	case <-g.gate:
	case <-ctx.Done():
		return rag.Answer{}, ctx.Err()
	}
	return yumenAnswer(), nil
}

func TestChatCompletionStreamFlushesEachPiece(t *testing.T) {
	eng := &gatedEngine{fakeEngine: &fakeEngine{}, gate: make(chan struct{})}
	srv := httptest.NewServer(newTestServer(t, eng, httpapi.Config{}))
	defer srv.Close()
	br := bufio.NewReader(openStream(t, srv).Body)
	// The role chunk and the first piece must arrive while the engine is
	// still working; without a flush this read would block until the
	// context deadline.
	var got []string
	for len(got) < 2 {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream before the engine finished: %v (got %q)", err, got)
		}
		if line = strings.TrimSpace(line); line != "" {
			got = append(got, line)
		}
	}
	if !strings.Contains(got[1], "2020年渔门镇") {
		t.Errorf("second event = %s, want the first piece", got[1])
	}
	close(eng.gate)
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(strings.TrimSpace(string(rest)), "data: [DONE]") {
		t.Errorf("stream did not end with [DONE]: %s", rest)
	}
}
