package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fazhi/rag"
)

// chatRequest is the subset of an OpenAI chat completion request fazhi
// uses. Sampling options (temperature, max_tokens, ...) are accepted and
// ignored, as is the model name.
type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
	Stream   bool          `json:"stream"`
}

// chatMessage is one message; Content is either a string or an array of
// parts such as {"type":"text","text":"..."}.
type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// contentPart is one element of an array-form message content.
type contentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// messageText extracts the text of a message content; non-text parts
// (images, files) are skipped.
func messageText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []contentPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("must be a string or an array of content parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" && p.Type != "" {
			continue
		}
		if b.Len() > 0 && p.Text != "" {
			b.WriteString("\n")
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// questionFromMessages takes the last user message as the question and the
// user and assistant messages before it as history. System and tool
// messages are ignored.
func questionFromMessages(msgs []chatMessage) (rag.Question, error) {
	last := -1
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			last = i
			break
		}
	}
	if last < 0 {
		return rag.Question{}, errors.New("messages: need at least one message with role \"user\"")
	}
	var history []rag.Turn
	for i, m := range msgs[:last] {
		if m.Role != "user" && m.Role != "assistant" {
			continue
		}
		text, err := messageText(m.Content)
		if err != nil {
			return rag.Question{}, fmt.Errorf("messages[%d].content: %w", i, err)
		}
		history = append(history, rag.Turn{Role: m.Role, Content: stripSources(text)})
	}
	text, err := messageText(msgs[last].Content)
	if err != nil {
		return rag.Question{}, fmt.Errorf("messages[%d].content: %w", last, err)
	}
	return buildQuestion(text, history)
}

// sourcesHeading starts the block of sources appended to chat answers.
const sourcesHeading = "来源："

// stripSources removes the sources block fazhi appended to one of its own
// earlier answers, which chat clients send back as history.
func stripSources(text string) string {
	if i := strings.LastIndex(text, "\n\n"+sourcesHeading+"\n"); i >= 0 {
		return text[:i]
	}
	return text
}

// sourcesBlock renders citations as lines a chat client shows under the
// answer: 《title》 town year section — source. It is "" without citations.
func sourcesBlock(cites []rag.Citation) string {
	if len(cites) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(sourcesHeading)
	seen := make(map[string]bool)
	n := 0
	for _, c := range cites {
		var fields []string
		if c.Title != "" {
			fields = append(fields, "《"+c.Title+"》")
		}
		if c.Town != "" {
			fields = append(fields, c.Town)
		}
		if c.Year > 0 {
			fields = append(fields, strconv.Itoa(c.Year)+"年")
		}
		if c.Section != "" {
			fields = append(fields, c.Section)
		}
		line := strings.Join(fields, " ")
		if c.Source != "" {
			if line != "" {
				line += " — "
			}
			line += c.Source
		}
		if line == "" || seen[line] {
			continue
		}
		seen[line] = true
		n++
		fmt.Fprintf(&b, "\n%d. %s", n, line)
	}
	if n == 0 {
		return ""
	}
	return b.String()
}

// chatContent is the assistant message for an answer: the answer text and,
// when there are citations, a blank line and the sources block.
func chatContent(a rag.Answer) string {
	if src := sourcesBlock(a.Citations); src != "" {
		return a.Answer + "\n\n" + src
	}
	return a.Answer
}

// chatCompletion is the non-streaming response object, with fazhi's
// citations and found flag as extra top-level fields.
type chatCompletion struct {
	ID        string         `json:"id"`
	Object    string         `json:"object"`
	Created   int64          `json:"created"`
	Model     string         `json:"model"`
	Choices   []chatChoice   `json:"choices"`
	Usage     chatUsage      `json:"usage"`
	Citations []rag.Citation `json:"citations"`
	Found     bool           `json:"found"`
}

type chatChoice struct {
	Index        int        `json:"index"`
	Message      chatOutMsg `json:"message"`
	FinishReason string     `json:"finish_reason"`
	Logprobs     *struct{}  `json:"logprobs"` // always null
}

type chatOutMsg struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// chatChunk is one server-sent event of a streamed completion.
type chatChunk struct {
	ID        string         `json:"id"`
	Object    string         `json:"object"`
	Created   int64          `json:"created"`
	Model     string         `json:"model"`
	Choices   []chunkChoice  `json:"choices"`
	Citations []rag.Citation `json:"citations,omitempty"`
	Found     *bool          `json:"found,omitempty"`
}

type chunkChoice struct {
	Index        int        `json:"index"`
	Delta        chunkDelta `json:"delta"`
	FinishReason *string    `json:"finish_reason"`
}

