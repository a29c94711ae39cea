package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fazhi/rag"
)

// hungModelServer accepts every request and never replies, until the
// test ends.
func hungModelServer(t *testing.T) *httptest.Server {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: handlers return, Close does not wait
	return srv
}

// A model server that never replies: with --llm-timeout the API and the
// Telegram bot give the answer from the reports, with a note, once the
// model's time is up (they waited for ever before).
func TestModelNeverReplies(t *testing.T) {
	skipShort(t)
	bin := buildBinary(t)
	model := hungModelServer(t)
	api := newFakeBotAPI(t)
	const timeout = 2 * time.Second
	s := startServe(t, bin, []string{
		"FAZHI_LLM=openai:never", "FAZHI_LLM_URL=" + model.URL, "FAZHI_LLM_TIMEOUT=" + timeout.String(),
		"FAZHI_TELEGRAM_TOKEN=" + botToken, "FAZHI_TELEGRAM_API_URL=" + api.srv.URL, "FAZHI_TELEGRAM_ALLOWED_USERS=42",
	}, "--data", t.TempDir())
	s.waitLog(t, "telegram bot running")
	const question, figure = "渔门镇2020年共排查、调解各类矛盾纠纷多少件？", "368"

	t.Run("api", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		body, _ := json.Marshal(map[string]string{"question": question})
		start := time.Now()
		status, data, err := s.do(ctx, http.MethodPost, "/v1/ask", "application/json", bytes.NewReader(body), nil)
		took := time.Since(start)
		if err != nil || status != http.StatusOK {
			t.Fatalf("POST /v1/ask: %d %s %v", status, data, err)
		}
		var a rag.Answer
		if err := json.Unmarshal(data, &a); err != nil {
			t.Fatal(err)
		}
		if !a.Found || !hasNumber(a.Answer, figure) || a.Mode != "extractive" || !strings.Contains(a.Note, "摘自报告") {
			t.Errorf("got %+v, want the extractive answer %s with a note", a, figure)
		}
		if took < timeout {
			t.Errorf("answered in %v, before the model's %v were up: was the model asked?", took, timeout)
		}
		t.Logf("answered in %v with --llm-timeout %v", took, timeout)
	})

	t.Run("telegram", func(t *testing.T) {
		start := time.Now()
		api.push(42, question)
		msgs := api.waitMessage(t, 42, 0, figure, s)
		if !strings.Contains(strings.Join(msgs, "\n"), "摘自报告") {
			t.Errorf("bot sent %q, want the answer with the note", msgs)
		}
		t.Logf("the bot answered in %v with --llm-timeout %v", time.Since(start), timeout)
	})
}

// --max-file-mb bounds HTTP uploads as it bounds files read from disk
// (the API kept its own 50 MB before).
func TestServeUploadLimit(t *testing.T) {
	skipShort(t)
	bin := buildBinary(t)
	s := startServe(t, bin, []string{"FAZHI_ADMIN_TOKEN=tok"}, "--data", t.TempDir(), "--max-file-mb", "1")
	big := bytes.Repeat([]byte("全年共排查、调解各类矛盾纠纷77件。\n"), (3<<20)/2/40)
	if status, body := s.upload(t, "Bearer tok", "big.txt", big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("uploading %d bytes with --max-file-mb 1: %d %s, want 413", len(big), status, body)
	}
	small := townReport(t, "青山", 401)
	if status, body := s.upload(t, "Bearer tok", "small.txt", small); status != http.StatusCreated {
		t.Errorf("uploading %d bytes: %d %s, want 201", len(small), status, body)
	}
}
