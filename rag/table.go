package rag

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"fazhi/ingest"
)

// Table is one figure followed across reports: a comparison of towns, a
// town's figure over the years, the parts of a total. Answers that
// compare, list or total carry it so front ends can draw it or export it.
type Table struct {
	Metric  string       `json:"metric"` // metric key as in facts ("disputes_mediated"); "" when unrecognised
	Label   string       `json:"label"`  // what the figures count, in words ("调解矛盾纠纷")
	Unit    string       `json:"unit"`   // the unit of measure of the rows, as in facts
	By      string       `json:"by"`     // what the rows vary over: "place" (bars) or "year" (a line)
	Rows    []TableRow   `json:"rows"`
	Missing []TableEntry `json:"missing"` // reports in scope that do not state the figure
	// RowsOmitted and MissingOmitted count the rows and the reports
	// without the figure an answer's table leaves out past its first
	// MaxAnswerTableRows: an answer over a province is read, not
	// downloaded. The whole table is MetricTable's (GET /v1/table, its
	// CSV and .xlsx), which leaves nothing out.
	RowsOmitted    int `json:"rows_omitted,omitempty"`
	MissingOmitted int `json:"missing_omitted,omitempty"`
}

// MaxAnswerTableRows is the most rows, and the most reports without the
// figure, an answer's table lists.
const MaxAnswerTableRows = 50

// trim leaves out the rows and missing reports past the first n of each,
// counting them.
func (t *Table) trim(n int) {
	if len(t.Rows) > n {
		t.RowsOmitted += len(t.Rows) - n
		t.Rows = t.Rows[:n:n]
	}
	if len(t.Missing) > n {
		t.MissingOmitted += len(t.Missing) - n
		t.Missing = t.Missing[:n:n]
	}
}

