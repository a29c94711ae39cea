package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"fazhi/rag"
)

// maxHistoryTurns bounds how much earlier conversation is passed on; older
// turns are dropped (the newest are kept).
const maxHistoryTurns = 20

// askRequest is the body of POST /v1/ask. Unknown fields are ignored.
type askRequest struct {
	Question string     `json:"question"`
	History  []rag.Turn `json:"history"`
}

// handleAsk answers POST /v1/ask with the Engine's rag.Answer.
func (s *Server) handleAsk(w http.ResponseWriter, r *http.Request) {
	var req askRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	q, err := buildQuestion(req.Question, req.History)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ans, err := s.eng.Ask(r.Context(), q)
	if err != nil {
		s.engineError(w, r, "ask", err)
		return
	}
	s.metrics.countAnswer(ans.Found)
	resp := askResponse{Answer: normaliseAnswer(ans)}
	if ans.Table != nil {
		resp.Chart = chartSVG(*ans.Table)
	}
	writeJSON(w, http.StatusOK, resp)
}

// askResponse is POST /v1/ask's body: the Engine's answer and, when it
// compares figures, its table drawn as an SVG chart.
type askResponse struct {
	rag.Answer
	Chart string `json:"chart,omitempty"`
}

// decodeJSON reads a JSON body (bounded by MaxBodyBytes) into v. The body
// must be valid UTF-8: encoding/json would silently replace bad bytes. It
// writes the error response itself and reports whether decoding succeeded.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	data, ok := readBody(w, r, s.cfg.MaxBodyBytes)
	if !ok {
		return false
	}
	if !utf8.Valid(data) {
		writeError(w, http.StatusBadRequest, "request body is not valid UTF-8")
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON: "+jsonErrorText(err))
		return false
	}
	return true
}

// jsonErrorText describes a decoding error without echoing the body.
func jsonErrorText(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fmt.Sprintf("field %q has the wrong type (want %s)", typeErr.Field, typeErr.Type)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Sprintf("syntax error at byte %d", syntaxErr.Offset)
	}
	return "cannot decode body"
}

// buildQuestion validates a question and its history and turns them into a
// rag.Question. Its errors name the offending field and are meant for the
// client.
func buildQuestion(text string, history []rag.Turn) (rag.Question, error) {
	text = strings.TrimSpace(text)
	if err := checkQuestionText(text); err != nil {
		return rag.Question{}, err
	}
	turns := make([]rag.Turn, 0, len(history))
	for i, t := range history {
		switch t.Role {
		case "user", "assistant":
		default:
			return rag.Question{}, fmt.Errorf("history[%d].role: must be \"user\" or \"assistant\"", i)
		}
		if !utf8.ValidString(t.Content) {
			return rag.Question{}, fmt.Errorf("history[%d].content: not valid UTF-8", i)
		}
		c := strings.TrimSpace(t.Content)
		if c == "" {
			continue
		}
		turns = append(turns, rag.Turn{Role: t.Role, Content: c})
	}
	if len(turns) > maxHistoryTurns {
		turns = turns[len(turns)-maxHistoryTurns:]
	}
	if n := rag.HistoryRunes(turns); n > rag.MaxHistoryRunes {
		return rag.Question{}, fmt.Errorf("history: too long (%d characters in its last %d turns, at most %d)", n, len(turns), rag.MaxHistoryRunes)
	}
	if len(turns) == 0 {
		turns = nil
	}
	return rag.Question{Text: text, History: turns}, nil
}

// checkQuestionText rejects an empty, over-long or badly encoded question.
func checkQuestionText(text string) error {
	switch {
	case !utf8.ValidString(text):
		return fmt.Errorf("question: not valid UTF-8")
	case text == "":
		return fmt.Errorf("question: must not be empty")
	case utf8.RuneCountInString(text) > MaxQuestionRunes:
		return fmt.Errorf("question: too long (at most %d characters)", MaxQuestionRunes)
	}
	return nil
}

// normaliseAnswer makes Citations an empty array rather than null in JSON.
func normaliseAnswer(a rag.Answer) rag.Answer {
	if a.Citations == nil {
		a.Citations = []rag.Citation{}
	}
	return a
}
