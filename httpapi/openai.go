package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"fazhi/internal/ratelimit"
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
// first piece of the answer or, if none comes within the heartbeat
// interval (an LLM answer is held back for the numeric guard), with a
// comment line, repeated every interval so that proxies and clients keep
// the connection open. An Engine failure before the stream starts is
// still a proper JSON error response; after, it ends the stream with an
// error event and [DONE]. When the server shuts down, a stream still
// waiting for its answer gets ShutdownGrace more and then ends the same
// way.
func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, q rag.Question, id string, created int64) {
	stamp := func(c chatChunk) chatChunk {
		c.ID, c.Object, c.Created, c.Model = id, "chat.completion.chunk", created, s.cfg.ModelName
		return c
	}
	st := &sseStream{
		w:       w,
		rc:      http.NewResponseController(w),
		opening: stamp(chatChunk{Choices: []chunkChoice{{Delta: chunkDelta{Role: "assistant"}}}}),
	}
	send := func(c chatChunk) error { return st.event(stamp(c)) }
	content := func(text string) error {
		return send(chatChunk{Choices: []chunkChoice{{Delta: chunkDelta{Content: text}}}})
	}

	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	stopWatch := s.watchStream(ctx, cancel, st)
	var streamed strings.Builder
	ans, err := s.eng.AskStream(ctx, q, func(piece string) error {
		if piece == "" {
			return nil
		}
		streamed.WriteString(piece)
		return content(piece)
	})
	stopWatch()
	if err != nil {
		shutdown := errors.Is(context.Cause(ctx), errShuttingDown)
		if !st.begun() {
			if shutdown {
				w.Header().Set("Retry-After", "5")
				writeError(w, http.StatusServiceUnavailable, "the server is shutting down: ask again")
				return
			}
			s.engineError(w, r, "chat stream", err)
			return
		}
		if errors.Is(r.Context().Err(), context.Canceled) {
			return // the client is gone
		}
		msg := "internal error"
		var busy *ratelimit.BusyError
		switch {
		case errors.Is(r.Context().Err(), context.DeadlineExceeded):
			msg = "the request timed out"
		case shutdown:
			msg = "the server is shutting down: ask again"
		case errors.As(err, &busy):
			s.metrics.refuse(reasonBusy)
			msg = "too many expensive questions at once: try again later"
		default:
			s.log.Error("engine failed mid-stream", "op", "chat stream", "err", err)
		}
		_ = st.event(map[string]errorBody{"error": {Error: msg}})
		_ = st.done()
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
		st.begin,
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
		st.done,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return // the client is gone
		}
	}
}

// errShuttingDown is the cause given to a stream's context when the
// server stops before its answer is ready.
var errShuttingDown = errors.New("the server is shutting down")

// watchStream sends st a heartbeat comment every Heartbeat until ctx ends
// and, once the server begins to shut down, cancels ctx with
// errShuttingDown after ShutdownGrace. The returned function stops it and
// waits until it has.
func (s *Server) watchStream(ctx context.Context, cancel context.CancelCauseFunc, st *sseStream) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(s.cfg.Heartbeat)
		defer tick.Stop()
		closing := s.closing
		var grace <-chan time.Time
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := st.comment("keep-alive"); err != nil {
					return // the client is gone; its context ends too
				}
			case <-closing:
				closing = nil
				t := time.NewTimer(s.cfg.ShutdownGrace)
				defer t.Stop()
				grace = t.C
			case <-grace:
				cancel(errShuttingDown)
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// sseStream writes one server-sent event stream; the heartbeat and the
// answer write to it from two goroutines. The response starts (headers,
// then the opening event) with whatever is written first.
type sseStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	opening any // the first event

	mu      sync.Mutex
	started bool
}

// begin starts the stream, once.
func (st *sseStream) begin() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.beginLocked()
}

func (st *sseStream) beginLocked() error {
	if st.started {
		return nil
	}
	st.started = true
	h := st.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	st.w.WriteHeader(http.StatusOK)
	return writeEvent(st.w, st.rc, st.opening)
}

// begun reports whether the response has started.
func (st *sseStream) begun() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.started
}

// event starts the stream if need be and sends v as one event.
func (st *sseStream) event(v any) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.beginLocked(); err != nil {
		return err
	}
	return writeEvent(st.w, st.rc, v)
}

// comment starts the stream if need be and sends a comment line, which
// clients ignore and proxies see as traffic.
func (st *sseStream) comment(text string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.beginLocked(); err != nil {
		return err
	}
	if _, err := io.WriteString(st.w, ": "+text+"\n\n"); err != nil {
		return err
	}
	return flush(st.rc)
}

// done ends the stream with data: [DONE].
func (st *sseStream) done() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return writeDone(st.w, st.rc)
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
