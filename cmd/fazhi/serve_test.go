package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"fazhi/ingest"
	"fazhi/rag"
)

// The waits of the process tests. Each is a bound that only a broken
// program reaches; the tests poll and go on as soon as the awaited thing
// happens.
const (
	startBound = 25 * time.Second // a server ingests the samples, then says where it listens
	pollEvery  = 25 * time.Millisecond
)

// seedDisputesQuestion is seed question s01 and what its answer must say.
const (
	seedDisputesQuestion = "渔门镇2020年共排查、调解各类矛盾纠纷多少件？"
	seedDisputesFigure   = "368"
)

// lockedBuffer collects a child's output while a test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// childEnv is the environment of a child process: this process's without
// any FAZHI_ variable (so a developer's settings cannot leak in), plus
// extra ("KEY=value").
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FAZHI_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// server is a `fazhi serve` process.
type server struct {
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:PORT, once it listens
	dir    string // its working directory
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan struct{} // closed once the process has exited
	err    error         // its exit status, once done is closed
}

// launchServe starts `fazhi serve --addr 127.0.0.1:0 args...` with env
// added to childEnv, without waiting for it. The process is SIGKILLed at
// cleanup if it still runs.
func launchServe(t *testing.T, bin string, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = childEnv(env...)
	cmd.Dir = t.TempDir()
	return launchCmd(t, cmd)
}

// launchCmd starts cmd, a command that runs `fazhi serve` and prints
// where it listens, without waiting for it. The process is SIGKILLed at
// cleanup if it still runs.
func launchCmd(t *testing.T, cmd *exec.Cmd) *server {
	t.Helper()
	s := &server{cmd: cmd, dir: cmd.Dir, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start fazhi serve: %v", err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.kill(t) })
	return s
}

// startServe launches a server and waits until it listens.
func startServe(t *testing.T, bin string, env []string, args ...string) *server {
	t.Helper()
	s := launchServe(t, bin, env, args...)
	s.waitListening(t)
	return s
}

// waitListening waits for the line `fazhi serving on http://ADDR` and
// takes the address from it.
func (s *server) waitListening(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(startBound)
	for {
		for line := range strings.Lines(s.stdout.String()) {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "fazhi serving on "); ok {
				s.url = rest
				return
			}
		}
		select {
		case <-s.done:
			t.Fatalf("fazhi serve exited before listening: %v\nstdout: %s\nstderr: %s", s.err, s.stdout, s.stderr)
		case <-time.After(pollEvery):
		}
		if time.Now().After(deadline) {
			t.Fatalf("fazhi serve did not say where it listens within %v\nstdout: %s\nstderr: %s", startBound, s.stdout, s.stderr)
		}
	}
}

// kill SIGKILLs the server, if it still runs, and waits for it to exit.
func (s *server) kill(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
		return
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("kill fazhi serve: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(startBound):
		t.Errorf("fazhi serve (pid %d) did not exit after SIGKILL", s.cmd.Process.Pid)
	}
}

// client is what the tests talk to servers with. Its timeout is a
// failsafe for a hung server.
var client = &http.Client{Timeout: 30 * time.Second}

// do sends a request and returns the status and body.
func (s *server) do(ctx context.Context, method, path, contentType string, body io.Reader, header http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, body)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// askErr asks a question through POST /v1/ask; it fails unless the
// answer comes with status 200.
func (s *server) askErr(ctx context.Context, question string) (rag.Answer, error) {
	body, _ := json.Marshal(map[string]string{"question": question})
	status, data, err := s.do(ctx, http.MethodPost, "/v1/ask", "application/json", bytes.NewReader(body), nil)
	if err != nil {
		return rag.Answer{}, fmt.Errorf("POST /v1/ask %q: %w", question, err)
	}
	if status != http.StatusOK {
		return rag.Answer{}, fmt.Errorf("POST /v1/ask %q: status %d: %s", question, status, data)
	}
	var a rag.Answer
	if err := json.Unmarshal(data, &a); err != nil {
		return rag.Answer{}, fmt.Errorf("POST /v1/ask %q: %w: %s", question, err, data)
	}
	return a, nil
}

func (s *server) ask(t *testing.T, question string) rag.Answer {
	t.Helper()
	a, err := s.askErr(context.Background(), question)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// getJSON decodes the 200 response to GET path into v.
func (s *server) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	status, data, err := s.do(context.Background(), http.MethodGet, path, "", nil, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, status, data)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, data)
	}
}

func (s *server) stats(t *testing.T) rag.Stats {
	t.Helper()
	var st rag.Stats
	s.getJSON(t, "/v1/stats", &st)
	return st
}

func (s *server) documents(t *testing.T) []rag.ReportInfo {
	t.Helper()
	var reps []rag.ReportInfo
	s.getJSON(t, "/v1/documents", &reps)
	return reps
}

