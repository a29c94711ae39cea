package httpapi_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"fazhi/httpapi"
	"fazhi/ingest"
	"fazhi/rag"
)

func TestListDocuments(t *testing.T) {
	eng := &fakeEngine{}
	s := newTestServer(t, eng, httpapi.Config{})
	rec := serve(t, s, http.MethodGet, "/v1/documents", nil, nil)
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("empty store: %d %s, want 200 []", rec.Code, rec.Body)
	}
	eng.reports = []rag.ReportInfo{{
		Report: ingest.Report{Source: "000.txt", Title: "渔门镇2020年度法治政府建设工作报告", Town: "渔门镇", County: "盐边县", Year: 2020},
		Chunks: 12, Facts: 30,
	}}
	rec = serve(t, s, http.MethodGet, "/v1/documents", nil, nil)
	got := mustDecode[[]rag.ReportInfo](t, rec.Body.Bytes())
	if len(got) != 1 || got[0].Source != "000.txt" || got[0].Town != "渔门镇" || got[0].Chunks != 12 || got[0].Facts != 30 {
		t.Errorf("documents = %+v, want the engine's report", got)
	}
}

func TestUploadAuth(t *testing.T) {
	tests := []struct {
		name       string
		token      string // configured
		header     string // Authorization sent
		status     int
		wantIngest bool
	}{
		{"writes disabled", "", "Bearer anything", http.StatusForbidden, false},
		{"no header", "tok", "", http.StatusUnauthorized, false},
		{"not bearer", "tok", "Basic dG9rOg==", http.StatusUnauthorized, false},
		{"empty bearer", "tok", "Bearer ", http.StatusUnauthorized, false},
		{"wrong token", "tok", "Bearer tok2", http.StatusUnauthorized, false},
		{"prefix of token", "tok", "Bearer to", http.StatusUnauthorized, false},
		{"right token", "tok", "Bearer tok", http.StatusCreated, true},
		{"scheme case-insensitive", "tok", "bearer tok", http.StatusCreated, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := &fakeEngine{ingestRes: rag.IngestResult{Status: rag.StatusNew}}
			s := newTestServer(t, eng, httpapi.Config{AdminToken: tt.token})
			body, ct := multipartBody(t, "file", "report.txt", []byte("渔门镇2020年度法治政府建设工作报告"))
			hdr := map[string]string{"Content-Type": ct}
			if tt.header != "" {
				hdr["Authorization"] = tt.header
			}
			rec := serve(t, s, http.MethodPost, "/v1/documents", body, hdr)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if gotIngest := len(eng.ingestNames) > 0; gotIngest != tt.wantIngest {
				t.Errorf("engine called = %v, want %v", gotIngest, tt.wantIngest)
			}
			switch tt.status {
			case http.StatusUnauthorized:
				wantError(t, rec, tt.status)
				if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want Bearer", rec.Header().Get("WWW-Authenticate"))
				}
			case http.StatusForbidden:
				wantError(t, rec, tt.status, "FAZHI_ADMIN_TOKEN")
			case http.StatusCreated:
				res := mustDecode[rag.IngestResult](t, rec.Body.Bytes())
				if res.Source != "report.txt" || res.Status != rag.StatusNew {
					t.Errorf("result = %+v", res)
				}
				if string(eng.ingestData[0]) != "渔门镇2020年度法治政府建设工作报告" {
					t.Errorf("engine got data %q", eng.ingestData[0])
				}
			}
		})
	}
}

