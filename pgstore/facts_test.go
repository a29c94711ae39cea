package pgstore_test

import (
	"context"
	"strings"
	"testing"

	"fazhi/ingest"
	"fazhi/rag"
)

// TestFactFiltersAlike runs the same fact filters against both stores:
// every filter is literal ("%" and "_" are characters, not wildcards),
// case counts, and pages cut the same listing at the same places.
func TestFactFiltersAlike(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			emb := rag.HashEmbedder(64)
			s := mustOpen(t, be, be.newLoc(t), emb)
			a, b, _ := fixtures(t, emb)
			pct := makeFixture(t, emb, "id-pct", "pct.txt", "100%镇", 2020, [][2]string{{"一", "办理案件7件。"}},
				[]ingest.Fact{{Subject: "办理案件", Value: 7, Unit: "件", Quote: "办理案件7件。"}})
			latin := makeFixture(t, emb, "id-latin", "latin.txt", "Qingshan", 2020, [][2]string{{"一", "办理案件9件。"}},
				[]ingest.Fact{{Subject: "办理案件_%", Value: 9, Unit: "件", Quote: "办理案件9件。"}})
			for _, f := range []fixture{a, b, pct, latin} {
				put(t, s, f, rag.StatusNew)
			}
			all, err := s.Facts(ctx, rag.FactFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 6 {
				t.Fatalf("got %d facts, want 6", len(all))
			}
			for _, tc := range []struct {
				name string
				f    rag.FactFilter
				want []string // subjects
			}{
				{"percent is a character", rag.FactFilter{Town: "%"}, nil},
				{"underscore is a character", rag.FactFilter{Town: "_"}, nil},
				{"a town with a percent sign", rag.FactFilter{Town: "100%"}, []string{"办理案件"}},
				{"underscore inside", rag.FactFilter{Town: "1_0"}, nil},
				{"prefix", rag.FactFilter{Town: "渔门"}, []string{"排查、调解各类矛盾纠纷", "调解成功率"}},
				{"not a prefix", rag.FactFilter{Town: "门镇"}, nil},
				{"case counts", rag.FactFilter{Town: "qingshan"}, nil},
				{"latin prefix", rag.FactFilter{Town: "Qing"}, []string{"办理案件_%"}},
				{"query literal", rag.FactFilter{Query: "_%"}, []string{"办理案件_%"}},
				{"query percent alone", rag.FactFilter{Query: "%"}, []string{"办理案件_%", "调解成功率"}}, // "调解成功率98%。"
				{"metric exact", rag.FactFilter{Metric: "lecture"}, nil},
				{"source exact", rag.FactFilter{Source: "pct"}, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := s.Facts(ctx, tc.f)
					if err != nil {
						t.Fatal(err)
					}
					var subjects []string
					for _, x := range got {
						subjects = append(subjects, x.Subject)
					}
					if strings.Join(subjects, "|") != strings.Join(tc.want, "|") {
						t.Errorf("got %q, want %q", subjects, tc.want)
					}
				})
			}
			t.Run("pages", func(t *testing.T) {
				var paged []ingest.Fact
				err := rag.EachFactsPage(ctx, s.Facts, rag.FactFilter{}, 4, func(p []ingest.Fact) error {
					if len(p) > 4 {
						t.Errorf("page of %d, want at most 4", len(p))
					}
					paged = append(paged, p...)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(paged) != len(all) {
					t.Fatalf("pages hold %d facts, want %d", len(paged), len(all))
				}
				for i := range all {
					if paged[i].Subject != all[i].Subject || paged[i].Source != all[i].Source {
						t.Errorf("fact %d: paged %s/%s, listed %s/%s", i, paged[i].Source, paged[i].Subject, all[i].Source, all[i].Subject)
					}
				}
				for _, tc := range []struct{ limit, offset, want int }{{2, 0, 2}, {2, 5, 1}, {0, 4, 2}, {10, 6, 0}} {
					got, err := s.Facts(ctx, rag.FactFilter{Limit: tc.limit, Offset: tc.offset})
					if err != nil || len(got) != tc.want {
						t.Errorf("limit %d offset %d: got %d facts, %v; want %d", tc.limit, tc.offset, len(got), err, tc.want)
					}
					if err == nil && len(got) > 0 && got[0].Subject != all[tc.offset].Subject {
						t.Errorf("limit %d offset %d: starts at %q, want %q", tc.limit, tc.offset, got[0].Subject, all[tc.offset].Subject)
					}
				}
			})
		})
	}
}
