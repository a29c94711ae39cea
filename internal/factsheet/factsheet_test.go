package factsheet_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"fazhi/ingest"
	"fazhi/internal/factsheet"
	"fazhi/rag"
)

// sampleFacts has the awkward cases: an unknown year, a fraction, a big
// sum, a qualifier, and a quote with a comma, quotes and a newline.
func sampleFacts() []ingest.Fact {
	return []ingest.Fact{
		{Source: "000_cd4b96a87fea5f69.txt", Town: "渔门镇", Year: 2020, Section: "一、主要举措 > （四）防化结合", Subject: "排查、调解各类矛盾纠纷", Metric: "disputes_mediated", Value: 368, Unit: "件", Quote: "共排查、调解各类矛盾纠纷368件，调解成功率98.5%。"},
		{Source: "000_cd4b96a87fea5f69.txt", Town: "渔门镇", Year: 2020, Subject: "调解成功率", Metric: "mediation_rate", Value: 98.5, Unit: "%", Quote: "调解成功率98.5%。"},
		{Source: "a/b.txt", Town: "", Year: 0, Subject: "罚款", Value: 1234567.25, Unit: "元", Approx: "约", Quote: "他说：\"罚款约1234567.25元\"，\n另起一行。"},
	}
}

// readXLSX opens a workbook and returns its sheets and the rows of the
// first, as text.
func readXLSX(t *testing.T, data []byte) (*excelize.File, string, [][]string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open xlsx: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	sheets := f.GetSheetList()
	if len(sheets) != 1 {
		t.Fatalf("sheets = %v, want one", sheets)
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		t.Fatal(err)
	}
	return f, sheets[0], rows
}

func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("\ufeff")) {
		t.Fatalf("CSV does not start with a byte-order mark: %.20q", data)
	}
	rows, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// padded makes every row as long as the header: spreadsheet readers drop
// trailing empty cells.
func padded(rows [][]string, n int) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = append(append([]string(nil), r...), make([]string, max(0, n-len(r)))...)
	}
	return out
}

func TestFactsXLSXHasTheCSVRows(t *testing.T) {
	var xb, cb bytes.Buffer
	if err := factsheet.WriteXLSX(&xb, sampleFacts()); err != nil {
		t.Fatal(err)
	}
	if err := factsheet.WriteCSV(&cb, sampleFacts()); err != nil {
		t.Fatal(err)
	}
	f, sheet, got := readXLSX(t, xb.Bytes())
	want := readCSV(t, cb.Bytes())
	if len(want) != 4 || strings.Join(want[0], ",") != strings.Join(factsheet.Header, ",") {
		t.Fatalf("CSV = %q, want the header and three rows", want)
	}
	if want[3][2] != "" || want[3][6] != "1234567.25" {
		t.Errorf("CSV row %q: want an empty year and the value 1234567.25", want[3])
	}
	got = padded(got, len(factsheet.Header))
	if len(got) != len(want) {
		t.Fatalf("xlsx has %d rows, CSV %d", len(got), len(want))
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d column %s: xlsx %q, CSV %q", i, factsheet.Header[j], got[i][j], want[i][j])
			}
		}
	}
	// Numbers are numbers: value (G) and year (C); text stays text.
	for _, tc := range []struct {
		cell string
		want excelize.CellType
	}{
		{"G2", excelize.CellTypeNumber}, {"G3", excelize.CellTypeNumber}, {"G4", excelize.CellTypeNumber},
		{"C2", excelize.CellTypeNumber}, {"B2", excelize.CellTypeSharedString}, {"H3", excelize.CellTypeSharedString},
	} {
		typ, err := f.GetCellType(sheet, tc.cell)
		if err != nil {
			t.Fatal(err)
		}
		// The stream writer leaves a number's type unset: the default, n.
		if typ == excelize.CellTypeUnset {
			typ = excelize.CellTypeNumber
		}
		if tc.want == excelize.CellTypeSharedString && (typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString) {
			continue
		}
		if typ != tc.want {
			t.Errorf("%s has type %v, want %v", tc.cell, typ, tc.want)
		}
	}
	panes, err := f.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v, want the header row frozen", panes)
	}
	sheetXML := zipEntry(t, xb.Bytes(), "xl/worksheets/sheet1.xml")
	if !strings.Contains(strings.ReplaceAll(sheetXML, "$", ""), `<autoFilter ref="A1:J4"`) {
		t.Errorf("sheet has no auto-filter over A1:J4:\n%.600s", sheetXML)
	}
	if !strings.Contains(zipEntry(t, xb.Bytes(), "xl/workbook.xml"), "_xlnm._FilterDatabase") {
		t.Error("workbook lacks the _FilterDatabase name Excel expects with an auto-filter")
	}
	style, err := f.GetCellStyle(sheet, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := f.GetStyle(style); err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header style = %+v (%v), want bold", st, err)
	}
}

func TestEmptyFactsSheet(t *testing.T) {
	var xb bytes.Buffer
	if err := factsheet.WriteXLSX(&xb, nil); err != nil {
		t.Fatal(err)
	}
	_, _, rows := readXLSX(t, xb.Bytes())
	if len(rows) != 1 || strings.Join(rows[0], ",") != strings.Join(factsheet.Header, ",") {
		t.Errorf("rows = %q, want the header alone", rows)
	}
}

func TestTableSheets(t *testing.T) {
	tb := rag.Table{Metric: "disputes_mediated", Label: "矛盾纠纷调处数", Unit: "件", By: rag.ByPlace,
		Rows: []rag.TableRow{
			{Place: "大钟庄镇", Year: 2021, Value: 68, Unit: "件次", Source: "001.txt", Section: "一", Quote: "调处各类矛盾纠纷68件次。"},
			{Place: "拾万镇", Year: 2021, Value: 53, Unit: "件", Approx: "约", Source: "004.txt", Quote: "调处矛盾纠纷约53件。"},
		},
		Missing: []rag.TableEntry{{Place: "泉掌镇", Year: 2021, Source: "002.txt"}},
	}
	var xb, cb bytes.Buffer
	if err := factsheet.WriteTableXLSX(&xb, tb); err != nil {
		t.Fatal(err)
	}
	if err := factsheet.WriteTableCSV(&cb, tb); err != nil {
		t.Fatal(err)
	}
	_, _, got := readXLSX(t, xb.Bytes())
	want := readCSV(t, cb.Bytes())
	wantCSV := [][]string{
		factsheet.TableHeader,
		{"大钟庄镇", "2021", "68", "件次", "", "disputes_mediated", "矛盾纠纷调处数", "001.txt", "一", "调处各类矛盾纠纷68件次。"},
		{"拾万镇", "2021", "53", "件", "约", "disputes_mediated", "矛盾纠纷调处数", "004.txt", "", "调处矛盾纠纷约53件。"},
		{"泉掌镇", "2021", "", "", "", "disputes_mediated", "矛盾纠纷调处数", "002.txt", "", ""},
	}
	for _, pair := range []struct {
		name string
		rows [][]string
	}{{"csv", want}, {"xlsx", padded(got, len(factsheet.TableHeader))}} {
		if len(pair.rows) != len(wantCSV) {
			t.Fatalf("%s: %d rows %q, want %d", pair.name, len(pair.rows), pair.rows, len(wantCSV))
		}
		for i := range wantCSV {
			if strings.Join(pair.rows[i], "|") != strings.Join(wantCSV[i], "|") {
				t.Errorf("%s row %d = %q, want %q", pair.name, i, pair.rows[i], wantCSV[i])
			}
		}
	}
}

func zipEntry(t *testing.T, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
