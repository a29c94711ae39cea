package rag_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fazhi/rag"
)

// wantRow is what a table row must say.
type wantRow struct {
	place  string
	year   int
	value  float64
	source string
}

// checkRows compares a table's rows with want, in order, and checks that
// each row's quote states its figure.
func checkRows(t *testing.T, tb *rag.Table, want []wantRow) {
	t.Helper()
	if tb == nil {
		t.Fatal("no table")
	}
	if len(tb.Rows) != len(want) {
		t.Fatalf("got %d rows %+v, want %d", len(tb.Rows), tb.Rows, len(want))
	}
	for i, w := range want {
		r := tb.Rows[i]
		if r.Place != w.place || r.Year != w.year || r.Value != w.value || r.Source != w.source {
			t.Errorf("row %d = %s %d %v %s, want %s %d %v %s", i, r.Place, r.Year, r.Value, r.Source, w.place, w.year, w.value, w.source)
		}
		if r.Unit == "" || r.Section == "" || !strings.Contains(r.Quote, strconv.FormatFloat(w.value, 'f', -1, 64)) {
			t.Errorf("row %d: unit %q, section %q, quote %q: want all set, the quote stating %v", i, r.Unit, r.Section, r.Quote, w.value)
		}
	}
}

func TestAnswerTableComparesTowns(t *testing.T) {
	e, _ := seedEngine(t)
	a := mustAsk(t, e, rag.Question{Text: "2021年各镇调处矛盾纠纷数量分别是多少？"})
	checkRows(t, a.Table, []wantRow{
		{"大钟庄镇", 2021, 68, "001_7e465fa291371142.txt"},
		{"拾万镇", 2021, 53, "004_40507ad071df1468.txt"},
	})
	if a.Table.By != rag.ByPlace || a.Table.Metric != "disputes_mediated" || a.Table.Label == "" {
		t.Errorf("table by %q metric %q label %q, want by place, disputes_mediated, a label", a.Table.By, a.Table.Metric, a.Table.Label)
	}
	if len(a.Table.Missing) != 1 || a.Table.Missing[0].Place != "泉掌镇" || a.Table.Missing[0].Source != "002_36a972dc84b9d279.txt" {
		t.Errorf("missing = %+v, want 泉掌镇's report only", a.Table.Missing)
	}
}

func TestAnswerTableOnlyForComparisons(t *testing.T) {
	e, _ := seedEngine(t)
	for _, q := range []string{"2020年渔门镇调解了多少件矛盾纠纷？", "渔门镇的报告是什么时候发布的？", "拾万镇有哪些普法活动？"} {
		t.Run(q, func(t *testing.T) {
			if a := mustAsk(t, e, rag.Question{Text: q}); a.Table != nil {
				t.Errorf("a single answer carries a table: %+v", a.Table)
			}
		})
	}
}

// secondYear ingests a 2022 report of 拾万镇: the 2021 seed with its
// years moved on and its disputes figure changed.
func secondYear(t *testing.T, e *rag.Engine) {
	t.Helper()
	raw := seedText(t, "004_40507ad071df1468.txt")
	edited := strings.Replace(raw, "调处矛盾纠纷约53件", "调处矛盾纠纷约61件", 1)
	if edited == raw {
		t.Fatal("the edit did not apply: fixture changed?")
	}
	edited = strings.ReplaceAll(edited, "2021", "2022")
	if _, err := e.IngestFile(context.Background(), "拾万镇2022.txt", []byte(edited)); err != nil {
		t.Fatal(err)
	}
}

func TestAnswerTableFollowsYears(t *testing.T) {
	e, _ := seedEngine(t)
	secondYear(t, e)
	a := mustAsk(t, e, rag.Question{Text: "拾万镇历年调处矛盾纠纷多少件？"})
	checkRows(t, a.Table, []wantRow{
		{"拾万镇", 2021, 53, "004_40507ad071df1468.txt"},
		{"拾万镇", 2022, 61, "拾万镇2022.txt"},
	})
	if a.Table.By != rag.ByYear {
		t.Errorf("by = %q, want year", a.Table.By)
	}
	for _, w := range []string{"53", "61"} {
		if !strings.Contains(a.Answer, w) {
			t.Errorf("answer %q lacks %s", a.Answer, w)
		}
	}
}

func TestMetricTable(t *testing.T) {
	e, _ := seedEngine(t)
	secondYear(t, e)
	ctx := context.Background()
	tests := []struct {
		name        string
		town        string
		year        int
		by          string
		rows        []wantRow
		missingFrom []string
	}{
		{"towns in one year", "", 2021, rag.ByPlace, []wantRow{
			{"大钟庄镇", 2021, 68, "001_7e465fa291371142.txt"},
			{"拾万镇", 2021, 53, "004_40507ad071df1468.txt"},
		}, []string{"002_36a972dc84b9d279.txt"}},
		{"one town over the years", "拾万", 0, rag.ByYear, []wantRow{
			{"拾万镇", 2021, 53, "004_40507ad071df1468.txt"},
			{"拾万镇", 2022, 61, "拾万镇2022.txt"},
		}, nil},
		{"no report in scope", "拾万镇", 1999, rag.ByPlace, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := e.MetricTable(ctx, "disputes_mediated", tc.town, tc.year)
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, &tb, tc.rows)
			if tb.By != tc.by || tb.Metric != "disputes_mediated" || tb.Label == "" {
				t.Errorf("by %q metric %q label %q, want %q, disputes_mediated, a label", tb.By, tb.Metric, tb.Label, tc.by)
			}
			var missing []string
			for _, m := range tb.Missing {
				missing = append(missing, m.Source)
			}
			if strings.Join(missing, ",") != strings.Join(tc.missingFrom, ",") {
				t.Errorf("missing = %v, want %v", missing, tc.missingFrom)
			}
		})
	}
	if _, err := e.MetricTable(ctx, "no_such_metric", "", 2021); !errors.Is(err, rag.ErrUnknownMetric) || !strings.Contains(err.Error(), "no_such_metric") {
		t.Errorf("unknown metric: err = %v, want ErrUnknownMetric naming it", err)
	}
}

// TestGeneratedAnswerTable: a comparison answered by the model carries the
// table of the figures the reports state.
func TestGeneratedAnswerTable(t *testing.T) {
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	st := mustOpenSQLite(t, t.TempDir(), emb)
	m := &scriptedModel{reply: func(string) (string, error) { return "各镇的数字见所引报告[1]。", nil }}
	e, err := rag.NewEngine(ctx, st, emb, rag.WithLLM(&rag.LLMChain{Model: m}))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range seedFiles {
		if _, err := e.IngestPath(ctx, filepath.Join("..", "testdata", "reports", f)); err != nil {
			t.Fatal(err)
		}
	}
	a := mustAsk(t, e, rag.Question{Text: "2021年各镇调处矛盾纠纷数量分别是多少？"})
	if a.Mode != "llm" {
		t.Fatalf("mode %q (note %q), want the model's answer", a.Mode, a.Note)
	}
	checkRows(t, a.Table, []wantRow{
		{"大钟庄镇", 2021, 68, "001_7e465fa291371142.txt"},
		{"拾万镇", 2021, 53, "004_40507ad071df1468.txt"},
	})
	if a := mustAsk(t, e, rag.Question{Text: "2020年渔门镇调解了多少件矛盾纠纷？"}); a.Table != nil {
		t.Errorf("a single figure carries a table: %+v", a.Table)
	}
}
