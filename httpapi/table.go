package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"fazhi/ingest"
	"fazhi/internal/factsheet"
	"fazhi/rag"
)

// tableResponse is GET /v1/table's JSON: the table and its chart.
type tableResponse struct {
	Table rag.Table `json:"table"`
	Chart string    `json:"chart,omitempty"` // SVG markup; empty without rows
}

// handleTable serves GET /v1/table?metric=&town=&year=&format=: one
// metric followed across towns (a year) or years (a town), as JSON with
// its SVG chart, or as format=svg, csv or xlsx, to download what the page
// shows.
func (s *Server) handleTable(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for _, key := range []string{"metric", "town", "year", "format"} {
		if !utf8.ValidString(q.Get(key)) {
			writeError(w, http.StatusBadRequest, key+": not valid UTF-8")
			return
		}
	}
	metric := strings.TrimSpace(q.Get("metric"))
	if metric == "" {
		writeError(w, http.StatusBadRequest, "metric: required (a metric key such as disputes_mediated; GET /v1/table/metrics lists them)")
		return
	}
	town := strings.TrimSpace(q.Get("town"))
	year, err := parseYear(q.Get("year"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	format := q.Get("format")
	switch format {
	case "", "json", "svg", "csv", "xlsx":
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("format: must be \"json\", \"svg\", \"csv\" or \"xlsx\", got %q", format))
		return
	}
	t, err := s.eng.MetricTable(r.Context(), metric, town, year)
	if err != nil {
		if errors.Is(err, rag.ErrUnknownMetric) {
			writeError(w, http.StatusBadRequest, "metric: unknown metric key "+strconv.Quote(metric)+" (GET /v1/table/metrics lists them)")
			return
		}
		s.engineError(w, r, "table", err)
		return
	}
	name := "table-" + metric
	switch format {
	case "svg":
		if len(t.Rows) == 0 {
			writeError(w, http.StatusNotFound, "no report in the chosen town or year states a figure of "+strconv.Quote(metric))
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.svg"`)
		_, _ = w.Write([]byte(chartSVG(t)))
	case "csv":
		s.download(w, "text/csv; charset=utf-8", name+".csv", func(b *bytes.Buffer) error { return factsheet.WriteTableCSV(b, t) })
	case "xlsx":
		s.download(w, factsheet.XLSXContentType, name+".xlsx", func(b *bytes.Buffer) error { return factsheet.WriteTableXLSX(b, t) })
	default:
		writeJSON(w, http.StatusOK, tableResponse{Table: t, Chart: chartSVG(t)})
	}
}

// download writes a file built in memory, so a failure is still a clean
// JSON error rather than half a file.
func (s *Server) download(w http.ResponseWriter, contentType, filename string, build func(*bytes.Buffer) error) {
	var b bytes.Buffer
	if err := build(&b); err != nil {
		s.log.Error("building download", "file", filename, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = w.Write(b.Bytes())
}

// metricInfo is one metric the stored facts have, as GET /v1/table/metrics
// lists it for the page's choice.
type metricInfo struct {
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	English string   `json:"english"`
	Units   []string `json:"units"`
	Facts   int      `json:"facts"` // stored facts of this metric
}

// handleTableMetrics serves GET /v1/table/metrics: the metrics of the
// metric table that stored facts have, in the table's order.
func (s *Server) handleTableMetrics(w http.ResponseWriter, r *http.Request) {
	facts, err := s.eng.Facts(r.Context(), rag.FactFilter{})
	if err != nil {
		s.engineError(w, r, "facts", err)
		return
	}
	count := map[string]int{}
	for _, f := range facts {
		count[f.Metric]++
	}
	out := []metricInfo{}
	for _, m := range ingest.Metrics() {
		if count[m.Key] > 0 {
			out = append(out, metricInfo{Key: m.Key, Label: m.Label, English: m.English, Units: m.Units, Facts: count[m.Key]})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// parseYear reads an optional year parameter; its error names it.
func parseYear(v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 9999 {
		return 0, fmt.Errorf("year: must be a year such as 2020, got %q", v)
	}
	return n, nil
}