// multipartFile is a multipart/form-data body whose "file" field holds
// data under name.
func multipartFile(name string, data []byte) (contentType string, body []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormFile("file", name)
	w.Write(data)
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// uploadErr posts a report to POST /v1/documents with the given
// Authorization header value ("" sends none).
func (s *server) uploadErr(ctx context.Context, auth, name string, data []byte) (int, string, error) {
	ct, body := multipartFile(name, data)
	h := http.Header{}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	status, resp, err := s.do(ctx, http.MethodPost, "/v1/documents", ct, bytes.NewReader(body), h)
	return status, string(resp), err
}

func (s *server) upload(t *testing.T, auth, name string, data []byte) (int, string) {
	t.Helper()
	status, body, err := s.uploadErr(context.Background(), auth, name, data)
	if err != nil {
		t.Fatalf("POST /v1/documents %s: %v", name, err)
	}
	return status, body
}

// waitReports polls /v1/stats until the store holds want reports.
func (s *server) waitReports(t *testing.T, want int, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		st := s.stats(t)
		if st.Reports == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/v1/stats: %d reports after %v, want %d", st.Reports, bound, want)
		}
		time.Sleep(pollEvery)
	}
}

// waitLog polls the server's log until it contains s.
func (s *server) waitLog(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(startBound)
	for !strings.Contains(s.stderr.String(), want) {
		select {
		case <-s.done:
			t.Fatalf("the server exited (%v) before its log said %q:\n%s", s.err, want, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server log does not say %q:\n%s", want, s.stderr)
		}
		time.Sleep(pollEvery)
	}
}

// townReport is seed report 003 (城关镇, 2020) rewritten for another
// town: every 城关 becomes short, and its disputes figure (46) becomes
// disputes. disputesQuestion(short) asks for that figure.
func townReport(t *testing.T, short string, disputes int) []byte {
	t.Helper()
	seed, err := os.ReadFile(filepath.Join(seedDir, "003_77ad51e2d2cfaeb9.txt"))
	if err != nil {
		t.Fatal(err)
	}
	const figure = "矛盾纠纷 46 件"
	if n := strings.Count(string(seed), figure); n != 1 {
		t.Fatalf("seed 003 states %q %d times, want once", figure, n)
	}
	text := strings.NewReplacer("城关", short, figure, "矛盾纠纷 "+strconv.Itoa(disputes)+" 件").Replace(string(seed))
	return []byte(text)
}

// disputesQuestion asks for the figure townReport sets (seed question s15
// about another town).
func disputesQuestion(short string) string {
	return short + "镇2020年镇村两级共排查调处矛盾纠纷多少件？"
}

// lookAlikeQuestion asks for the disputes figure of a report made by
// lookAlikeReports (seed question s01 about another town).
func lookAlikeQuestion(town string) string {
	return town + "2020年共排查、调解各类矛盾纠纷多少件？"
}

// lookAlikeFigure is the disputes figure lookAlikeReports gives report
// rNNNN.txt.
func lookAlikeFigure(t *testing.T, source string) string {
	t.Helper()
	var i int
	if _, err := fmt.Sscanf(source, "r%04d.txt", &i); err != nil {
		t.Fatalf("%s is not a look-alike report name: %v", source, err)
	}
	return strconv.Itoa(100 + i)
}

// seedChunks is the chunk count of each seed report by name, as
// checkStoreConsistent wants it.
func seedChunks(t *testing.T) map[string]int {
	t.Helper()
	entries, err := os.ReadDir(seedDir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, e := range entries {
		text, err := os.ReadFile(filepath.Join(seedDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		want[e.Name()] = textChunks(string(text))
	}
	return want
}

// textChunks is how many chunks a plain-text report makes.
func textChunks(text string) int {
	return len(ingest.ChunkText(ingest.Clean(text), ingest.DefaultChunkOptions()))
}

// seedQA is one line of testdata/eval/seed-qa.jsonl.
type seedQA struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Question string   `json:"question"`
	Must     []string `json:"must"`
}

// seedQuestions reads the public seed questions.
func seedQuestions(t *testing.T) []seedQA {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "eval", "seed-qa.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var qs []seedQA
	for line := range strings.Lines(string(data)) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var q seedQA
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			t.Fatalf("seed-qa.jsonl: %v: %s", err, line)
		}
		qs = append(qs, q)
	}
	if len(qs) == 0 {
		t.Fatal("seed-qa.jsonl holds no questions")
	}
	return qs
}

// answered checks an answer to a seed question: found with every must
// string for a question the reports answer, not found for one they do
// not. It returns "" when the answer is right.
func (q seedQA) answered(a rag.Answer) string {
	if len(q.Must) == 0 {
		if q.Kind == "none" && a.Found {
			return fmt.Sprintf("%s %q: found an answer to a question no report answers: %q", q.ID, q.Question, a.Answer)
		}
		return ""
	}
	if !a.Found {
		return fmt.Sprintf("%s %q: not found: %q", q.ID, q.Question, a.Answer)
	}
	for _, m := range q.Must {
		if !strings.Contains(a.Answer, m) {
			return fmt.Sprintf("%s %q: answer lacks %q: %q", q.ID, q.Question, m, a.Answer)
		}
	}
	return ""
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs fazhi serve as a process")
	}
}

