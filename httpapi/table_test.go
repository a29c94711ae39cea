package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"fazhi/httpapi"
	"fazhi/ingest"
	"fazhi/rag"
	"fazhi/sqlitestore"
)

// seedEngine is the real Engine over a new embedded store holding the
// five seed reports, for tests of what the page shows of real answers.
func seedEngine(t *testing.T) *rag.Engine {
	t.Helper()
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	st, err := sqlitestore.Open(ctx, t.TempDir(), emb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, err := rag.NewEngine(ctx, st, emb)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "testdata", "reports", "*.txt"))
	if err != nil || len(files) != 5 {
		t.Fatalf("seed reports: %v, %v", files, err)
	}
	for _, f := range files {
		if _, err := eng.IngestPath(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	return eng
}

// TestAskComparisonTable asks the real Engine over the seed reports the
// comparison the issue names: the table holds each town's figure with its
// source, and the chart a bar each.
func TestAskComparisonTable(t *testing.T) {
	s := newTestServer(t, seedEngine(t), httpapi.Config{})
	rec := serve(t, s, http.MethodPost, "/v1/ask", strings.NewReader(`{"question":"2021年各镇调处矛盾纠纷数量分别是多少？"}`), nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got struct {
		Found bool       `json:"found"`
		Table *rag.Table `json:"table"`
		Chart string     `json:"chart"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Found || got.Table == nil {
		t.Fatalf("answer found %v, table %v: want a table", got.Found, got.Table)
	}
	want := map[string]struct {
		value  float64
		source string
	}{"大钟庄镇": {68, "001_7e465fa291371142.txt"}, "拾万镇": {53, "004_40507ad071df1468.txt"}}
	if len(got.Table.Rows) != len(want) {
		t.Fatalf("rows = %+v, want 大钟庄镇 and 拾万镇", got.Table.Rows)
	}
	for _, r := range got.Table.Rows {
		w, ok := want[r.Place]
		if !ok || r.Value != w.value || r.Source != w.source || r.Year != 2021 || r.Unit == "" ||
			!strings.Contains(r.Quote, strconv.FormatFloat(w.value, 'f', -1, 64)) {
			t.Errorf("row %+v, want %s %v from %s with its unit and quote", r, r.Place, w.value, w.source)
		}
	}
	if len(got.Table.Missing) != 1 || got.Table.Missing[0].Place != "泉掌镇" {
		t.Errorf("missing = %+v, want 泉掌镇", got.Table.Missing)
	}
	if marks := svgMarks(t, got.Chart); len(marks) != 2 {
		t.Errorf("chart marks = %q, want a bar per town", marks)
	}
}

func docReport() ingest.Report {
	return ingest.Report{Source: "渔门镇.txt", Title: "渔门镇2020年度法治政府建设工作报告", Town: "渔门镇", Year: 2020}
}

// disputesTable is a comparison of two towns with one report lacking the
// figure, as the Engine gives it.
func disputesTable() rag.Table {
	return rag.Table{Metric: "disputes_mediated", Label: "矛盾纠纷调处数", Unit: "件次", By: rag.ByPlace,
		Rows: []rag.TableRow{
			{Place: "大钟庄镇", Year: 2021, Value: 68, Unit: "件次", Figure: "68件次", Source: "001_7e465fa291371142.txt", Section: "一 > (四)", Quote: "全年共调处各类矛盾纠纷68件次。"},
			{Place: "拾万镇", Year: 2021, Value: 53, Unit: "件", Approx: "约", Figure: "约53件", Source: "004_40507ad071df1468.txt", Section: "一 > （三）", Quote: "今年排查矛盾纠纷约53起，调处矛盾纠纷约53件，调处率达100%。"},
		},
		Missing: []rag.TableEntry{{Place: "泉掌镇", Year: 2021, Source: "002_36a972dc84b9d279.txt"}},
	}
}

// yearsTable follows one town over three years.
func yearsTable() rag.Table {
	return rag.Table{Metric: "disputes_mediated", Label: "矛盾纠纷调处数", Unit: "件", By: rag.ByYear,
		Rows: []rag.TableRow{
			{Place: "拾万镇", Year: 2020, Value: 40, Unit: "件", Figure: "40件", Source: "a.txt", Quote: "调处矛盾纠纷40件。"},
			{Place: "拾万镇", Year: 2021, Value: 53, Unit: "件", Approx: "约", Figure: "约53件", Source: "b.txt", Quote: "调处矛盾纠纷约53件。"},
			{Place: "拾万镇", Year: 2022, Value: 61, Unit: "件", Figure: "61件", Source: "c.txt", Quote: "调处矛盾纠纷61件。"},
		},
		Missing: []rag.TableEntry{{Place: "拾万镇", Year: 2019, Source: "d.txt"}},
	}
}

// svgMarks parses a chart and returns each mark's label and value text,
// failing on markup that is not well-formed XML.
func svgMarks(t *testing.T, svg string) []string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	var marks []string
	depth, inMark, field := 0, -1, ""
	var cur []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v\n%s", err, svg)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			depth++
			for _, a := range v.Attr {
				if a.Name.Local == "class" && a.Value == "mark" {
					inMark, cur = depth, nil
				}
				if a.Name.Local == "class" && inMark >= 0 && v.Name.Local == "text" {
					field = a.Value
				}
			}
		case xml.CharData:
			if field != "" {
				cur = append(cur, field+"="+string(v))
			}
		case xml.EndElement:
			field = ""
			if depth == inMark {
				marks = append(marks, strings.Join(cur, " "))
				inMark = -1
			}
			depth--
		}
	}
	return marks
}

func TestChartSVG(t *testing.T) {
	tests := []struct {
		name   string
		table  rag.Table
		marks  []string
		golden string
	}{
		{"bars", disputesTable(), []string{"label=大钟庄镇 value=68件次", "label=拾万镇 value=约53件"}, "chart_bars.svg.golden"},
		{"line", yearsTable(), []string{"value=40件 label=2020年", "value=约53件 label=2021年", "value=61件 label=2022年"}, "chart_line.svg.golden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eng := &fakeEngine{answer: rag.Answer{Answer: "各报告的数字：…", Found: true, Mode: "extractive", Table: &tc.table}}
			s := newTestServer(t, eng, httpapi.Config{})
			rec := serve(t, s, http.MethodPost, "/v1/ask", strings.NewReader(`{"question":"q"}`), nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var got struct {
				Table *rag.Table `json:"table"`
				Chart string     `json:"chart"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Table == nil || len(got.Table.Rows) != len(tc.table.Rows) {
				t.Fatalf("table = %+v, want the engine's", got.Table)
			}
			if marks := svgMarks(t, got.Chart); strings.Join(marks, "|") != strings.Join(tc.marks, "|") {
				t.Errorf("marks = %q, want %q", marks, tc.marks)
			}
			for _, want := range []string{`role="group"`, "<title>", "<desc>", "未提及", `data-source="` + tc.table.Rows[0].Source + `"`} {
				if !strings.Contains(got.Chart, want) {
					t.Errorf("chart lacks %s", want)
				}
			}
			if strings.Contains(got.Chart, "style=") || strings.Contains(got.Chart, "<style") || strings.Contains(got.Chart, "<script") {
				t.Error("chart has inline style or script, which the page's CSP refuses")
			}
			golden(t, tc.golden, []byte(got.Chart))
		})
	}
	t.Run("escapes text", func(t *testing.T) {
		tb := disputesTable()
		tb.Rows[0].Place = `<b>"镇"&`
		tb.Rows[0].Quote = `</title><script>alert(1)</script>`
		eng := &fakeEngine{answer: rag.Answer{Found: true, Table: &tb}}
		rec := serve(t, newTestServer(t, eng, httpapi.Config{}), http.MethodPost, "/v1/ask", strings.NewReader(`{"question":"q"}`), nil)
		var got struct{ Chart string }
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if marks := svgMarks(t, got.Chart); len(marks) != 2 || !strings.HasPrefix(marks[0], `label=<b>"镇"&`) {
			t.Errorf("marks = %q, want the place's text as text", marks)
		}
		if strings.Contains(got.Chart, "<script") {
			t.Error("quote became markup")
		}
	})
	t.Run("no table, no chart", func(t *testing.T) {
		rec := serve(t, newTestServer(t, &fakeEngine{answer: yumenAnswer()}, httpapi.Config{}), http.MethodPost, "/v1/ask", strings.NewReader(`{"question":"q"}`), nil)
		if strings.Contains(rec.Body.String(), `"chart"`) || strings.Contains(rec.Body.String(), `"table"`) {
			t.Errorf("a single answer carries a table or chart: %s", rec.Body)
		}
	})
}

