package httpapi

import (
	"encoding/csv"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"fazhi/ingest"
	"fazhi/rag"
)

// factsCSVHeader is the header row of the CSV form of GET /v1/facts.
var factsCSVHeader = []string{"source", "town", "year", "section", "subject", "metric", "value", "unit", "approx", "quote"}

// handleFacts serves GET /v1/facts?town=&year=&metric=&q= as a JSON array,
// or as CSV when asked with Accept: text/csv or format=csv.
func (s *Server) handleFacts(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	f, asCSV, err := parseFactQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	facts, err := s.eng.Facts(r.Context(), f)
	if err != nil {
		s.engineError(w, r, "facts", err)
		return
	}
	if !asCSV {
		if facts == nil {
			facts = []ingest.Fact{}
		}
		writeJSON(w, http.StatusOK, facts)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="facts.csv"`)
	if err := writeFactsCSV(w, facts); err != nil {
		s.log.Warn("writing facts CSV", "err", err)
	}
}

// parseFactQuery reads the filter and the wanted format from the query
// string. Its errors name the offending parameter.
func parseFactQuery(r *http.Request) (f rag.FactFilter, asCSV bool, err error) {
	q := r.URL.Query()
	for _, key := range []string{"town", "year", "metric", "q", "format"} {
		if !utf8.ValidString(q.Get(key)) {
			return f, false, fmt.Errorf("%s: not valid UTF-8", key)
		}
	}
	f.Town = strings.TrimSpace(q.Get("town"))
	f.Metric = strings.TrimSpace(q.Get("metric"))
	f.Query = strings.TrimSpace(q.Get("q"))
	if y := strings.TrimSpace(q.Get("year")); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1 || n > 9999 {
			return f, false, fmt.Errorf("year: must be a year such as 2020, got %q", y)
		}
		f.Year = n
	}
	switch format := q.Get("format"); format {
	case "csv":
		asCSV = true
	case "json":
	case "":
		asCSV = acceptsCSV(r.Header.Values("Accept"))
	default:
		return f, false, fmt.Errorf("format: must be \"json\" or \"csv\", got %q", format)
	}
	return f, asCSV, nil
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

// writeFactsCSV writes a UTF-8 BOM (so spreadsheet programs pick the right
// encoding), the header row and one row per fact.
func writeFactsCSV(w http.ResponseWriter, facts []ingest.Fact) error {
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(factsCSVHeader); err != nil {
		return err
	}
	for _, f := range facts {
		year := ""
		if f.Year > 0 {
			year = strconv.Itoa(f.Year)
		}
		row := []string{
			f.Source, f.Town, year, f.Section, f.Subject, f.Metric,
			strconv.FormatFloat(f.Value, 'f', -1, 64), f.Unit, f.Approx, f.Quote,
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