func TestUploadStatuses(t *testing.T) {
	tests := []struct {
		name   string
		res    rag.IngestResult
		err    error
		status int
	}{
		{"new", rag.IngestResult{Status: rag.StatusNew}, nil, http.StatusCreated},
		{"replaced", rag.IngestResult{Status: rag.StatusReplaced}, nil, http.StatusCreated},
		{"unchanged", rag.IngestResult{Status: rag.StatusUnchanged}, nil, http.StatusOK},
		{"unsupported", rag.IngestResult{}, fmt.Errorf("ingest x.exe: %w", ingest.ErrUnsupported), http.StatusUnsupportedMediaType},
		{"empty", rag.IngestResult{}, fmt.Errorf("ingest x.txt: %w", ingest.ErrEmpty), http.StatusBadRequest},
		{"corrupt", rag.IngestResult{}, fmt.Errorf("ingest x.pdf: %w", ingest.ErrCorrupt), http.StatusBadRequest},
		{"too large", rag.IngestResult{}, fmt.Errorf("ingest x.docx: %w", ingest.ErrTooLarge), http.StatusRequestEntityTooLarge},
		{"store failure", rag.IngestResult{}, errors.New("sqlite: disk I/O error"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := &fakeEngine{ingestRes: tt.res, ingestErr: tt.err}
			s := newTestServer(t, eng, httpapi.Config{AdminToken: "tok"})
			body, ct := multipartBody(t, "file", "x.txt", []byte("text"))
			rec := serve(t, s, http.MethodPost, "/v1/documents", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer tok"})
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if tt.err != nil {
				wantError(t, rec, tt.status)
				if tt.status < 500 && !strings.Contains(rec.Body.String(), tt.err.Error()) {
					t.Errorf("body %s: want the ingest message %q", rec.Body, tt.err)
				}
				if tt.status >= 500 && strings.Contains(rec.Body.String(), "sqlite") {
					t.Errorf("body %s leaks the internal error", rec.Body)
				}
			}
		})
	}
}

func TestUploadFileNameSanitised(t *testing.T) {
	tests := []struct {
		filename string
		want     string // "" = rejected with 400
	}{
		{"../../../../tmp/x.txt", "x.txt"},
		{`..\..\windows\system32\x.docx`, "x.docx"},
		{`C:\Users\me\Desktop\渔门镇2020年报告.pdf`, "渔门镇2020年报告.pdf"},
		{"/etc/passwd", "passwd"},
		{"report.txt", "report.txt"},
		{"..", ""},
		{".", ""},
		{"", ""},
		{"a/..", ""},
		{"dir/", "dir"},
		{"bad\x01name.txt", ""},
		{strings.Repeat("长", 100) + ".txt", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.filename), func(t *testing.T) {
			eng := &fakeEngine{ingestRes: rag.IngestResult{Status: rag.StatusNew}}
			s := newTestServer(t, eng, httpapi.Config{AdminToken: "tok"})
			body, ct := multipartBody(t, "file", tt.filename, []byte("报告正文"))
			rec := serve(t, s, http.MethodPost, "/v1/documents", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer tok"})
			if tt.want == "" {
				wantError(t, rec, http.StatusBadRequest)
				if len(eng.ingestNames) != 0 {
					t.Errorf("engine received %q, want no call", eng.ingestNames)
				}
				return
			}
			if rec.Code != http.StatusCreated {
				t.Fatalf("status = %d, want 201; body %s", rec.Code, rec.Body)
			}
			if len(eng.ingestNames) != 1 || eng.ingestNames[0] != tt.want {
				t.Errorf("engine received %q, want %q", eng.ingestNames, tt.want)
			}
		})
	}
}

func TestUploadBadForms(t *testing.T) {
	const limit = 1 << 10
	big := bytes.Repeat([]byte("法"), limit) // 3 KiB > limit
	tests := []struct {
		name   string
		body   func(t *testing.T) (io.Reader, string)
		status int
	}{
		{"not multipart", func(t *testing.T) (io.Reader, string) {
			return strings.NewReader(`{"file":"x"}`), "application/json"
		}, http.StatusUnsupportedMediaType},
		{"no file field", func(t *testing.T) (io.Reader, string) {
			return multipartBody(t, "document", "x.txt", []byte("x"))
		}, http.StatusBadRequest},
		{"file over MaxUploadBytes", func(t *testing.T) (io.Reader, string) {
			return multipartBody(t, "file", "x.txt", big)
		}, http.StatusRequestEntityTooLarge},
		{"truncated multipart", func(t *testing.T) (io.Reader, string) {
			r, ct := multipartBody(t, "file", "x.txt", []byte("abc"))
			data, _ := io.ReadAll(r)
			return bytes.NewReader(data[:len(data)/2]), ct
		}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := &fakeEngine{}
			s := newTestServer(t, eng, httpapi.Config{AdminToken: "tok", MaxUploadBytes: limit})
			body, ct := tt.body(t)
			rec := serve(t, s, http.MethodPost, "/v1/documents", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer tok"})
			wantError(t, rec, tt.status)
			if len(eng.ingestNames) != 0 {
				t.Errorf("engine received %q, want no call", eng.ingestNames)
			}
		})
	}
}

func TestDeleteDocument(t *testing.T) {
	tests := []struct {
		name   string
		target string
		err    error
		status int
		want   string // source the engine receives
	}{
		{"deleted", "/v1/documents/000_cd4b96a87fea5f69.txt", nil, http.StatusNoContent, "000_cd4b96a87fea5f69.txt"},
		{"escaped name", "/v1/documents/%E6%B8%94%E9%97%A8%E9%95%87.txt", nil, http.StatusNoContent, "渔门镇.txt"},
		{"not found", "/v1/documents/nope.txt", fmt.Errorf("delete nope.txt: %w", rag.ErrNotFound), http.StatusNotFound, "nope.txt"},
		{"store failure", "/v1/documents/a.txt", errors.New("disk"), http.StatusInternalServerError, "a.txt"},
		{"escaped slash", "/v1/documents/..%2Fsecret", nil, http.StatusBadRequest, ""},
		{"relative path", "/v1/documents/%E6%B8%94%E9%97%A8%E9%95%87/2020.txt", nil, http.StatusNoContent, "渔门镇/2020.txt"},
		{"escaped relative path", "/v1/documents/%E6%B8%94%E9%97%A8%E9%95%87%2F2020.txt", nil, http.StatusNoContent, "渔门镇/2020.txt"},
		{"backslash", "/v1/documents/a%5Cb.txt", nil, http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := &fakeEngine{deleteErr: tt.err}
			s := newTestServer(t, eng, httpapi.Config{AdminToken: "tok"})
			rec := serve(t, s, http.MethodDelete, tt.target, nil, map[string]string{"Authorization": "Bearer tok"})
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status >= 400 {
				wantError(t, rec, tt.status)
			}
			if tt.want == "" {
				if len(eng.deleted) != 0 {
					t.Errorf("engine deleted %q, want no call", eng.deleted)
				}
				return
			}
			if len(eng.deleted) != 1 || eng.deleted[0] != tt.want {
				t.Errorf("engine deleted %q, want %q", eng.deleted, tt.want)
			}
		})
	}
	t.Run("needs the token", func(t *testing.T) {
		eng := &fakeEngine{}
		s := newTestServer(t, eng, httpapi.Config{AdminToken: "tok"})
		wantError(t, serve(t, s, http.MethodDelete, "/v1/documents/a.txt", nil, nil), http.StatusUnauthorized)
		if len(eng.deleted) != 0 {
			t.Errorf("engine deleted %q without a token", eng.deleted)
		}
	})
}
