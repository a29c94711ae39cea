package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"fazhi/ingest"
	"fazhi/rag"
)

const (
	testToken    = "123456:SECRET-test_token-abc"
	botUserID    = 777
	botUsername  = "fazhi_test_bot"
	waitFailsafe = 10 * time.Second // only reached when a test is broken
	pollHold     = 150 * time.Millisecond
)

// fakeAPI is a Bot API server: it queues updates for getUpdates and records
// what the bot sends. Requests arrive as multipart/form-data, as the
// library sends them.
type fakeAPI struct {
	t   testing.TB
	srv *httptest.Server

	mu           sync.Mutex
	pending      []*models.Update
	nextUpdateID int64
	nextMsgID    int
	sendFailures []apiFailure // consumed by sendMessage, oldest first
	pollFailures []apiFailure // consumed by getUpdates
	files        map[string]fakeFile
	calls        map[string]int

	wake    chan struct{}
	sent    chan sentMessage
	actions chan sentAction
}

type apiFailure struct {
	status     int
	retryAfter int
}

type fakeFile struct {
	path string
	data []byte
	size int64 // file_size reported by getFile; len(data) when 0
	// broken makes the download connection drop without a response.
	broken bool
}

type sentMessage struct {
	ChatID    int64
	Text      string
	ParseMode string
	ReplyTo   int
}

type sentAction struct {
	ChatID int64
	Action string
}

func newFakeAPI(t testing.TB) *fakeAPI {
	t.Helper()
	api := &fakeAPI{
		t:         t,
		nextMsgID: 1000,
		files:     make(map[string]fakeFile),
		calls:     make(map[string]int),
		wake:      make(chan struct{}, 1),
		sent:      make(chan sentMessage, 100),
		actions:   make(chan sentAction, 100),
	}
	api.srv = httptest.NewServer(http.HandlerFunc(api.serve))
	return api
}

func (api *fakeAPI) URL() string { return api.srv.URL }

// push queues an update for getUpdates.
func (api *fakeAPI) push(u *models.Update) {
	api.mu.Lock()
	api.nextUpdateID++
	u.ID = api.nextUpdateID
	api.pending = append(api.pending, u)
	api.mu.Unlock()
	select {
	case api.wake <- struct{}{}:
	default:
	}
}

func (api *fakeAPI) failSend(f apiFailure) {
	api.mu.Lock()
	defer api.mu.Unlock()
	api.sendFailures = append(api.sendFailures, f)
}

func (api *fakeAPI) failPoll(f apiFailure) {
	api.mu.Lock()
	defer api.mu.Unlock()
	api.pollFailures = append(api.pollFailures, f)
}

func (api *fakeAPI) addFile(id string, f fakeFile) {
	api.mu.Lock()
	defer api.mu.Unlock()
	api.files[id] = f
}

func (api *fakeAPI) callCount(method string) int {
	api.mu.Lock()
	defer api.mu.Unlock()
	return api.calls[method]
}

// next returns the next message the bot sent.
func (api *fakeAPI) next(t testing.TB) sentMessage {
	t.Helper()
	select {
	case m := <-api.sent:
		return m
	case <-time.After(waitFailsafe):
		t.Fatal("no message sent by the bot")
		return sentMessage{}
	}
}

// nextAction returns the next chat action the bot sent.
func (api *fakeAPI) nextAction(t testing.TB) sentAction {
	t.Helper()
	select {
	case a := <-api.actions:
		return a
	case <-time.After(waitFailsafe):
		t.Fatal("no chat action sent by the bot")
		return sentAction{}
	}
}

