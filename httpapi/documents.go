package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"fazhi/ingest"
	"fazhi/rag"
)

// maxFileNameBytes caps an uploaded file name (a common file system limit).
const maxFileNameBytes = 255

// multipartOverhead is allowed on top of MaxUploadBytes for the multipart
// framing and any small extra form fields.
const multipartOverhead = 1 << 20

// handleListDocuments serves GET /v1/documents.
func (s *Server) handleListDocuments(w http.ResponseWriter, r *http.Request) {
	reports, err := s.eng.Reports(r.Context())
	if err != nil {
		s.engineError(w, r, "reports", err)
		return
	}
	if reports == nil {
		reports = []rag.ReportInfo{}
	}
	writeJSON(w, http.StatusOK, reports)
}

// handleUploadDocument serves POST /v1/documents: a multipart form whose
// "file" field is ingested. 201 when the report is new or replaced, 200
// when nothing was written: it was stored unchanged, or its content is
// stored under another name (status "duplicate", duplicate_of that name).
func (s *Server) handleUploadDocument(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes+multipartOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusUnsupportedMediaType, "expected a multipart/form-data body with a \"file\" field")
		return
	}
	name, data, status, err := s.readUpload(mr)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	res, err := s.eng.IngestFile(r.Context(), name, data)
	if err != nil {
		if status, ok := ingestErrorStatus(err); ok {
			writeError(w, status, err.Error())
			return
		}
		s.engineError(w, r, "ingest", err)
		return
	}
	if res.Status == rag.StatusUnchanged || res.Status == rag.StatusDuplicate {
		writeJSON(w, http.StatusOK, res)
		return
	}
	s.metrics.addIngested(1)
	writeJSON(w, http.StatusCreated, res)
}

// readUpload finds the "file" part and reads it whole, bounded by
// MaxUploadBytes. On failure it returns the status to answer with.
func (s *Server) readUpload(mr *multipart.Reader) (name string, data []byte, status int, err error) {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", nil, http.StatusBadRequest, errors.New("missing \"file\" field in the form")
		}
		if err != nil {
			return "", nil, uploadReadStatus(err), fmt.Errorf("reading form: %s", uploadReadMessage(err))
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		name, err := sanitizeFileName(rawFileName(part))
		if err != nil {
			return "", nil, http.StatusBadRequest, err
		}
		data, err := io.ReadAll(io.LimitReader(part, s.cfg.MaxUploadBytes+1))
		if err != nil {
			return "", nil, uploadReadStatus(err), fmt.Errorf("reading file: %s", uploadReadMessage(err))
		}
		if int64(len(data)) > s.cfg.MaxUploadBytes {
			return "", nil, http.StatusRequestEntityTooLarge,
				fmt.Errorf("file too large (limit %d bytes)", s.cfg.MaxUploadBytes)
		}
		return name, data, 0, nil
	}
}

func uploadReadStatus(err error) int {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func uploadReadMessage(err error) string {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return "body too large (limit " + strconv.FormatInt(tooBig.Limit, 10) + " bytes)"
	}
	return "malformed multipart body"
}

// rawFileName is the filename parameter as the client sent it.
// multipart.Part.FileName already applies filepath.Base, which on Unix
// leaves Windows paths ("..\\..\\x.txt") whole; sanitizeFileName needs the
// original to handle both separators.
func rawFileName(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return p.FileName()
	}
	return params["filename"]
}

// sanitizeFileName reduces a client-supplied file name to a safe base name:
// both slash kinds count as separators, only the last element is kept, and
// empty, dot, over-long names or names with control characters are
// rejected.
func sanitizeFileName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", errors.New("file name is not valid UTF-8")
	}
	for _, r := range name {
		if r == 0 || unicode.IsControl(r) {
			return "", errors.New("file name contains control characters")
		}
	}
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	base = strings.TrimSpace(base)
	switch base {
	case "", ".", "..", "/":
		return "", errors.New("missing or invalid file name")
	}
	if len(base) > maxFileNameBytes {
		return "", fmt.Errorf("file name too long (at most %d bytes)", maxFileNameBytes)
	}
	return base, nil
}

// ingestErrorStatus maps ingest errors caused by the uploaded file itself to
// a client status.
func ingestErrorStatus(err error) (int, bool) {
	switch {
	case errors.Is(err, ingest.ErrUnsupported):
		return http.StatusUnsupportedMediaType, true
	case errors.Is(err, ingest.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, true
	case errors.Is(err, ingest.ErrEmpty), errors.Is(err, ingest.ErrCorrupt):
		return http.StatusBadRequest, true
	}
	return 0, false
}

// handleDeleteDocument serves DELETE /v1/documents/{source...}; a
// source may hold "/" ("渔门镇/2020年工作报告.txt").
func (s *Server) handleDeleteDocument(w http.ResponseWriter, r *http.Request) {
	source := r.PathValue("source")
	if _, err := rag.CheckSource(source); err != nil {
		writeError(w, http.StatusBadRequest, "source: "+err.Error()+" (a report's name as listed)")
		return
	}
	if err := s.eng.Delete(r.Context(), source); err != nil {
		if errors.Is(err, rag.ErrNotFound) {
			writeError(w, http.StatusNotFound, "no report with source "+strconv.Quote(source))
			return
		}
		s.engineError(w, r, "delete", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// maxQuoteRunes bounds the quote a document is searched for.
const maxQuoteRunes = 4000

// documentResponse is GET /v1/documents/{source}: the report's metadata,
// outline and parts, its plain text, and where the quote stands.
type documentResponse struct {
	rag.Document
	Text string `json:"text"`
}

// handleGetDocument serves GET /v1/documents/{source}?quote=: a report as
// text with its section outline; with quote, "found" points at the
// sentences it stands in, for the page to scroll to and highlight.
func (s *Server) handleGetDocument(w http.ResponseWriter, r *http.Request) {
	source := r.PathValue("source")
	if source == "" || !utf8.ValidString(source) || strings.ContainsRune(source, 0) {
		writeError(w, http.StatusBadRequest, "source: must be a report file name")
		return
	}
	quote := r.URL.Query().Get("quote")
	if !utf8.ValidString(quote) || utf8.RuneCountInString(quote) > maxQuoteRunes {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("quote: must be valid UTF-8 of at most %d characters", maxQuoteRunes))
		return
	}
	d, err := s.eng.Document(r.Context(), source, quote)
	if err != nil {
		if errors.Is(err, rag.ErrNotFound) {
			writeError(w, http.StatusNotFound, "no report with source "+strconv.Quote(source))
			return
		}
		s.engineError(w, r, "document", err)
		return
	}
	writeJSON(w, http.StatusOK, documentResponse{Document: d, Text: d.Text()})
}
