package httpapi

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"fazhi/ingest"
	"fazhi/internal/factsheet"
	"fazhi/rag"
)

// downloadPageSize is how many facts a download reads at a time.
const downloadPageSize = 5000

// handleFacts serves GET /v1/facts?town=&year=&metric=&q=&limit=&offset=
// as a JSON array of at most limit facts (default rag.DefaultFactsLimit,
// at most rag.MaxFactsLimit) from offset on; when more follow, a Link
// header (rel="next") and X-Next-Offset say where. As CSV (Accept:
// text/csv or format=csv) it streams every matching fact; as an .xlsx
// workbook (format=xlsx) it holds every matching fact.
func (s *Server) handleFacts(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	f, format, err := parseFactQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if format != "json" {
		s.downloadFacts(w, r, f, format)
		return
	}
	limit := f.Limit
	f.Limit++ // one more tells whether a next page exists
	facts, err := s.eng.Facts(r.Context(), f)
	if err != nil {
		s.engineError(w, r, "facts", err)
		return
	}
	if len(facts) > limit {
		facts = facts[:limit]
		next := r.URL.Query()
		next.Set("limit", strconv.Itoa(limit))
		next.Set("offset", strconv.Itoa(f.Offset+limit))
		w.Header().Set("Link", "</v1/facts?"+next.Encode()+">; rel=\"next\"")
		w.Header().Set("X-Next-Offset", strconv.Itoa(f.Offset+limit))
	}
	if facts == nil {
		facts = []ingest.Fact{}
	}
	writeJSON(w, http.StatusOK, facts)
}

// downloadFacts sends every fact matching f (limit and offset aside) as
// CSV, streamed a page at a time, or as an .xlsx workbook. The first page
// is read before anything is sent, so that a failure is still an error
// status.
func (s *Server) downloadFacts(w http.ResponseWriter, r *http.Request, f rag.FactFilter, format string) {
	f.Limit, f.Offset = downloadPageSize, 0
	first, err := s.eng.Facts(r.Context(), f)
	if err != nil {
		s.engineError(w, r, "facts", err)
		return
	}
	pages := func(yield func([]ingest.Fact) error) error {
		if err := yield(first); err != nil || len(first) < downloadPageSize {
			return err
		}
		rest := f
		rest.Offset = len(first)
		return rag.EachFactsPage(r.Context(), s.eng.Facts, rest, downloadPageSize, yield)
	}
	if format == "xlsx" {
		var all []ingest.Fact
		if err := pages(func(p []ingest.Fact) error { all = append(all, p...); return nil }); err != nil {
			s.engineError(w, r, "facts", err)
			return
		}
		s.download(w, factsheet.XLSXContentType, "facts.xlsx", func(b *bytes.Buffer) error { return factsheet.WriteXLSX(b, all) })
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="facts.csv"`)
	if err := factsheet.WriteCSVPages(w, pages); err != nil {
		// Headers are out: the download ends short.
		s.log.Warn("writing facts CSV", "err", err)
	}
}

// parseFactQuery reads the filter and the wanted format ("json", "csv" or
// "xlsx") from the query string. Its errors name the offending parameter.
func parseFactQuery(r *http.Request) (f rag.FactFilter, format string, err error) {
	q := r.URL.Query()
	for _, key := range []string{"town", "year", "metric", "q", "format", "limit", "offset"} {
		if !utf8.ValidString(q.Get(key)) {
			return f, "", fmt.Errorf("%s: not valid UTF-8", key)
		}
	}
	f.Town = strings.TrimSpace(q.Get("town"))
	f.Metric = strings.TrimSpace(q.Get("metric"))
	f.Query = strings.TrimSpace(q.Get("q"))
	if f.Year, err = parseYear(q.Get("year")); err != nil {
		return f, "", err
	}
	f.Limit = rag.DefaultFactsLimit
	if l := strings.TrimSpace(q.Get("limit")); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > rag.MaxFactsLimit {
			return f, "", fmt.Errorf("limit: must be 1 to %d, got %q", rag.MaxFactsLimit, l)
		}
		f.Limit = n
	}
	if o := strings.TrimSpace(q.Get("offset")); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil || n < 0 {
			return f, "", fmt.Errorf("offset: must be a whole number, 0 or more, got %q", o)
		}
		f.Offset = n
	}
	switch format = q.Get("format"); format {
	case "csv", "json", "xlsx":
	case "":
		format = "json"
		if acceptsCSV(r.Header.Values("Accept")) {
			format = "csv"
		}
	default:
		return f, "", fmt.Errorf("format: must be \"json\", \"csv\" or \"xlsx\", got %q", format)
	}
	return f, format, nil
}

// acceptsCSV reports whether an Accept header asks for text/csv.
func acceptsCSV(accept []string) bool {
	for _, v := range accept {
		for _, item := range strings.Split(v, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(item))
			if err == nil && mt == "text/csv" {
				return true
			}
		}
	}
	return false
}