func (api *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+testToken+"/"); ok {
		api.serveFile(w, rest)
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+testToken+"/")
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && method != "getMe" {
		// The bot cancels its long poll on shutdown, mid-request.
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: bad form"})
		return
	}
	api.mu.Lock()
	api.calls[method]++
	api.mu.Unlock()

	switch method {
	case "getMe":
		ok200(w, models.User{ID: botUserID, IsBot: true, FirstName: "Fazhi", Username: botUsername})
	case "getUpdates":
		api.getUpdates(w, r)
	case "sendMessage":
		if f, failed := api.popFailure(&api.sendFailures); failed {
			writeFailure(w, f)
			return
		}
		chat, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
		m := sentMessage{ChatID: chat, Text: r.FormValue("text"), ParseMode: r.FormValue("parse_mode")}
		if rp := r.FormValue("reply_parameters"); rp != "" {
			var p models.ReplyParameters
			if err := json.Unmarshal([]byte(rp), &p); err != nil {
				api.t.Errorf("fake api: reply_parameters %q: %v", rp, err)
			}
			m.ReplyTo = p.MessageID
		}
		api.mu.Lock()
		api.nextMsgID++
		id := api.nextMsgID
		api.mu.Unlock()
		api.sent <- m
		ok200(w, models.Message{ID: id, Chat: models.Chat{ID: chat}, Text: m.Text, From: &models.User{ID: botUserID, IsBot: true}})
	case "sendChatAction":
		chat, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
		api.actions <- sentAction{ChatID: chat, Action: r.FormValue("action")}
		ok200(w, true)
	case "getFile":
		id := r.FormValue("file_id")
		api.mu.Lock()
		f, found := api.files[id]
		api.mu.Unlock()
		if !found {
			writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: invalid file_id"})
			return
		}
		size := f.size
		if size == 0 {
			size = int64(len(f.data))
		}
		ok200(w, models.File{FileID: id, FileUniqueID: "u" + id, FileSize: size, FilePath: f.path})
	default:
		api.t.Errorf("fake api: unexpected method %q", method)
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
	}
}

// getUpdates returns the updates at or after offset, holding the request
// for a while when there are none, as a long poll does.
func (api *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request) {
	if f, failed := api.popFailure(&api.pollFailures); failed {
		writeFailure(w, f)
		return
	}
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
		return append([]*models.Update(nil), keep...)
	}
	ups := take()
	if len(ups) == 0 {
		t := time.NewTimer(pollHold)
		defer t.Stop()
		select {
		case <-api.wake:
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		ups = take()
	}
	ok200(w, ups)
}

func (api *fakeAPI) serveFile(w http.ResponseWriter, filePath string) {
	api.mu.Lock()
	api.calls["download "+filePath]++
	var found *fakeFile
	for _, f := range api.files {
		if f.path == filePath {
			found = &f
			break
		}
	}
	api.mu.Unlock()
	if found == nil {
		http.NotFound(w, nil)
		return
	}
	if found.broken {
		panic(http.ErrAbortHandler) // drops the connection before any reply
	}
	_, _ = w.Write(found.data)
}

func (api *fakeAPI) popFailure(q *[]apiFailure) (apiFailure, bool) {
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(*q) == 0 {
		return apiFailure{}, false
	}
	f := (*q)[0]
	*q = (*q)[1:]
	return f, true
}

func writeFailure(w http.ResponseWriter, f apiFailure) {
	body := map[string]any{"ok": false, "error_code": f.status, "description": http.StatusText(f.status)}
	if f.retryAfter > 0 {
		body["description"] = fmt.Sprintf("Too Many Requests: retry after %d", f.retryAfter)
		body["parameters"] = map[string]any{"retry_after": f.retryAfter}
	}
	writeJSON(w, f.status, body)
}