// TestServeBasics runs `fazhi serve` on an empty data directory and uses
// every front door of the HTTP API: ask, chat completions (plain and
// streamed), metrics, and authenticated uploads, including one whose name
// tries to climb out of the data directory.
func TestServeBasics(t *testing.T) {
	skipShort(t)
	bin := buildBinary(t)
	data := t.TempDir()
	s := startServe(t, bin, []string{"FAZHI_ADMIN_TOKEN=tok"}, "--data", data)
	ctx := context.Background()

	t.Run("samples", func(t *testing.T) {
		s.waitLog(t, "ingested the sample reports built into the binary")
		if st := s.stats(t); st.Reports != 5 || st.Chunks == 0 {
			t.Errorf("/v1/stats on a fresh store: got %d reports and %d chunks, want 5 reports and some chunks", st.Reports, st.Chunks)
		}
	})

	t.Run("ask", func(t *testing.T) {
		a := s.ask(t, seedDisputesQuestion)
		if !a.Found || !strings.Contains(a.Answer, seedDisputesFigure) || len(a.Citations) == 0 {
			t.Errorf("ask %q: got found=%v answer %q with %d citations, want %s with a citation", seedDisputesQuestion, a.Found, a.Answer, len(a.Citations), seedDisputesFigure)
		}
	})

	chat := func(t *testing.T, stream bool) (status int, contentType string, body []byte) {
		t.Helper()
		req, _ := json.Marshal(map[string]any{
			"model":    "fazhi",
			"stream":   stream,
			"messages": []map[string]string{{"role": "user", "content": seedDisputesQuestion}},
		})
		resp, err := client.Post(s.url+"/v1/chat/completions", "application/json", bytes.NewReader(req))
		if err != nil {
			t.Fatalf("POST /v1/chat/completions: %v", err)
		}
		defer resp.Body.Close()
		body, err = io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("POST /v1/chat/completions: reading the body: %v", err)
		}
		return resp.StatusCode, resp.Header.Get("Content-Type"), body
	}

	t.Run("chat", func(t *testing.T) {
		status, _, body := chat(t, false)
		if status != http.StatusOK {
			t.Fatalf("chat: status %d: %s", status, body)
		}
		var c struct {
			Object  string `json:"object"`
			Choices []struct {
				Message struct {
					Role    string `json:"role"`
					Content string `json:"content"`
				} `json:"message"`
				FinishReason string `json:"finish_reason"`
			} `json:"choices"`
			Found bool `json:"found"`
		}
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatalf("chat: %v: %s", err, body)
		}
		if len(c.Choices) != 1 {
			t.Fatalf("chat: got %d choices, want 1: %s", len(c.Choices), body)
		}
		m := c.Choices[0]
		if c.Object != "chat.completion" || m.Message.Role != "assistant" || m.FinishReason != "stop" || !c.Found {
			t.Errorf("chat: got object %q, role %q, finish %q, found %v; want chat.completion, assistant, stop, true", c.Object, m.Message.Role, m.FinishReason, c.Found)
		}
		if !strings.Contains(m.Message.Content, seedDisputesFigure) {
			t.Errorf("chat: content %q lacks %s", m.Message.Content, seedDisputesFigure)
		}
	})

	t.Run("chat stream", func(t *testing.T) {
		status, ct, body := chat(t, true)
		if status != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
			t.Fatalf("chat stream: got status %d, Content-Type %q, want 200 text/event-stream: %s", status, ct, body)
		}
		checkStreamAnswer(t, readStream(t, bytes.NewReader(body), nil), seedDisputesFigure)
	})

	t.Run("metrics", func(t *testing.T) {
		status, body, err := s.do(ctx, http.MethodGet, "/metrics", "", nil, nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("GET /metrics: status %d, %v", status, err)
		}
		text := string(body)
		for _, want := range []string{
			"# TYPE fazhi_http_requests_total counter",
			`fazhi_http_requests_total{route="/v1/ask",method="POST",code="200"} `,
			"# TYPE fazhi_reports_ingested_total counter",
			"fazhi_reports_ingested_total 5\n",
			`fazhi_answers_total{found="true"} `,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("/metrics lacks %q:\n%s", want, text)
			}
		}
		for line := range strings.Lines(text) {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "fazhi_") {
				t.Errorf("/metrics: sample line %q has no fazhi_ name", line)
			}
		}
	})

	t.Run("upload", func(t *testing.T) {
		const short, figure = "测试", 587
		rep := townReport(t, short, figure)
		for _, c := range []struct {
			auth string
			want []int
		}{
			{"", []int{http.StatusUnauthorized}},
			{"Bearer wrong", []int{http.StatusUnauthorized, http.StatusForbidden}},
			{"Bearer tok", []int{http.StatusCreated}},
		} {
			status, body := s.upload(t, c.auth, "ceshi.txt", rep)
			if !contains(c.want, status) {
				t.Fatalf("upload with Authorization %q: got status %d, want one of %v: %s", c.auth, status, c.want, body)
			}
		}
		var listed *rag.ReportInfo
		for _, r := range s.documents(t) {
			if r.Source == "ceshi.txt" {
				listed = &r
			}
		}
		if listed == nil || listed.Town != short+"镇" || listed.Chunks == 0 {
			t.Fatalf("GET /v1/documents after the upload: got %+v, want ceshi.txt of %s镇 with chunks", listed, short)
		}
		if st := s.stats(t); st.Reports != 6 {
			t.Errorf("/v1/stats after the upload: got %d reports, want 6", st.Reports)
		}
		a := s.ask(t, disputesQuestion(short))
		if !a.Found || !strings.Contains(a.Answer, strconv.Itoa(figure)) {
			t.Errorf("ask %q at once after the upload: got found=%v %q, want %d", disputesQuestion(short), a.Found, a.Answer, figure)
		}
		if a := s.ask(t, disputesQuestion("城关")); !strings.Contains(a.Answer, "46") || strings.Contains(a.Answer, strconv.Itoa(figure)) {
			t.Errorf("ask %q after the look-alike upload: got %q, want 46 and not the other town's %d", disputesQuestion("城关"), a.Answer, figure)
		}
	})

	t.Run("upload name climbing out", func(t *testing.T) {
		b := make([]byte, 8)
		rand.Read(b)
		base := "fazhi-traversal-" + hex.EncodeToString(b) + ".txt"
		name := "../../../../tmp/" + base
		status, body := s.upload(t, "Bearer tok", name, townReport(t, "穿越", 612))
		t.Logf("upload %q: status %d", name, status)
		switch {
		case status == http.StatusCreated:
			// Stored under its base name, in the store.
			for _, r := range s.documents(t) {
				if strings.Contains(r.Source, "fazhi-traversal-") && r.Source != base {
					t.Errorf("upload %q stored as source %q, want %q", name, r.Source, base)
				}
			}
		case status >= 400 && status < 500:
			// Refused: fine too.
		default:
			t.Errorf("upload %q: got status %d, want 201 or a 4xx: %s", name, status, body)
		}
		for _, p := range []string{filepath.Join(os.TempDir(), base), filepath.Join("/tmp", base), filepath.Join(data, name), filepath.Join(s.dir, name)} {
			if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
				os.Remove(p)
				t.Errorf("upload %q wrote %s outside the data directory (stat: %v)", name, p, err)
			}
		}
		filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Errorf("walk %s: %v", path, err)
				return nil
			}
			if strings.Contains(d.Name(), "fazhi-traversal") || strings.Contains(d.Name(), "..") {
				t.Errorf("upload %q left %s in the data directory", name, path)
			}
			return nil
		})
	})
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestServeSurvivesKill SIGKILLs a server after an upload and again in the
// middle of uploads: after each restart the store opens, keeps every
// upload it acknowledged, and holds only whole reports.
func TestServeSurvivesKill(t *testing.T) {
	skipShort(t)
	bin := buildBinary(t)
	data := t.TempDir()
	env := []string{"FAZHI_ADMIN_TOKEN=tok"}
	want := seedChunks(t)

	s := startServe(t, bin, env, "--data", data)
	s.waitReports(t, 5, startBound)
	const short, figure = "验证", 733
	rep := townReport(t, short, figure)
	if status, body := s.upload(t, "Bearer tok", "yanzheng.txt", rep); status != http.StatusCreated {
		t.Fatalf("upload: got status %d, want 201: %s", status, body)
	}
	want["yanzheng.txt"] = textChunks(string(rep))
	s.kill(t)

	s = startServe(t, bin, env, "--data", data)
	if st := s.stats(t); st.Reports != 6 {
		t.Errorf("after SIGKILL and restart: got %d reports, want 6", st.Reports)
	}
	if a := s.ask(t, disputesQuestion(short)); !a.Found || !strings.Contains(a.Answer, strconv.Itoa(figure)) {
		t.Errorf("after SIGKILL and restart, ask %q: got found=%v %q, want %d", disputesQuestion(short), a.Found, a.Answer, figure)
	}

	// Now kill it while uploads are under way: one whose body is still
	// being sent, and several whole ones racing each other.
	const racing = 8
	dir := t.TempDir()
	for name, n := range lookAlikeReports(t, dir, racing) {
		want[name] = n
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	slowDone := make(chan error, 1)
	go func() {
		status, body, err := s.do(ctx, http.MethodPost, "/v1/documents", mw.FormDataContentType(), pr, http.Header{"Authorization": {"Bearer tok"}})
		if err == nil {
			err = fmt.Errorf("status %d: %s", status, body)
		}
		slowDone <- err
	}()
	half := make(chan error, 1)
	slow := townReport(t, "半途", 808)
	go func() {
		w, err := mw.CreateFormFile("file", "bantu.txt")
		if err == nil {
			_, err = w.Write(slow[:len(slow)/2])
		}
		half <- err
	}()
	select {
	case err := <-half:
		if err != nil {
			t.Fatalf("sending half the slow upload: %v", err)
		}
	case <-time.After(startBound):
		t.Fatal("the server read nothing of the slow upload")
	}

	type result struct {
		name   string
		status int
		err    error
	}
	results := make(chan result, racing)
	for i := range racing {
		name := fmt.Sprintf("r%04d.txt", i)
		text, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			status, _, err := s.uploadErr(ctx, "Bearer tok", name, text)
			results <- result{name, status, err}
		}()
	}
	// Kill as soon as the first upload is acknowledged: the others are
	// being read, parsed or written.
	var got []result
	select {
	case r := <-results:
		got = append(got, r)
	case <-time.After(startBound):
		t.Fatal("no upload finished")
	}
	s.kill(t)
	for len(got) < racing {
		got = append(got, <-results)
	}
	pw.CloseWithError(errors.New("the server was killed"))
	if err := <-slowDone; err == nil || strings.HasPrefix(err.Error(), "status ") {
		t.Errorf("the slow upload, cut short by the kill, got a response: %v", err)
	}

	s = startServe(t, bin, env, "--data", data)
	stored := map[string]rag.ReportInfo{}
	for _, r := range s.documents(t) {
		stored[r.Source] = r
	}
	acked := 0
	for _, r := range got {
		if r.err == nil && r.status != http.StatusCreated {
			t.Errorf("upload %s before the kill: got status %d, want 201", r.name, r.status)
		}
		if r.err == nil && r.status == http.StatusCreated {
			acked++
			if _, ok := stored[r.name]; !ok {
				t.Errorf("upload %s was acknowledged (201) before the kill but is not stored after the restart", r.name)
			}
		}
	}
	if _, ok := stored["bantu.txt"]; ok {
		t.Errorf("the upload killed while its body was half sent is stored")
	}
	present := 0
	for name := range stored {
		if !strings.HasPrefix(name, "r") {
			continue
		}
		present++
		r := stored[name]
		fig := lookAlikeFigure(t, name)
		if a := s.ask(t, lookAlikeQuestion(r.Town)); !a.Found || !strings.Contains(a.Answer, fig) {
			t.Errorf("%s (%s) is stored but ask %q got found=%v %q, want %s", name, r.Town, lookAlikeQuestion(r.Town), a.Found, a.Answer, fig)
		}
	}
	// Every stored report whole (chunk counts of a fresh ingest, all
	// indexed), nothing left of the rest.
	n := checkStoreConsistent(t, bin, data, want, false)
	if n != 6+present {
		t.Errorf("after the second kill: %d reports stored, want 6 + %d look-alikes", n, present)
	}
	t.Logf("killed during %d racing uploads: %d acknowledged before the kill, %d stored after the restart", racing, acked, present)
}

