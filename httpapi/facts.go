package httpapi

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"fazhi/ingest"
	"fazhi/internal/factsheet"
	"fazhi/rag"
)

// handleFacts serves GET /v1/facts?town=&year=&metric=&q= as a JSON array,
// as CSV when asked with Accept: text/csv or format=csv, or as an .xlsx
// workbook with format=xlsx.
func (s *Server) handleFacts(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	f, format, err := parseFactQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	facts, err := s.eng.Facts(r.Context(), f)
	if err != nil {
		s.engineError(w, r, "facts", err)
		return
	}
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="facts.csv"`)
		if err := factsheet.WriteCSV(w, facts); err != nil {
			s.log.Warn("writing facts CSV", "err", err)
		}
	case "xlsx":
		s.download(w, factsheet.XLSXContentType, "facts.xlsx", func(b *bytes.Buffer) error { return factsheet.WriteXLSX(b, facts) })
	default:
		if facts == nil {
			facts = []ingest.Fact{}
		}
		writeJSON(w, http.StatusOK, facts)
	}
}

// parseFactQuery reads the filter and the wanted format ("json", "csv" or
// "xlsx") from the query string. Its errors name the offending parameter.
func parseFactQuery(r *http.Request) (f rag.FactFilter, format string, err error) {
	q := r.URL.Query()
	for _, key := range []string{"town", "year", "metric", "q", "format"} {
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