func ok200(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeEngine records what it is asked and answers through its fields.
type fakeEngine struct {
	mu       sync.Mutex
	asks     []rag.Question
	filters  []rag.FactFilter
	ingested []ingestCall

	answer  func(q rag.Question) (rag.Answer, error)
	block   bool // Ask waits for its context to end, as a hung model would
	reports []rag.ReportInfo
	facts   []ingest.Fact
	err     error // returned by Reports, Facts and IngestFile when set
}

type ingestCall struct {
	name string
	data []byte
}

func (e *fakeEngine) Ask(ctx context.Context, q rag.Question) (rag.Answer, error) {
	e.mu.Lock()
	e.asks = append(e.asks, q)
	answer, block := e.answer, e.block
	e.mu.Unlock()
	if block {
		<-ctx.Done()
		return rag.Answer{}, fmt.Errorf("ask: %w", ctx.Err())
	}
	if answer == nil {
		return rag.Answer{Answer: "答：" + q.Text, Found: true, Mode: "extractive"}, nil
	}
	return answer(q)
}

func (e *fakeEngine) Reports(context.Context) ([]rag.ReportInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reports, e.err
}

func (e *fakeEngine) Facts(_ context.Context, f rag.FactFilter) ([]ingest.Fact, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.filters = append(e.filters, f)
	var out []ingest.Fact
	for _, x := range e.facts {
		if (f.Town == "" || x.Town == f.Town) && (f.Year == 0 || x.Year == f.Year) {
			out = append(out, x)
		}
	}
	return out, e.err
}

func (e *fakeEngine) IngestFile(_ context.Context, name string, data []byte) (rag.IngestResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ingested = append(e.ingested, ingestCall{name: name, data: bytes.Clone(data)})
	if e.err != nil {
		return rag.IngestResult{}, e.err
	}
	rep := ingest.Report{Source: name, Town: "新场镇", Year: 2022, Title: "新场镇2022年度法治政府建设工作报告"}
	return rag.IngestResult{Source: name, Status: rag.StatusNew, Report: rag.ReportInfo{Report: rep, Chunks: 12, Facts: 5}}, nil
}

func (e *fakeEngine) questions() []rag.Question {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]rag.Question(nil), e.asks...)
}

func (e *fakeEngine) ingestCalls() []ingestCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]ingestCall(nil), e.ingested...)
}

func (e *fakeEngine) factFilters() []rag.FactFilter {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]rag.FactFilter(nil), e.filters...)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger
// and reads of a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

var msgSeq struct {
	sync.Mutex
	n int
}

func nextMessageID() int {
	msgSeq.Lock()
	defer msgSeq.Unlock()
	msgSeq.n++
	return msgSeq.n
}

// privateText is a text message from user in their private chat.
func privateText(user int64, text string) *models.Update {
	return &models.Update{Message: &models.Message{
		ID:   nextMessageID(),
		From: &models.User{ID: user, FirstName: "U" + strconv.FormatInt(user, 10)},
		Chat: models.Chat{ID: user, Type: models.ChatTypePrivate},
		Date: int(time.Now().Unix()),
		Text: text,
	}}
}

// groupText is a text message from user in group chat; a leading
// "@username" gets a mention entity, as Telegram adds one.
func groupText(chat, user int64, text string) *models.Update {
	m := &models.Message{
		ID:   nextMessageID(),
		From: &models.User{ID: user, FirstName: "U"},
		Chat: models.Chat{ID: chat, Type: models.ChatTypeSupergroup, Title: "法治办"},
		Date: int(time.Now().Unix()),
		Text: text,
	}
	if strings.HasPrefix(text, "@") {
		name, _, _ := strings.Cut(text, " ")
		m.Entities = []models.MessageEntity{{Type: models.MessageEntityTypeMention, Offset: 0, Length: len([]rune(name))}}
	}
	return &models.Update{Message: m}
}

// document is a file sent by user in their private chat.
func document(user int64, fileID, name string, size int64) *models.Update {
	return &models.Update{Message: &models.Message{
		ID:       nextMessageID(),
		From:     &models.User{ID: user, FirstName: "Admin"},
		Chat:     models.Chat{ID: user, Type: models.ChatTypePrivate},
		Date:     int(time.Now().Unix()),
		Document: &models.Document{FileID: fileID, FileUniqueID: "u" + fileID, FileName: name, FileSize: size},
	}}
}