// TestServeLivePickup runs `fazhi serve` with its defaults and `fazhi
// ingest` adding 300 reports to its data directory while 8 clients on
// this machine ask it 40 questions each: none fails (local tools are not
// rate limited), and the server picks the new reports up without a
// restart.
func TestServeLivePickup(t *testing.T) {
	skipShort(t)
	bin := buildBinary(t)
	data := t.TempDir()
	s := startServe(t, bin, nil, "--data", data)
	s.waitReports(t, 5, startBound)

	const added = 300
	dir := t.TempDir()
	lookAlikeReports(t, dir, added)
	var qs []seedQA
	for _, q := range seedQuestions(t) {
		if len(q.Must) > 0 {
			qs = append(qs, q)
		}
	}

	ing := exec.Command(bin, "ingest", "--data", data, dir)
	ing.Env = childEnv()
	var ingOut, ingErr lockedBuffer
	ing.Stdout, ing.Stderr = &ingOut, &ingErr
	if err := ing.Start(); err != nil {
		t.Fatal(err)
	}
	var ingExit error
	ingExited := make(chan struct{})
	go func() {
		ingExit = ing.Wait()
		close(ingExited)
	}()
	t.Cleanup(func() {
		select {
		case <-ingExited:
		default:
			ing.Process.Kill()
			<-ingExited
		}
	})

	const clients, each = 8, 40
	var (
		mu                  sync.Mutex
		failed, wrong       []string
		duringIngest, total int
	)
	ingestRunning := func() bool {
		select {
		case <-ingExited:
			return false
		default:
			return true
		}
	}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				q := qs[(c*each+i)%len(qs)]
				ctx, cancel := context.WithTimeout(context.Background(), startBound)
				a, err := s.askErr(ctx, q.Question)
				cancel()
				running := ingestRunning()
				mu.Lock()
				total++
				if running {
					duringIngest++
				}
				if err != nil {
					failed = append(failed, err.Error())
				} else if msg := q.answered(a); msg != "" {
					wrong = append(wrong, msg)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	select {
	case <-ingExited:
	case <-time.After(3 * time.Minute): // 300 reports beside 8 busy clients on 2 shared cores
		t.Fatalf("fazhi ingest did not finish\nstdout: %s\nstderr: %s", &ingOut, &ingErr)
	}
	if ingExit != nil {
		t.Fatalf("fazhi ingest beside the server: %v\nstdout: %s\nstderr: %s", ingExit, &ingOut, &ingErr)
	}
	if sum := fmt.Sprintf("ingested %d files: %d new,", added, added); !strings.Contains(ingOut.String(), sum) {
		t.Errorf("fazhi ingest: summary %q, want it to start %q", lastLine(ingOut.String()), sum)
	}
	if len(failed) > 0 {
		t.Errorf("%d of %d requests failed while the ingest ran, e.g. %s", len(failed), total, failed[0])
	}
	if len(wrong) > 0 {
		t.Errorf("%d of %d answers were wrong while the ingest ran:\n%s", len(wrong), total, strings.Join(wrong, "\n"))
	}
	t.Logf("%d questions by %d clients, %d failed, %d of them answered while the ingest ran", total, clients, len(failed), duringIngest)

	// The server sees the new reports, and answers from them, without a
	// restart.
	s.waitReports(t, 5+added, 30*time.Second)
	var town string
	for _, r := range s.documents(t) {
		if r.Source == "r0007.txt" {
			town = r.Town
		}
	}
	if town == "" {
		t.Fatal("GET /v1/documents does not list r0007.txt")
	}
	fig := lookAlikeFigure(t, "r0007.txt")
	if a := s.ask(t, lookAlikeQuestion(town)); !a.Found || !strings.Contains(a.Answer, fig) {
		t.Errorf("ask %q after the ingest: got found=%v %q, want %s", lookAlikeQuestion(town), a.Found, a.Answer, fig)
	}
}

// botToken is the Telegram token the bot tests give the server.
const botToken = "123:abc"

// botSent is a message the bot sent through the fake Bot API.
type botSent struct {
	Chat int64
	Text string
}

// fakeBotAPI is a minimal Telegram Bot API server: getMe, a getUpdates
// long poll over a queue of updates, and sendMessage and
// sendChatAction, which it records. Requests come as multipart forms (as
// go-telegram/bot sends them) or url-encoded forms.
type fakeBotAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	pending []*models.Update
	nextID  int64
	nextMsg int
	sent    []botSent
	wake    chan struct{}
}

