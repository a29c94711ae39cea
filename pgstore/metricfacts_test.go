package pgstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"fazhi/ingest"
	"fazhi/rag"
)

// TestMetricFactsAlike runs the fact query of totals and rankings against
// both stores: one metric, narrowed by year and places, every figure with
// its context and its report's sentence count.
func TestMetricFactsAlike(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			emb := rag.HashEmbedder(64)
			s := mustOpen(t, be, be.newLoc(t), emb)
			fact := func(metric string, v float64, quote, context string) ingest.Fact {
				return ingest.Fact{Section: "一", Subject: "调解矛盾纠纷", Metric: metric, Value: v, Unit: "件", Quote: quote, Context: context}
			}
			var fs []fixture
			for i, town := range []string{"渔门镇", "城关镇", "拾万镇"} {
				for _, year := range []int{2020, 2021} {
					n := 100*(i+1) + year - 2020
					f := makeFixture(t, emb, fmt.Sprintf("id-%d-%d", i, year), fmt.Sprintf("%s%d.txt", town, year), town, year,
						[][2]string{{"一", fmt.Sprintf("健全调解网络。调解矛盾纠纷%d件。", n)}},
						[]ingest.Fact{
							fact("disputes_mediated", float64(n), fmt.Sprintf("调解矛盾纠纷%d件。", n), "健全调解网络。"),
							fact("petitions", float64(n+1), "受理信访件。", ""),
						})
					f.rep.Sentences = 10 + n
					fs = append(fs, f)
					put(t, s, f, rag.StatusNew)
				}
			}
			for _, tc := range []struct {
				name string
				q    rag.FactQuery
				want []float64 // values, in statement order
			}{
				{"every report", rag.FactQuery{Metric: "disputes_mediated"}, []float64{100, 101, 200, 201, 300, 301}},
				{"one year", rag.FactQuery{Metric: "disputes_mediated", Year: 2021}, []float64{101, 201, 301}},
				{"one place", rag.FactQuery{Metric: "disputes_mediated", Places: []string{"城关镇"}}, []float64{200, 201}},
				{"two places and a year", rag.FactQuery{Metric: "disputes_mediated", Year: 2020, Places: []string{"拾万镇", "渔门镇"}}, []float64{100, 300}},
				{"another metric", rag.FactQuery{Metric: "petitions", Year: 2020}, []float64{101, 201, 301}},
				{"a year no report has", rag.FactQuery{Metric: "disputes_mediated", Year: 2019}, nil},
				{"a place no report has", rag.FactQuery{Metric: "disputes_mediated", Places: []string{"黄桷镇"}}, nil},
				{"a metric nobody states", rag.FactQuery{Metric: "lawyers"}, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := s.MetricFacts(ctx, tc.q)
					if err != nil {
						t.Fatal(err)
					}
					var values []float64
					for _, f := range got {
						values = append(values, f.Value)
						var rep ingest.Report
						for _, x := range fs {
							if x.rep.ID == f.ReportID {
								rep = x.rep
							}
						}
						if rep.ID == "" {
							t.Errorf("fact %v names report %q, which was not stored", f.Value, f.ReportID)
							continue
						}
						if f.Metric != tc.q.Metric || (tc.q.Year != 0 && rep.Year != tc.q.Year) || (tc.q.Places != nil && !slices.Contains(tc.q.Places, rep.Town)) {
							t.Errorf("fact %v of %s %d outside the query %+v", f.Value, rep.Town, rep.Year, tc.q)
						}
						if !f.HasContext || f.ReportSentences != rep.Sentences {
							t.Errorf("fact %v: has context %v, report sentences %d; want true, %d", f.Value, f.HasContext, f.ReportSentences, rep.Sentences)
						}
						if f.Metric == "disputes_mediated" && (f.Context != "健全调解网络。" || f.Quote != fmt.Sprintf("调解矛盾纠纷%v件。", f.Value)) {
							t.Errorf("fact %v: context %q, quote %q", f.Value, f.Context, f.Quote)
						}
						if f.Metric == "petitions" && f.Context != "" {
							t.Errorf("fact %v: context %q, want empty", f.Value, f.Context)
						}
					}
					if fmt.Sprint(values) != fmt.Sprint(tc.want) {
						t.Errorf("got values %v, want %v", values, tc.want)
					}
				})
			}
			if _, err := s.MetricFacts(ctx, rag.FactQuery{}); err == nil || !strings.Contains(err.Error(), "metric") {
				t.Errorf("no metric: got %v, want an error naming the metric", err)
			}
		})
	}
}

// TestChunksWithAlike checks that both stores find, for any of some
// terms, exactly the chunks whose terms hold one.
func TestChunksWithAlike(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			emb := rag.HashEmbedder(64)
			s := mustOpen(t, be, be.newLoc(t), emb)
			a, b, _ := fixtures(t, emb)
			put(t, s, a, rag.StatusNew)
			put(t, s, b, rag.StatusNew)
			all, err := s.Chunks(ctx, rag.Scope{})
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name   string
				tokens []string
				scope  rag.Scope
			}{
				{"one term", []string{"纠纷"}, rag.Scope{}},
				{"either term", []string{"纠纷", "复议"}, rag.Scope{}},
				{"a term in a section title", []string{"普法"}, rag.Scope{}},
				{"a term in one town", []string{"纠纷", "复议"}, rag.Scope{Towns: []string{"城关镇"}}},
				{"a term in one year", []string{"纠纷", "复议"}, rag.Scope{Year: 2020}},
				{"a term nobody says", []string{"龙舟"}, rag.Scope{}},
				{"no term", nil, rag.Scope{}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := s.ChunksWith(ctx, tc.tokens, tc.scope)
					if err != nil {
						t.Fatal(err)
					}
					key := func(h rag.Hit) string { return h.ReportID + "|" + h.Section + "|" + h.Text }
					var want, have []string
					for _, h := range all {
						holds := false
						for _, tok := range rag.Tokens(h.Section + " " + h.Text) {
							holds = holds || slices.Contains(tc.tokens, tok)
						}
						if holds && (tc.scope.Towns == nil || slices.Contains(tc.scope.Towns, h.Town)) && (tc.scope.Year == 0 || h.Year == tc.scope.Year) {
							want = append(want, key(h))
						}
					}
					for _, h := range got {
						have = append(have, key(h))
						if h.Text == "" || h.ReportID == "" || h.ChunkID == 0 {
							t.Errorf("hit without chunk, text or report: %+v", h)
						}
					}
					slices.Sort(want)
					slices.Sort(have)
					if fmt.Sprint(have) != fmt.Sprint(want) {
						t.Errorf("got %q, want %q", have, want)
					}
				})
			}
		})
	}
}
