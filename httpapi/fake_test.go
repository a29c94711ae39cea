package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fazhi/httpapi"
	"fazhi/ingest"
	"fazhi/rag"
)

// The real Engine must satisfy the interface the API consumes.
var _ httpapi.Engine = (*rag.Engine)(nil)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// fakeEngine is an httpapi.Engine that returns canned values and records
// what it was asked.
type fakeEngine struct {
	mu sync.Mutex

	answer rag.Answer
	askErr error
	// waitForCancel makes Ask wait (up to 10 s) for its context to end and
	// return its error, as the engine does when a request times out.
	waitForCancel bool
	cancelled     bool
	pieces        []string // streamed by AskStream before it returns answer
	streamErr     error    // returned by AskStream after streaming pieces
	questions     []rag.Question

	reports []rag.ReportInfo
	facts   []ingest.Fact
	filters []rag.FactFilter

	stats    rag.Stats
	statsErr error

	ingestRes   rag.IngestResult
	ingestErr   error
	ingestNames []string
	ingestData  [][]byte

	deleteErr error
	deleted   []string

	document    rag.Document
	documentErr error
	documentReq [][2]string // source and quote asked for

	table    rag.Table
	tableErr error
	tableReq []string // "metric|town|year" asked for

	panicOnAsk bool
}

func (f *fakeEngine) Ask(ctx context.Context, q rag.Question) (rag.Answer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.panicOnAsk {
		panic("boom")
	}
	f.questions = append(f.questions, q)
	if f.waitForCancel {
		select {
		case <-ctx.Done():
			f.cancelled = true
			return rag.Answer{}, fmt.Errorf("ask: %w", ctx.Err())
		case <-time.After(10 * time.Second): // never cancelled: answer, and the test fails
		}
	}
	return f.answer, f.askErr
}

func (f *fakeEngine) sawCancel() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cancelled
}

func (f *fakeEngine) AskStream(ctx context.Context, q rag.Question, onChunk func(string) error) (rag.Answer, error) {
	f.mu.Lock()
	f.questions = append(f.questions, q)
	pieces, ans, err := f.pieces, f.answer, f.streamErr
	if f.askErr != nil {
		err = f.askErr
	}
	f.mu.Unlock()
	if f.askErr == nil {
		for _, p := range pieces {
			if err := onChunk(p); err != nil {
				return rag.Answer{}, err
			}
		}
	}
	return ans, err
}

func (f *fakeEngine) Reports(ctx context.Context) ([]rag.ReportInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reports, nil
}

func (f *fakeEngine) Facts(ctx context.Context, filter rag.FactFilter) ([]ingest.Fact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, filter)
	// The page asked for, as the stores cut it.
	out := f.facts[min(filter.Offset, len(f.facts)):]
	if filter.Limit > 0 && len(out) > filter.Limit {
		out = out[:filter.Limit]
	}
	return out, nil
}

func (f *fakeEngine) Stats(ctx context.Context) (rag.Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats, f.statsErr
}

func (f *fakeEngine) IngestFile(ctx context.Context, name string, data []byte) (rag.IngestResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ingestNames = append(f.ingestNames, name)
	f.ingestData = append(f.ingestData, data)
	if f.ingestErr != nil {
		return rag.IngestResult{}, f.ingestErr
	}
	res := f.ingestRes
	if res.Source == "" {
		res.Source = name
	}
	return res, nil
}

func (f *fakeEngine) Document(ctx context.Context, source, quote string) (rag.Document, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.documentReq = append(f.documentReq, [2]string{source, quote})
	return f.document, f.documentErr
}

func (f *fakeEngine) MetricTable(ctx context.Context, metric, town string, year int) (rag.Table, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tableReq = append(f.tableReq, fmt.Sprintf("%s|%s|%d", metric, town, year))
	return f.table, f.tableErr
}

func (f *fakeEngine) Delete(ctx context.Context, source string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, source)
	return f.deleteErr
}

func (f *fakeEngine) questionCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.questions)
}

func (f *fakeEngine) lastQuestion(t *testing.T) rag.Question {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.questions) == 0 {
		t.Fatal("engine was not asked anything")
	}
	return f.questions[len(f.questions)-1]
}

// yumenAnswer is a found answer with one citation, as the Engine gives it.
func yumenAnswer() rag.Answer {
	return rag.Answer{
		Answer: "2020年渔门镇共排查、调解各类矛盾纠纷368件。",
		Found:  true,
		Mode:   "extractive",
		Citations: []rag.Citation{{
			Source:  "000_cd4b96a87fea5f69.txt",
			Title:   "渔门镇2020年度法治政府建设工作报告",
			Town:    "渔门镇",
			Year:    2020,
			Section: "一、主要举措 > （四）防化结合",
			Quote:   "全年共排查、调解各类矛盾纠纷368件，调解成功率100%。",
		}},
	}
}

// newTestServer returns a Server over eng with rate limiting off unless cfg
// sets it, logging to the test log on failure only.
func newTestServer(t *testing.T, eng httpapi.Engine, cfg httpapi.Config) *httpapi.Server {
	t.Helper()
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = -1
	}
	return httpapi.New(eng, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// serve runs one request through h and returns the recorded response.
func serve(t *testing.T, h http.Handler, method, target string, body io.Reader, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// postJSON sends body (a string of JSON) to target.
func postJSON(t *testing.T, h http.Handler, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	return serve(t, h, http.MethodPost, target, strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
}

// mustDecode decodes the JSON body of rec into a value of type T.
func mustDecode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

// wantError checks status and that the body is a JSON {"error": ...}
// containing each of the substrings.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, substrings ...string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	e := mustDecode[struct {
		Error string `json:"error"`
	}](t, rec.Body.Bytes())
	if e.Error == "" {
		t.Errorf("error body %s has no \"error\" message", rec.Body)
	}
	for _, s := range substrings {
		if !strings.Contains(e.Error, s) {
			t.Errorf("error %q does not mention %q", e.Error, s)
		}
	}
}

// multipartBody builds a form with one file field.
func multipartBody(t *testing.T, field, filename string, data []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="` + field + `"; filename="` + filename + `"`}
	h["Content-Type"] = []string{"application/octet-stream"}
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n got: %q\nwant: %q", name, got, want)
	}
}
