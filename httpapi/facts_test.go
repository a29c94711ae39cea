package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"fazhi/httpapi"
	"fazhi/ingest"
	"fazhi/rag"
)

func sampleFacts() []ingest.Fact {
	return []ingest.Fact{
		{
			Source: "000_cd4b96a87fea5f69.txt", Town: "渔门镇", Year: 2020, Section: "一、主要举措 > （四）防化结合",
			Subject: "排查、调解各类矛盾纠纷", Metric: "disputes_mediated", Value: 368, Unit: "件",
			Quote: "全年共排查、调解各类矛盾纠纷368件，调解成功率100%。",
		},
		{
			Source: "001_7e465fa291371142.txt", Town: "城关镇", Year: 2021, Section: "二、存在问题",
			Subject: "开展法治宣传", Value: 1.5, Unit: "万人次", Approx: "余",
			Quote: "开展\"法律进村\"宣传，覆盖群众1.5万余人次,\n效果良好。",
		},
	}
}

func TestFactsJSON(t *testing.T) {
	eng := &fakeEngine{facts: sampleFacts()}
	s := newTestServer(t, eng, httpapi.Config{})
	rec := serve(t, s, http.MethodGet, "/v1/facts?town=%E6%B8%94%E9%97%A8%E9%95%87&year=2020&metric=disputes_mediated&q=%E7%BA%A0%E7%BA%B7", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
	}
	got := mustDecode[[]ingest.Fact](t, rec.Body.Bytes())
	if len(got) != 2 || got[0] != sampleFacts()[0] {
		t.Errorf("facts = %+v, want the engine's", got)
	}
	// One more than the page, to tell whether another follows.
	want := rag.FactFilter{Town: "渔门镇", Year: 2020, Metric: "disputes_mediated", Query: "纠纷", Limit: rag.DefaultFactsLimit + 1}
	if len(eng.filters) != 1 || eng.filters[0] != want {
		t.Errorf("engine filter = %+v, want %+v", eng.filters, want)
	}

	eng.facts = nil
	rec = serve(t, s, http.MethodGet, "/v1/facts", nil, nil)
	if strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("no facts: body %s, want []", rec.Body)
	}
}

func TestFactsCSV(t *testing.T) {
	for _, tt := range []struct {
		name   string
		target string
		accept string
	}{
		{"format parameter", "/v1/facts?format=csv", ""},
		{"Accept header", "/v1/facts", "text/csv"},
		{"Accept list", "/v1/facts", "application/json;q=0.5, text/csv;q=0.9"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, &fakeEngine{facts: sampleFacts()}, httpapi.Config{})
			var hdr map[string]string
			if tt.accept != "" {
				hdr = map[string]string{"Accept": tt.accept}
			}
			rec := serve(t, s, http.MethodGet, tt.target, nil, hdr)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("Content-Type = %q, want text/csv", ct)
			}
			body := rec.Body.Bytes()
			if !bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
				t.Fatalf("CSV does not start with a UTF-8 BOM: %q", body[:min(len(body), 10)])
			}
			golden(t, "facts.csv.golden", body)
			rows, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
			if err != nil {
				t.Fatalf("CSV does not parse: %v", err)
			}
			if got := strings.Join(rows[0], ","); got != "source,town,year,section,subject,metric,value,unit,approx,quote" {
				t.Errorf("header = %q", got)
			}
			if len(rows) != 3 {
				t.Fatalf("rows = %d, want header + 2", len(rows))
			}
			if rows[2][6] != "1.5" || rows[2][8] != "余" || rows[2][9] != sampleFacts()[1].Quote {
				t.Errorf("row = %q: value, approx or quote did not survive", rows[2])
			}
		})
	}
}

func TestFactsBadQuery(t *testing.T) {
	tests := []struct {
		target string
		want   string
	}{
		{"/v1/facts?year=twenty", "year"},
		{"/v1/facts?year=2020.5", "year"},
		{"/v1/facts?year=-1", "year"},
		{"/v1/facts?format=xml", "format"},
		{"/v1/facts?town=%FF%FE", "town"},
		{"/v1/facts?limit=0", "limit"},
		{"/v1/facts?limit=10001", "limit"},
		{"/v1/facts?limit=ten", "limit"},
		{"/v1/facts?offset=-1", "offset"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			eng := &fakeEngine{}
			s := newTestServer(t, eng, httpapi.Config{})
			rec := serve(t, s, http.MethodGet, tt.target, nil, map[string]string{"Accept": "text/csv"})
			wantError(t, rec, http.StatusBadRequest, tt.want)
			if rec.Header().Get("Content-Disposition") != "" {
				t.Error("error response is marked as a CSV download")
			}
			if len(eng.filters) != 0 {
				t.Errorf("engine called with %+v", eng.filters)
			}
		})
	}
}

