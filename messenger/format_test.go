package messenger

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fazhi/ingest"
	"fazhi/rag"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; got:\n%s\nwant:\n%s", name, got, want)
	}
}

// telegramLimit is Telegram's message limit, which the golden files were
// first written for.
const telegramLimit = 4096

func renderAll(f Format, spans []Span) string {
	return strings.Join(f.Render(spans, telegramLimit), "\n-----8<-----\n") + "\n"
}

func sampleCitations() []rag.Citation {
	var cs []rag.Citation
	for i := range 7 {
		cs = append(cs, rag.Citation{
			Source:  fmt.Sprintf("00%d_report.txt", i),
			Title:   fmt.Sprintf("第%d镇2020年度法治政府建设工作报告", i),
			Town:    fmt.Sprintf("第%d镇", i),
			Year:    2020,
			Section: "一、主要举措 > （四）防化结合",
			Quote:   fmt.Sprintf("全年共排查、调解各类矛盾纠纷%d件，调解成功率98%%；<重点>与“难点”&并重。", 300+i),
		})
	}
	// A duplicate of the first (same source and section) is listed once.
	cs = append(cs[:1], append([]rag.Citation{cs[0]}, cs[1:]...)...)
	// Unknown metadata is left out rather than printed empty.
	cs = append(cs, rag.Citation{Source: "unknown.txt", Quote: "无元数据的引文。"})
	return cs
}

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name  string
		spans []Span
	}{
		{"answer.golden", AnswerSpans(rag.Answer{
			Answer:    "渔门镇2020年共排查、调解各类矛盾纠纷368件<含线上>，调解成功率98%。\nIn 2020 Yumen mediated 368 disputes & 98% succeeded.",
			Found:     true,
			Citations: sampleCitations(),
		}, ProofHint)},
		{"answer_not_found.golden", AnswerSpans(rag.Answer{Answer: "报告中未说明该问题。", Found: false}, ProofHint)},
		{"answer_empty.golden", AnswerSpans(rag.Answer{}, ProofHint)},
		{"answer_table.golden", AnswerSpans(rag.Answer{
			Answer: "各报告的数字：\n大钟庄镇2021年度报告：调处各类矛盾纠纷68件次\n拾万镇2021年度报告：调处矛盾纠纷约53件", Found: true,
			Table: &rag.Table{Metric: "disputes_mediated", Label: "矛盾纠纷调处数", Unit: "件次", By: rag.ByPlace,
				Rows: []rag.TableRow{
					{Place: "大钟庄镇", Year: 2021, Value: 68, Unit: "件次", Figure: "68件次", Source: "001_7e465fa291371142.txt", Quote: "全年共调处各类矛盾纠纷68件次。"},
					{Place: "拾万镇", Year: 2021, Value: 53, Unit: "件", Approx: "约", Figure: "约53件", Source: "004_40507ad071df1468.txt", Quote: "调处矛盾纠纷约53件。"},
					{Place: "Qingxi", Year: 2021, Value: 1200, Unit: "件", Figure: "1200件", Source: "q.txt"},
				},
				Missing: []rag.TableEntry{{Place: "泉掌镇", Year: 2021, Source: "002_36a972dc84b9d279.txt"}}},
		}, ProofHint)},
		{"answer_table_years.golden", AnswerSpans(rag.Answer{
			Answer: "合计：114件（2份报告）。\n拾万镇2021年度报告：53件", Found: true,
			Table: &rag.Table{Label: "矛盾纠纷调处数", Unit: "件", By: rag.ByYear,
				Rows: []rag.TableRow{
					{Place: "拾万镇", Year: 2021, Value: 53, Unit: "件", Figure: "53件", Source: "a.txt"},
					{Place: "拾万镇", Year: 2022, Value: 61, Unit: "件", Figure: "61件", Source: "b.txt"},
				}},
		}, ProofHint)},
		// A total over many reports: the answer's table lists its first
		// rows and counts the rest, which the reply counts in too.
		{"answer_table_omitted.golden", AnswerSpans(rag.Answer{
			Answer: "合计：1300件（173份报告）。", Found: true,
			Table: &rag.Table{Label: "矛盾纠纷调处数", Unit: "件", By: rag.ByPlace,
				Rows: []rag.TableRow{
					{Place: "大钟庄镇", Year: 2021, Value: 68, Unit: "件", Figure: "68件", Source: "a.txt"},
					{Place: "拾万镇", Year: 2021, Value: 53, Unit: "件", Figure: "53件", Source: "b.txt"},
				},
				RowsOmitted: 171,
				Missing: []rag.TableEntry{
					{Place: "泉掌镇", Year: 2021, Source: "c.txt"}, {Place: "渔门镇", Year: 2021, Source: "d.txt"},
				},
				MissingOmitted: 2998},
		}, ProofHint)},
		{"proof.golden", ProofSpans(rag.Answer{Answer: "x", Citations: sampleCitations()})},
		{"reports.golden", ReportsSpans([]rag.ReportInfo{
			{Report: ingest.Report{Source: "b.txt", Town: "渔门镇", Year: 2021, Title: "渔门镇2021年度法治政府建设工作报告"}},
			{Report: ingest.Report{Source: "a.txt", Town: "渔门镇", Year: 2020, Title: "渔门镇2020年度法治政府建设工作报告"}},
			{Report: ingest.Report{Source: "c.txt", Town: "城关镇", Year: 2020}},
			{Report: ingest.Report{Source: "<d>.doc"}},
		})},
		{"facts.golden", FactsSpans("渔门镇", 0, []ingest.Fact{
			{Town: "渔门镇", Year: 2020, Subject: "排查、调解各类矛盾纠纷", Value: 368, Unit: "件"},
			{Town: "渔门镇", Year: 2021, Subject: "调解成功率", Value: 98.5, Unit: "%"},
			{Town: "渔门镇", Year: 2020, Subject: "开展法治宣传活动", Value: 20, Unit: "场", Approx: "余"},
			{Town: "渔门镇", Year: 2020, Subject: "培训干部", Value: 100, Unit: "人次", Approx: "以上"},
			{Town: "渔门镇", Year: 2020, Subject: "发放宣传资料", Value: 5000, Unit: "份", Approx: "约"},
			{Town: "渔门镇", Year: 0, Subject: strings.Repeat("很长的主语", 20), Value: 1, Unit: "个"},
		}, Chinese.Reports)},
		{"ingest.golden", []Span{Plain(IngestText(rag.IngestResult{
			Source: "新场镇.docx",
			Status: rag.StatusReplaced,
			Report: rag.ReportInfo{Report: ingest.Report{Town: "新场镇", Year: 2022, Title: "新场镇2022年法治政府建设工作报告"}, Chunks: 9, Facts: 4},
		}))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, renderAll(HTML, tt.spans))
			golden(t, strings.Replace(tt.name, ".golden", ".md.golden", 1), renderAll(Markdown, tt.spans))
		})
	}
}