type chunkDelta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

// handleChatCompletions serves POST /v1/chat/completions.
func (s *Server) handleChatCompletions(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	q, err := questionFromMessages(req.Messages)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id := "chatcmpl-" + randomHex(12)
	created := time.Now().Unix()
	if req.Stream {
		s.streamChat(w, r, q, id, created)
		return
	}
	ans, err := s.eng.Ask(r.Context(), q)
	if err != nil {
		s.engineError(w, r, "chat", err)
		return
	}
	s.metrics.countAnswer(ans.Found)
	ans = normaliseAnswer(ans)
	writeJSON(w, http.StatusOK, chatCompletion{
		ID:      id,
		Object:  "chat.completion",
		Created: created,
		Model:   s.cfg.ModelName,
		Choices: []chatChoice{{
			Message:      chatOutMsg{Role: "assistant", Content: chatContent(ans)},
			FinishReason: "stop",
		}},
		Citations: ans.Citations,
		Found:     ans.Found,
	})
}

// streamChat answers with server-sent events. The stream starts with the
// first piece of the answer, so an Engine failure before that is still a
// proper JSON error response; a failure after it ends the stream with an
// error event.
func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, q rag.Question, id string, created int64) {
	rc := http.NewResponseController(w)
	started := false
	var streamed strings.Builder
	send := func(c chatChunk) error {
		c.ID, c.Object, c.Created, c.Model = id, "chat.completion.chunk", created, s.cfg.ModelName
		return writeEvent(w, rc, c)
	}
	content := func(text string) error {
		return send(chatChunk{Choices: []chunkChoice{{Delta: chunkDelta{Content: text}}}})
	}
	start := func() error {
		if started {
			return nil
		}
		started = true
		h := w.Header()
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		return send(chatChunk{Choices: []chunkChoice{{Delta: chunkDelta{Role: "assistant"}}}})
	}

	ans, err := s.eng.AskStream(r.Context(), q, func(piece string) error {
		if piece == "" {
			return nil
		}
		if err := start(); err != nil {
			return err
		}
		streamed.WriteString(piece)
		return content(piece)
	})
	if err != nil {
		if !started {
			s.engineError(w, r, "chat stream", err)
			return
		}
		if r.Context().Err() == nil {
			s.log.Error("engine failed mid-stream", "op", "chat stream", "err", err)
			_ = writeEvent(w, rc, map[string]errorBody{"error": {Error: "internal error"}})
			_ = writeDone(w, rc)
		}
		return
	}
	s.metrics.countAnswer(ans.Found)
	ans = normaliseAnswer(ans)
	// Whatever the Engine did not stream (all of it, or a tail) goes out now.
	rest := ans.Answer
	if sent := streamed.String(); strings.HasPrefix(rest, sent) {
		rest = rest[len(sent):]
	} else {
		rest = ""
	}
	if src := sourcesBlock(ans.Citations); src != "" {
		rest += "\n\n" + src
	}
	stop := "stop"
	found := ans.Found
	steps := []func() error{
		start,
		func() error {
			if rest == "" {
				return nil
			}
			return content(rest)
		},
		func() error {
			return send(chatChunk{
				Choices:   []chunkChoice{{FinishReason: &stop}},
				Citations: ans.Citations,
				Found:     &found,
			})
		},
		func() error { return writeDone(w, rc) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return // the client is gone
		}
	}
}

// writeEvent sends v as one "data: <json>" event and flushes it.
func writeEvent(w http.ResponseWriter, rc *http.ResponseController, v any) error {
	var buf bytes.Buffer
	buf.WriteString("data: ")
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // Encode adds one "\n"
		return fmt.Errorf("encode event: %w", err)
	}
	buf.WriteString("\n")
	if _, err := w.Write(buf.Bytes()); err != nil {
		return err
	}
	return flush(rc)
}

// writeDone ends an OpenAI stream.
func writeDone(w http.ResponseWriter, rc *http.ResponseController) error {
	if _, err := io.WriteString(w, "data: [DONE]\n\n"); err != nil {
		return err
	}
	return flush(rc)
}

func flush(rc *http.ResponseController) error {
	if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// modelList is the response of GET /v1/models.
type modelList struct {
	Object string      `json:"object"`
	Data   []modelInfo `json:"data"`
}

type modelInfo struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// handleModels lists the one model fazhi offers.
func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, modelList{
		Object: "list",
		Data: []modelInfo{{
			ID: s.cfg.ModelName, Object: "model", Created: s.started.Unix(), OwnedBy: "fazhi",
		}},
	})
}

// randomHex returns n random bytes as hex, for response ids.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