func newFakeBotAPI(t *testing.T) *fakeBotAPI {
	t.Helper()
	api := &fakeBotAPI{t: t, wake: make(chan struct{}, 1), nextMsg: 500}
	api.srv = httptest.NewServer(http.HandlerFunc(api.serve))
	t.Cleanup(api.srv.Close)
	return api
}

// push queues a text message from user in their private chat.
func (api *fakeBotAPI) push(user int64, text string) {
	api.mu.Lock()
	api.nextID++
	api.nextMsg++
	api.pending = append(api.pending, &models.Update{
		ID: api.nextID,
		Message: &models.Message{
			ID:   api.nextMsg,
			From: &models.User{ID: user, FirstName: "U" + strconv.FormatInt(user, 10)},
			Chat: models.Chat{ID: user, Type: models.ChatTypePrivate},
			Date: int(time.Now().Unix()),
			Text: text,
		},
	})
	api.mu.Unlock()
	select {
	case api.wake <- struct{}{}:
	default:
	}
}

// messages returns what the bot has sent to chat so far.
func (api *fakeBotAPI) messages(chat int64) []string {
	api.mu.Lock()
	defer api.mu.Unlock()
	var out []string
	for _, m := range api.sent {
		if m.Chat == chat {
			out = append(out, m.Text)
		}
	}
	return out
}