// manyFacts returns n facts of one report, the i-th stating i.
func manyFacts(n int) []ingest.Fact {
	out := make([]ingest.Fact, n)
	for i := range out {
		out[i] = ingest.Fact{Source: "big.txt", Town: "渔门镇", Year: 2020, Subject: "事项", Value: float64(i), Unit: "件", Quote: "事项" + strconv.Itoa(i) + "件。"}
	}
	return out
}

// Without a limit a page holds rag.DefaultFactsLimit facts and says where
// the next starts; following the links reads every fact once.
func TestFactsPaged(t *testing.T) {
	const n = 2*rag.DefaultFactsLimit + 17
	eng := &fakeEngine{facts: manyFacts(n)}
	s := newTestServer(t, eng, httpapi.Config{})
	seen := 0
	target := "/v1/facts?town=%E6%B8%94%E9%97%A8"
	for pages := 0; target != ""; pages++ {
		if pages > 3 {
			t.Fatal("more pages than the facts fill")
		}
		rec := serve(t, s, http.MethodGet, target, nil, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d %s", target, rec.Code, rec.Body)
		}
		got := mustDecode[[]ingest.Fact](t, rec.Body.Bytes())
		if len(got) > rag.DefaultFactsLimit {
			t.Fatalf("GET %s: %d facts, want at most %d", target, len(got), rag.DefaultFactsLimit)
		}
		for _, f := range got {
			if int(f.Value) != seen {
				t.Fatalf("GET %s: fact %v, want %d next", target, f.Value, seen)
			}
			seen++
		}
		target = ""
		if link := rec.Header().Get("Link"); link != "" {
			var ok bool
			target, ok = strings.CutPrefix(link, "<")
			target, _, _ = strings.Cut(target, ">")
			if !ok || !strings.Contains(link, `rel="next"`) || !strings.Contains(target, "town=") {
				t.Fatalf("Link %q: want <next page with the same filter>; rel=\"next\"", link)
			}
			if rec.Header().Get("X-Next-Offset") != strconv.Itoa(seen) {
				t.Errorf("X-Next-Offset %q, want %d", rec.Header().Get("X-Next-Offset"), seen)
			}
		}
	}
	if seen != n {
		t.Errorf("pages held %d facts, want %d", seen, n)
	}
	// A limit of one's own.
	rec := serve(t, s, http.MethodGet, "/v1/facts?limit=10&offset=5", nil, nil)
	if got := mustDecode[[]ingest.Fact](t, rec.Body.Bytes()); len(got) != 10 || got[0].Value != 5 {
		t.Errorf("limit=10&offset=5: got %d facts from %v", len(got), got[0].Value)
	}
}

// A CSV download streams every fact, past any page size, and a cell that
// a spreadsheet would run as a formula starts with '.
func TestFactsCSVAllAndSafe(t *testing.T) {
	facts := manyFacts(2*5000 + 3)
	facts[0].Subject = "=HYPERLINK(\"http://x\")"
	facts[1].Quote = "-2.3%为降幅"
	facts[2].Section = "@SUM(A1)"
	facts[3].Subject = "+1"
	facts[4].Value = -2
	eng := &fakeEngine{facts: facts}
	s := newTestServer(t, eng, httpapi.Config{})
	rec := serve(t, s, http.MethodGet, "/v1/facts?format=csv&limit=3", nil, nil)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(rec.Body.Bytes(), []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(facts)+1 {
		t.Fatalf("CSV has %d rows, want a header and %d facts", len(rows), len(facts))
	}
	for _, c := range []struct {
		row, col int
		want     string
	}{{1, 4, "'=HYPERLINK(\"http://x\")"}, {2, 9, "'-2.3%为降幅"}, {3, 3, "'@SUM(A1)"}, {4, 4, "'+1"}, {5, 6, "-2"}} {
		if got := rows[c.row][c.col]; got != c.want {
			t.Errorf("row %d column %s: got %q, want %q", c.row, rows[0][c.col], got, c.want)
		}
	}
}