// TableRow is one report's figure.
type TableRow struct {
	Place   string  `json:"place"` // as in the report metadata
	Year    int     `json:"year"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Approx  string  `json:"approx,omitempty"` // 约, 余, 以上… as written
	Figure  string  `json:"figure"`           // the figure as the answer writes it: "约53件"
	Source  string  `json:"source"`
	Section string  `json:"section"`
	Quote   string  `json:"quote"`
}

// TableEntry names a report: one a table has no figure from.
type TableEntry struct {
	Place  string `json:"place"`
	Year   int    `json:"year"`
	Source string `json:"source"`
}

// placeOf is a report's place as a table names it: its unit as the
// report metadata states it.
func placeOf(r ReportInfo) string { return r.Town }

// entryOf names a report in a table's missing list.
func entryOf(r ReportInfo) TableEntry {
	return TableEntry{Place: placeOf(r), Year: r.Year, Source: r.Source}
}

// Table orientations.
const (
	ByPlace = "place"
	ByYear  = "year"
)

// figureTable turns the figures an aggregate answer picked into its table,
// rows in the order given (by year when they follow one place). With limit
// > 0 it lists at most limit rows and limit missing reports and counts the
// rest, making no row it leaves out.
func figureTable(q Query, picked []factCandidate, missing []ReportInfo, limit int) *Table {
	if len(picked) == 0 {
		return nil
	}
	t := &Table{Metric: picked[0].fact.Metric, Unit: picked[0].fact.Unit, By: ByPlace, Rows: []TableRow{}, Missing: []TableEntry{}}
	if q.Metric != "" {
		t.Metric = q.Metric
	}
	t.Label = metricLabel(t.Metric)
	if t.Label == "" {
		t.Label = strings.TrimSpace(picked[0].fact.Subject)
	}
	byYear := followsYears(picked)
	if !byYear && limit > 0 {
		// Rows by place keep the order given: those past limit are
		// only counted.
		if len(picked) > limit {
			t.RowsOmitted, picked = len(picked)-limit, picked[:limit]
		}
		if len(missing) > limit {
			t.MissingOmitted, missing = len(missing)-limit, missing[:limit]
		}
	}
	for _, c := range picked {
		t.Rows = append(t.Rows, TableRow{
			Place: placeOf(*c.rep), Year: c.rep.Year, Value: c.fact.Value, Unit: c.fact.Unit, Approx: c.fact.Approx, Figure: formatValue(c.fact),
			Source: c.rep.Source, Section: c.fact.Section, Quote: c.fact.Quote,
		})
	}
	for _, r := range missing {
		t.Missing = append(t.Missing, entryOf(r))
	}
	if byYear {
		// A line over the years, drawn in their order.
		t.By = ByYear
		sort.SliceStable(t.Rows, func(i, j int) bool { return t.Rows[i].Year < t.Rows[j].Year })
		sort.SliceStable(t.Missing, func(i, j int) bool { return t.Missing[i].Year < t.Missing[j].Year })
		if limit > 0 {
			t.trim(limit)
		}
	}
	return t
}

// followsYears says whether figures follow one place over the years: two
// or more, all of one place, each of its own year.
func followsYears(picked []factCandidate) bool {
	if len(picked) < 2 {
		return false
	}
	place := placeOf(*picked[0].rep)
	years := map[int]bool{}
	for _, c := range picked {
		if placeOf(*c.rep) != place || c.rep.Year == 0 || years[c.rep.Year] {
			return false
		}
		years[c.rep.Year] = true
	}
	return true
}

// metricLabels maps metric keys to their Chinese labels.
var metricLabels = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for _, m := range ingest.Metrics() {
		out[m.Key] = m.Label
	}
	return out
})

// metricLabel is a metric's Chinese label, or "".
func metricLabel(key string) string { return metricLabels()[key] }

// ErrUnknownMetric is returned for a metric key the metric table lacks.
var ErrUnknownMetric = fmt.Errorf("unknown metric")

// MetricTable follows one metric across the stored reports: each report
// of town (every town when "") and year (every year when 0) gives its
// best figure of that metric, as an aggregate answer would pick it.
// Reports without one are listed as missing.
func (e *Engine) MetricTable(ctx context.Context, metric, town string, year int) (Table, error) {
	label := metricLabel(metric)
	if label == "" {
		return Table{}, fmt.Errorf("metric %q: %w (see the metric table: fazhi facts lists keys)", metric, ErrUnknownMetric)
	}
	c, err := e.catalog(ctx)
	if err != nil {
		return Table{}, err
	}
	for _, tn := range c.towns {
		if town != "" && tn.short == town {
			town = tn.full // "渔门" for 渔门镇
		}
	}
	q := analyse(label, c.towns, e.gloss)
	q.Kind, q.Metric, q.Year, q.Aggregate = KindCount, metric, year, "list"
	var scope []ReportInfo
	for _, r := range c.reports {
		if (town == "" || r.Town == town) && (year == 0 || r.Year == year) {
			scope = append(scope, r)
		}
	}
	empty := Table{Metric: metric, Label: label, By: ByPlace, Rows: []TableRow{}, Missing: []TableEntry{}}
	if len(scope) == 0 {
		return empty, nil
	}
	picked, missing, err := e.pickFigures(ctx, q, scope, metric)
	if err != nil {
		return Table{}, err
	}
	t := figureTable(q, picked, missing, 0)
	if t == nil {
		for _, r := range missing {
			empty.Missing = append(empty.Missing, entryOf(r))
		}
		return empty, nil
	}
	if town != "" {
		t.By = ByYear
		sort.SliceStable(t.Rows, func(i, j int) bool { return t.Rows[i].Year < t.Rows[j].Year })
	} else {
		sort.SliceStable(t.Rows, func(i, j int) bool { return t.Rows[i].Value > t.Rows[j].Value })
	}
	return *t, nil
}

// comparisonTable is the table the extractive answerer gives a question
// that compares, lists or totals a figure across reports, or nil for any
// other question. A generated answer carries it too: its rows are the
// figures the reports state, each with its source.
func (e *Engine) comparisonTable(ctx context.Context, question Question) *Table {
	c, err := e.catalog(ctx)
	if err != nil {
		return nil
	}
	q := analyse(resolveFollowUp(question.Text, question.History, c.towns, e.gloss), c.towns, e.gloss)
	if q.Aggregate == "" || (q.Kind != KindCount && q.Kind != KindRate) {
		return nil
	}
	a, err := e.extractive(ctx, question)
	if err != nil {
		return nil
	}
	return a.Table
}