// waitMessage polls until the bot has sent chat more than after messages
// and one of the new ones states the number want ("" takes any message);
// it returns the new messages.
func (api *fakeBotAPI) waitMessage(t *testing.T, chat int64, after int, want string, s *server) []string {
	t.Helper()
	deadline := time.Now().Add(startBound)
	for {
		msgs := api.messages(chat)
		if len(msgs) > after {
			for _, m := range msgs[after:] {
				if want == "" || hasNumber(m, want) {
					return msgs[after:]
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bot sent chat %d no message containing %q; it sent %q\nserver log:\n%s", chat, want, msgs[min(after, len(msgs)):], s.stderr)
		}
		time.Sleep(pollEvery)
	}
}

// hasNumber reports whether text states the number n on its own, not as
// part of a longer number (or of a hex file name).
func hasNumber(text, n string) bool {
	inNumber := func(b byte) bool { return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' } // digits, and hex digits of file names
	for i := 0; ; {
		j := strings.Index(text[i:], n)
		if j < 0 {
			return false
		}
		j += i
		if (j == 0 || !inNumber(text[j-1])) && (j+len(n) == len(text) || !inNumber(text[j+len(n)])) {
			return true
		}
		i = j + 1
	}
}

func (api *fakeBotAPI) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+botToken+"/")
	if !ok {
		botReply(w, http.StatusUnauthorized, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	// A call without parameters (getMe) has an empty body, and the bot
	// cancels its long poll mid-request when it stops: a form that does
	// not parse is an empty one.
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		r.ParseMultipartForm(1 << 20)
	} else {
		r.ParseForm()
	}
	ok200 := func(result any) { botReply(w, http.StatusOK, map[string]any{"ok": true, "result": result}) }
	switch method {
	case "getMe":
		ok200(models.User{ID: 777, IsBot: true, FirstName: "Fazhi", Username: "fazhi_test_bot"})
	case "getUpdates":
		offset, _ := strconv.ParseInt(r.FormValue("offset"), 10, 64)
		take := func() []*models.Update {
			api.mu.Lock()
			defer api.mu.Unlock()
			keep := api.pending[:0]
			for _, u := range api.pending {
				if u.ID >= offset {
					keep = append(keep, u)
				}
			}
			api.pending = keep
			return append([]*models.Update{}, keep...)
		}
		ups := take()
		if len(ups) == 0 {
			// A long poll, held briefly.
			hold := time.NewTimer(200 * time.Millisecond)
			defer hold.Stop()
			select {
			case <-api.wake:
			case <-hold.C:
			case <-r.Context().Done():
				return
			}
			ups = take()
		}
		ok200(ups)
	case "sendMessage":
		chat, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
		api.mu.Lock()
		api.sent = append(api.sent, botSent{Chat: chat, Text: r.FormValue("text")})
		api.nextMsg++
		id := api.nextMsg
		api.mu.Unlock()
		ok200(models.Message{ID: id, Chat: models.Chat{ID: chat, Type: models.ChatTypePrivate}, Text: r.FormValue("text"), From: &models.User{ID: 777, IsBot: true}})
	case "sendChatAction":
		ok200(true)
	default:
		api.t.Errorf("fake Bot API: unexpected method %q", method)
		botReply(w, http.StatusNotFound, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
	}
}

func botReply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// TestServeTelegram runs the Telegram bot inside `fazhi serve` against a
// fake Bot API: an allowed user gets answers (a follow-up question too),
// another user gets none, and the token stays out of the log.
func TestServeTelegram(t *testing.T) {
	skipShort(t)
	bin := buildBinary(t)
	api := newFakeBotAPI(t)
	s := startServe(t, bin, []string{
		"FAZHI_TELEGRAM_TOKEN=" + botToken,
		"FAZHI_TELEGRAM_API_URL=" + api.srv.URL,
		"FAZHI_TELEGRAM_ALLOWED_USERS=42",
	}, "--data", t.TempDir())
	s.waitLog(t, "telegram bot running")

	const allowed, stranger = 42, 99
	steps := []struct{ question, want string }{
		{"How many disputes did Yumen mediate in 2020?", "368"},
		{"那城关镇呢？", "46"}, // a follow-up: the same question about another town
		{"拾万镇2021年共受理信访案件多少宗？", "34"},
	}
	for _, st := range steps {
		before := len(api.messages(allowed))
		api.push(allowed, st.question)
		got := api.waitMessage(t, allowed, before, st.want, s)
		t.Logf("%s → %q", st.question, got)
	}

	api.push(stranger, steps[0].question)
	refusal := api.waitMessage(t, stranger, 0, "", s)
	// Anything the stranger's update made the bot do is done once it has
	// answered a later question of the allowed user's.
	before := len(api.messages(allowed))
	api.push(allowed, steps[2].question)
	api.waitMessage(t, allowed, before, steps[2].want, s)
	for _, m := range api.messages(stranger) {
		if hasNumber(m, steps[0].want) {
			t.Errorf("user %d, not allowed, was sent an answer: %q", stranger, m)
		}
	}
	if strings.Contains(s.stderr.String(), `"user":"99"`) && strings.Contains(s.stderr.String(), "bot: answered") {
		for line := range strings.Lines(s.stderr.String()) {
			if strings.Contains(line, "bot: answered") && strings.Contains(line, `"user":"99"`) {
				t.Errorf("the engine answered user %d, who is not allowed: %s", stranger, line)
			}
		}
	}
	t.Logf("user %d was told: %q", stranger, refusal)

	log := s.stderr.String()
	for _, leak := range []string{botToken, "123%3Aabc"} {
		if strings.Contains(log, leak) {
			t.Errorf("the server log contains the bot token (%q):\n%s", leak, log)
		}
	}
}

// postgresSchemaURL returns FAZHI_TEST_POSTGRES_URL with a search_path
// that starts with a fresh schema of this test's own, dropped at cleanup
// (after the servers, registered later, are killed). It skips the test
// when the variable is not set.
func postgresSchemaURL(t *testing.T) string {
	t.Helper()
	const urlEnv = "FAZHI_TEST_POSTGRES_URL"
	base := os.Getenv(urlEnv)
	if base == "" {
		t.Skipf("%s is not set: run `bash .ci/postgres.sh` and `export %s=$(cat /tmp/fazhi-postgres.url)` to run replicas on PostgreSQL", urlEnv, urlEnv)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, got %q", urlEnv, redactURL(base))
	}
	ctx, cancel := context.WithTimeout(context.Background(), startBound)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", urlEnv, err)
	}
	defer conn.Close(ctx)
	// The extension lives in public, on the schema's search_path.
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS vector SCHEMA public`); err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "23505" { // another package's tests made it at the same moment
			t.Fatalf("create extension vector: %v", err)
		}
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "fazhi_test_serve_" + hex.EncodeToString(b)
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+ident); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), startBound)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+ident+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// TestServeReplicasOnPostgres runs two servers on one PostgreSQL store,
// started together on an empty store: both may ingest the samples, and
// the store still ends with each sample once. Questions through one
// replica are answered, and a report uploaded through the other is
// answerable through the first.
func TestServeReplicasOnPostgres(t *testing.T) {
	skipShort(t)
	store := postgresSchemaURL(t)
	bin := buildBinary(t)
	env := []string{"FAZHI_ADMIN_TOKEN=tok", "FAZHI_STORE=" + store}
	a := launchServe(t, bin, env)
	b := launchServe(t, bin, env)
	a.waitListening(t)
	b.waitListening(t)
	for _, s := range []*server{a, b} {
		if st := s.stats(t); st.Reports != 5 {
			t.Errorf("replica %s after both started on an empty store: got %d reports, want the 5 samples once each", s.url, st.Reports)
		}
	}
	ingested := 0
	for _, s := range []*server{a, b} {
		if strings.Contains(s.stderr.String(), "ingested the sample reports") {
			ingested++
		}
	}
	t.Logf("%d of 2 replicas ingested the samples", ingested)

	for _, q := range seedQuestions(t) {
		if msg := q.answered(a.ask(t, q.Question)); msg != "" {
			t.Errorf("replica A: %s", msg)
		}
	}

	const short, figure = "复制", 919
	if status, body := b.upload(t, "Bearer tok", "fuzhi.txt", townReport(t, short, figure)); status != http.StatusCreated {
		t.Fatalf("upload through replica B: got status %d, want 201: %s", status, body)
	}
	start := time.Now()
	// A bound on seeing the other replica's write at all, not a speed
	// target: generous for the race detector on a loaded machine.
	const bound = 15 * time.Second
	for {
		ans := a.ask(t, disputesQuestion(short))
		if ans.Found && strings.Contains(ans.Answer, strconv.Itoa(figure)) {
			break
		}
		if time.Since(start) > bound {
			t.Fatalf("replica A does not answer %q %v after the upload through B: got found=%v %q, want %d", disputesQuestion(short), bound, ans.Found, ans.Answer, figure)
		}
		time.Sleep(pollEvery)
	}
	t.Logf("replica A answered from B's upload after %v", time.Since(start).Round(time.Millisecond))
	if st := a.stats(t); st.Reports != 6 {
		t.Errorf("replica A after B's upload: got %d reports, want 6", st.Reports)
	}
}