func TestTableEndpoint(t *testing.T) {
	eng := &fakeEngine{table: disputesTable()}
	s := newTestServer(t, eng, httpapi.Config{})
	const base = "/v1/table?metric=disputes_mediated&year=2021"

	rec := serve(t, s, http.MethodGet, base+"&town=%E6%8B%BE%E4%B8%87", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got struct {
		Table rag.Table `json:"table"`
		Chart string    `json:"chart"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Table.Rows) != 2 || got.Table.Rows[0].Value != 68 || len(svgMarks(t, got.Chart)) != 2 {
		t.Errorf("table %+v with %d marks, want the engine's and a bar each", got.Table, len(svgMarks(t, got.Chart)))
	}
	if want := "disputes_mediated|拾万|2021"; len(eng.tableReq) != 1 || eng.tableReq[0] != want {
		t.Errorf("engine asked %q, want %q", eng.tableReq, want)
	}

	t.Run("svg", func(t *testing.T) {
		rec := serve(t, s, http.MethodGet, base+"&format=svg", nil, nil)
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") || len(svgMarks(t, rec.Body.String())) != 2 {
			t.Errorf("Content-Type %q, body %.80s: want an SVG chart", ct, rec.Body)
		}
	})
	t.Run("csv", func(t *testing.T) {
		rec := serve(t, s, http.MethodGet, base+"&format=csv", nil, nil)
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(rec.Body.Bytes(), []byte("\ufeff")))).ReadAll()
		if err != nil || len(rows) != 4 || rows[1][0] != "大钟庄镇" || rows[1][2] != "68" || rows[3][0] != "泉掌镇" || rows[3][2] != "" {
			t.Errorf("CSV rows %q (%v), want a header, two towns and 泉掌镇 without a value", rows, err)
		}
		if !strings.Contains(rec.Header().Get("Content-Disposition"), "table-disputes_mediated.csv") {
			t.Errorf("Content-Disposition = %q", rec.Header().Get("Content-Disposition"))
		}
	})
	t.Run("xlsx", func(t *testing.T) {
		rec := serve(t, s, http.MethodGet, base+"&format=xlsx", nil, nil)
		if ct := rec.Header().Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Errorf("Content-Type = %q", ct)
		}
		rows := xlsxRows(t, rec.Body.Bytes())
		if len(rows) != 4 || rows[1][0] != "大钟庄镇" || rows[2][2] != "53" {
			t.Errorf("xlsx rows = %q", rows)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			target string
			err    error
			status int
			want   string
		}{
			{"/v1/table", nil, 400, "metric: required"},
			{"/v1/table?metric=x&year=twenty", nil, 400, "year"},
			{"/v1/table?metric=x&format=pdf", nil, 400, "format"},
			{"/v1/table?metric=%FF", nil, 400, "metric"},
			{"/v1/table?metric=nope", fmt.Errorf("metric %q: %w", "nope", rag.ErrUnknownMetric), 400, `unknown metric key "nope"`},
			{"/v1/table?metric=x", errors.New("disk on fire"), 500, "internal error"},
			{"/v1/table?metric=x&format=svg", nil, 404, `no report in the chosen town or year states a figure of "x"`},
		} {
			eng := &fakeEngine{tableErr: tc.err}
			rec := serve(t, newTestServer(t, eng, httpapi.Config{}), http.MethodGet, tc.target, nil, nil)
			wantError(t, rec, tc.status, tc.want)
			if rec.Header().Get("Content-Disposition") != "" {
				t.Errorf("%s: error marked as a download", tc.target)
			}
		}
	})
}

func TestTableMetrics(t *testing.T) {
	eng := &fakeEngine{facts: sampleFacts()}
	rec := serve(t, newTestServer(t, eng, httpapi.Config{}), http.MethodGet, "/v1/table/metrics", nil, nil)
	var got []struct {
		Key   string `json:"key"`
		Label string `json:"label"`
		Facts int    `json:"facts"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	// The second sample fact has no metric: only disputes_mediated.
	if len(got) != 1 || got[0].Key != "disputes_mediated" || got[0].Label == "" || got[0].Facts != 1 {
		t.Errorf("metrics = %+v, want disputes_mediated with its label and 1 fact", got)
	}
}

func TestFactsXLSX(t *testing.T) {
	s := newTestServer(t, &fakeEngine{facts: sampleFacts()}, httpapi.Config{})
	x := serve(t, s, http.MethodGet, "/v1/facts?format=xlsx", nil, nil)
	if ct := x.Header().Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		!strings.Contains(x.Header().Get("Content-Disposition"), "facts.xlsx") {
		t.Errorf("Content-Type %q, Content-Disposition %q", ct, x.Header().Get("Content-Disposition"))
	}
	c := serve(t, s, http.MethodGet, "/v1/facts?format=csv", nil, nil)
	want, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(c.Body.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := xlsxRows(t, x.Body.Bytes())
	if len(got) != len(want) {
		t.Fatalf("xlsx %d rows, CSV %d", len(got), len(want))
	}
	for i := range want {
		row := append(got[i], make([]string, len(want[i])-len(got[i]))...)
		if strings.Join(row, "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: xlsx %q, CSV %q", i, row, want[i])
		}
	}
}

func xlsxRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestGetDocument(t *testing.T) {
	doc := rag.Document{
		ReportInfo: rag.ReportInfo{Report: docReport()},
		Outline:    []rag.OutlineEntry{{Title: "一、主要举措", Path: "一、主要举措", Level: 1, Part: 0}},
		Parts:      []rag.Part{{Section: "一、主要举措", Sentences: []string{"第一句。", "全年共调解矛盾纠纷368件。"}}},
		Found:      []rag.SentenceRef{{Part: 0, Sentence: 1}},
	}
	eng := &fakeEngine{document: doc}
	s := newTestServer(t, eng, httpapi.Config{})
	rec := serve(t, s, http.MethodGet, "/v1/documents/2020/%E6%B8%94%E9%97%A8.txt?quote=%E5%85%A8%E5%B9%B4", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got struct {
		Source  string             `json:"source"`
		Title   string             `json:"title"`
		Text    string             `json:"text"`
		Outline []rag.OutlineEntry `json:"outline"`
		Parts   []rag.Part         `json:"parts"`
		Found   []rag.SentenceRef  `json:"found"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Source != "渔门镇.txt" || got.Text != "第一句。全年共调解矛盾纠纷368件。" || len(got.Outline) != 1 || len(got.Parts) != 1 || len(got.Found) != 1 || got.Found[0].Sentence != 1 {
		t.Errorf("document = %+v", got)
	}
	if want := [2]string{"2020/渔门.txt", "全年"}; len(eng.documentReq) != 1 || eng.documentReq[0] != want {
		t.Errorf("engine asked %q, want %q (a source with a slash, and the quote)", eng.documentReq, want)
	}

	for _, tc := range []struct {
		target string
		err    error
		status int
		want   string
	}{
		{"/v1/documents/nope.txt", fmt.Errorf("document %q: %w", "nope.txt", rag.ErrNotFound), 404, `no report with source "nope.txt"`},
		{"/v1/documents/a.txt?quote=%FF", nil, 400, "quote"},
		{"/v1/documents/a.txt?quote=" + strings.Repeat("%E6%B3%95", 4001), nil, 400, "quote"},
		{"/v1/documents/a%FF.txt", nil, 400, "source"},
		{"/v1/documents/a.txt", errors.New("disk on fire"), 500, "internal error"},
	} {
		eng := &fakeEngine{documentErr: tc.err}
		rec := serve(t, newTestServer(t, eng, httpapi.Config{}), http.MethodGet, tc.target, nil, nil)
		wantError(t, rec, tc.status, tc.want)
	}
}
