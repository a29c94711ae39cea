package rag_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"fazhi/eval"
	"fazhi/internal/lookalike"
	"fazhi/rag"
)

// aggregateQuestions total, rank and compare figures across towns, as
// officials ask them and as the evaluation sets do.
var aggregateQuestions = []string{
	"所有镇一共调解了多少矛盾纠纷？",
	"所有镇一共调解了多少件矛盾纠纷？",
	"哪个镇调解的矛盾纠纷最多？",
	"哪个镇调解的矛盾纠纷最少？",
	"所有镇一共排查调解矛盾纠纷多少件？",
	"2021年各镇调处矛盾纠纷数量分别是多少？",
	"所有镇2021年一共调处了多少矛盾纠纷？",
	"各镇分别有多少名调解员？",
	"各镇一共受理了多少信访件？",
	"哪个镇普法宣传活动最多？",
	"各镇举办了多少场法治讲座？",
	"哪个镇的调解成功率最高？",
	"各镇聘请了多少名法律顾问？",
	"Which town mediated the most disputes?",
	"How many disputes did all towns mediate in total?",
}

// TestAggregateFromFactTable answers every total, ranking and comparison
// twice, from the fact table and by reading every report's sentences, on
// the seeds and on the seeds with look-alike reports: each report's
// figure, and the reports without one, are the same.
func TestAggregateFromFactTable(t *testing.T) {
	ctx := context.Background()
	seeds, _ := seedEngine(t)
	withLookalikes, _ := seedEngine(t)
	_, texts := benchSeedTexts(t)
	n := 120
	if testing.Short() {
		n = 30
	}
	for _, r := range lookalike.Generate(texts, n, rand.New(rand.NewPCG(15, 1))) {
		if _, err := withLookalikes.IngestFile(ctx, r.Name, []byte(r.Text)); err != nil {
			t.Fatal(err)
		}
	}
	for _, store := range []struct {
		name string
		e    *rag.Engine
	}{{"seeds", seeds}, {"lookalikes", withLookalikes}} {
		t.Run(store.name, func(t *testing.T) {
			answered := 0
			for _, q := range aggregateQuestions {
				table, sentences, ok, err := store.e.FiguresBothWays(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				if !ok {
					continue
				}
				answered++
				if table != sentences {
					t.Errorf("%s\nfrom the fact table:\n%s\nfrom the sentences:\n%s", q, table, sentences)
				}
				if table == "" {
					t.Errorf("%s: no report in scope", q)
				}
			}
			if answered < len(aggregateQuestions)-3 {
				t.Errorf("the fact table answered %d of %d questions, want all but those without a known metric", answered, len(aggregateQuestions))
			}
		})
	}
}

// TestAggregateSeesNewReports asks a total, then changes a report and
// adds others, and asks again: the figures and term counts kept from the
// first answer hide neither the changed figure nor the new reports'.
func TestAggregateSeesNewReports(t *testing.T) {
	ctx := context.Background()
	e, _ := seedEngine(t)
	const q = "所有镇一共调解了多少件矛盾纠纷？"
	before := mustAsk(t, e, rag.Question{Text: q})
	if before.Table == nil || len(before.Table.Rows) == 0 {
		t.Fatalf("%s: no figure on the seeds: %q", q, before.Answer)
	}
	names, texts := benchSeedTexts(t)
	const seed = "000_cd4b96a87fea5f69.txt"
	i := slices.Index(names, seed)
	if i < 0 || !strings.Contains(texts[i], "矛盾纠纷368件") {
		t.Fatalf("seed %s stating 矛盾纠纷368件 not found", seed)
	}
	// The same report again, its figure changed: the fact query of the
	// same places and year must not answer from the first one's rows.
	if res, err := e.IngestFile(ctx, seed, []byte(strings.Replace(texts[i], "矛盾纠纷368件", "矛盾纠纷1368件", 1))); err != nil || res.Status != rag.StatusReplaced {
		t.Fatalf("replace %s: %v, %v", seed, res.Status, err)
	}
	changed := mustAsk(t, e, rag.Question{Text: q})
	if !strings.Contains(changed.Answer, "1368件") {
		t.Errorf("after changing %s to 1368: %q", seed, changed.Answer)
	}
	added := 0
	for _, r := range lookalike.Generate(texts, 8, rand.New(rand.NewPCG(15, 2))) {
		if _, err := e.IngestFile(ctx, r.Name, []byte(r.Text)); err != nil {
			t.Fatal(err)
		}
		added++
	}
	after := mustAsk(t, e, rag.Question{Text: q})
	table, sentences, ok, err := e.FiguresBothWays(ctx, q)
	if err != nil || !ok {
		t.Fatalf("%s: answered from the table %v, %v", q, ok, err)
	}
	if table != sentences {
		t.Errorf("after adding reports, from the fact table:\n%s\nfrom the sentences:\n%s", table, sentences)
	}
	if after.Table == nil || len(after.Table.Rows)+len(after.Table.Missing) != len(before.Table.Rows)+len(before.Table.Missing)+added {
		t.Errorf("after adding %d reports: %d figures and %d missing, before %d and %d", added, len(after.Table.Rows), len(after.Table.Missing), len(before.Table.Rows), len(before.Table.Missing))
	}
}

// TestAnswerTableTrimmed asks a total over more reports than an answer's
// table lists: the answer lists the largest figures first and counts what
// it leaves out, and the metric's whole table still has every row.
func TestAnswerTableTrimmed(t *testing.T) {
	ctx := context.Background()
	e, _ := seedEngine(t)
	_, texts := benchSeedTexts(t)
	for _, r := range lookalike.Generate(texts, 2*rag.MaxAnswerTableRows, rand.New(rand.NewPCG(15, 3))) {
		if _, err := e.IngestFile(ctx, r.Name, []byte(r.Text)); err != nil {
			t.Fatal(err)
		}
	}
	a := mustAsk(t, e, rag.Question{Text: "所有镇一共调解了多少件矛盾纠纷？"})
	tab := a.Table
	if tab == nil {
		t.Fatalf("no table: %q", a.Answer)
	}
	if len(tab.Rows) != rag.MaxAnswerTableRows || tab.RowsOmitted == 0 {
		t.Fatalf("%d rows listed, %d left out: want %d listed and some left out", len(tab.Rows), tab.RowsOmitted, rag.MaxAnswerTableRows)
	}
	if len(tab.Missing) > rag.MaxAnswerTableRows || tab.MissingOmitted > 0 && len(tab.Missing) != rag.MaxAnswerTableRows {
		t.Errorf("%d missing listed, %d left out", len(tab.Missing), tab.MissingOmitted)
	}
	for i := 1; i < len(tab.Rows); i++ {
		if tab.Rows[i].Value > tab.Rows[i-1].Value {
			t.Fatalf("row %d (%v) above row %d (%v): want the largest first", i, tab.Rows[i].Value, i-1, tab.Rows[i-1].Value)
		}
	}
	reports, err := e.Reports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(tab.Rows) + tab.RowsOmitted + len(tab.Missing) + tab.MissingOmitted; got != len(reports) {
		t.Errorf("rows, missing and those left out add up to %d, want the %d reports", got, len(reports))
	}
	if !strings.Contains(a.Answer, strconv.Itoa(len(tab.Rows)+tab.RowsOmitted)+"份报告") {
		t.Errorf("the answer does not total every figure (%d): %q", len(tab.Rows)+tab.RowsOmitted, a.Answer[:min(len(a.Answer), 200)])
	}
	whole, err := e.MetricTable(ctx, "disputes_mediated", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if whole.RowsOmitted != 0 || whole.MissingOmitted != 0 || len(whole.Rows)+len(whole.Missing) != len(reports) {
		t.Errorf("the metric's table: %d rows, %d missing, %d and %d left out; want all %d reports", len(whole.Rows), len(whole.Missing), whole.RowsOmitted, whole.MissingOmitted, len(reports))
	}
}

// TestFactGramsAgree prepares every figure of the seeds and the real
// reports for the terms of every real and public question the way a
// total over the fact table does, with fewer searches, and as the
// sentence path does: the gram sets are the same.
func TestFactGramsAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests 45 reports")
	}
	ctx := context.Background()
	e := mustRealEngine(t)
	var questions []string
	for _, f := range []string{"../testdata/real/qa.jsonl", "../testdata/eval/seed-qa.jsonl", "../testdata/eval/fazhi-qa.jsonl"} {
		cases, err := eval.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			questions = append(questions, c.Question)
		}
	}
	questions = append(questions, aggregateQuestions...)
	compared := 0
	for _, q := range questions {
		n, err := e.FactGramsAgree(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n > 0 {
			compared++
		}
		if n > 0 && n < 250 {
			t.Fatalf("%s: compared %d figures, want every figure of the 45 reports (over 250)", q, n)
		}
	}
	if compared < len(questions)*9/10 {
		t.Errorf("compared the figures for %d of %d questions, want nearly all (the rest have more terms than a mask holds)", compared, len(questions))
	}
}