func TestFactsAreBounded(t *testing.T) {
	var fs []ingest.Fact
	for i := range 500 {
		fs = append(fs, ingest.Fact{Town: "渔门镇", Year: 2020, Subject: strings.Repeat("事", 200), Value: float64(i), Unit: "件"})
	}
	msgs := HTML.Render(FactsSpans("渔门镇", 2020, fs, Chinese.Reports), telegramLimit)
	if len(msgs) != 1 {
		t.Fatalf("facts reply is %d messages, want 1", len(msgs))
	}
	if n := strings.Count(msgs[0], "• "); n != maxFactsShown {
		t.Errorf("facts listed = %d, want %d", n, maxFactsShown)
	}
	if !strings.Contains(msgs[0], "共 500 条，显示前 30 条") {
		t.Errorf("header does not say the list is cut: %q", msgs[0][:200])
	}
}

func TestFactValue(t *testing.T) {
	tests := []struct {
		f    ingest.Fact
		want string
	}{
		{ingest.Fact{Value: 368, Unit: "件"}, "368件"},
		{ingest.Fact{Value: 98.5, Unit: "%"}, "98.5%"},
		{ingest.Fact{Value: 120, Unit: "件", Approx: "余"}, "120余件"},
		{ingest.Fact{Value: 30, Unit: "次", Approx: "多"}, "30多次"},
		{ingest.Fact{Value: 5000, Unit: "份", Approx: "约"}, "约5000份"},
		{ingest.Fact{Value: 10, Unit: "场", Approx: "不少于"}, "不少于10场"},
		{ingest.Fact{Value: 100, Unit: "人", Approx: "以上"}, "100人以上"},
		{ingest.Fact{Value: 1.2e6, Unit: "元"}, "1200000元"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := factValue(tt.f); got != tt.want {
				t.Errorf("factValue(%+v) = %q, want %q", tt.f, got, tt.want)
			}
		})
	}
}
