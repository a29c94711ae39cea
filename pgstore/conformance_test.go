package pgstore_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"fazhi/ingest"
	"fazhi/pgstore"
	"fazhi/rag"
	"fazhi/sqlitestore"
)

// backend is a rag.Store implementation under test: newLoc makes a fresh
// place for a store (a directory, a database schema) and open opens the
// store there.
type backend struct {
	name   string
	newLoc func(t *testing.T) string
	open   func(ctx context.Context, loc string, emb rag.Embedder) (rag.Store, error)
}

// backends are the stores that must behave alike: the embedded one is
// the reference, and always runs; PostgreSQL runs when configured.
var backends = []backend{
	{
		name:   "sqlite",
		newLoc: func(t *testing.T) string { return t.TempDir() },
		open: func(ctx context.Context, dir string, emb rag.Embedder) (rag.Store, error) {
			return sqlitestore.Open(ctx, dir, emb)
		},
	},
	{
		name:   "postgres",
		newLoc: func(t *testing.T) string { return testURL(t) },
		open: func(ctx context.Context, u string, emb rag.Embedder) (rag.Store, error) {
			return pgstore.Open(ctx, u, emb)
		},
	},
}

var _ rag.Store = (*pgstore.Store)(nil)

func mustOpen(t *testing.T, b backend, loc string, emb rag.Embedder) rag.Store {
	t.Helper()
	s, err := b.open(context.Background(), loc, emb)
	if err != nil {
		t.Fatalf("open %s store: %v", b.name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fixture is a report as the Engine would hand it to a store.
type fixture struct {
	rep    ingest.Report
	chunks []rag.StoredChunk
	facts  []ingest.Fact
}

var testTime = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("CST", 8*3600))

func makeFixture(t *testing.T, emb rag.Embedder, id, source, town string, year int, chunks [][2]string, facts []ingest.Fact) fixture {
	t.Helper()
	f := fixture{rep: ingest.Report{
		ID: id, Source: source, Title: town + "法治政府建设工作报告", Place: town, Level: ingest.LevelTownship, Town: town, County: "某某县",
		City: "某某市", Province: "某某省", DivisionCode: "510422102",
		Year: year, Date: "2021-01-05", DocNumber: "某政〔2021〕1号", Text: "全文", IngestedAt: testTime,
	}}
	for i, c := range chunks {
		v, err := emb.Embed(context.Background(), c[0]+" "+c[1])
		if err != nil {
			t.Fatal(err)
		}
		f.chunks = append(f.chunks, rag.StoredChunk{Chunk: ingest.Chunk{ReportID: id, Seq: i, Section: c[0], Text: c[1]}, Embedding: v})
	}
	for _, x := range facts {
		x.Source, x.Town, x.Year = source, town, year
		f.facts = append(f.facts, x)
	}
	return f
}

func put(t *testing.T, s rag.Store, f fixture, want rag.IngestStatus) {
	t.Helper()
	got, err := s.Put(context.Background(), f.rep, f.chunks, f.facts)
	if err != nil {
		t.Fatalf("put %s: %v", f.rep.Source, err)
	}
	if got != want {
		t.Errorf("put %s: status %q, want %q", f.rep.Source, got, want)
	}
}

// hitKey is what identifies a hit across stores (chunk ids differ).
func hitKey(h rag.Hit) string {
	return h.Source + "|" + h.Town + "|" + strconv.Itoa(h.Year) + "|" + h.Section + "|" + h.Text
}

func hitKeys(hs []rag.Hit) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, hitKey(h))
	}
	return out
}

// fixtures returns two reports of two towns and years, and a new
// version of the first one's file.
func fixtures(t *testing.T, emb rag.Embedder) (a, b, a2 fixture) {
	a = makeFixture(t, emb, "id-a", "a.txt", "渔门镇", 2020, [][2]string{
		{"一、主要工作", "全年共排查、调解各类矛盾纠纷368件，调解成功率98%。"},
		{"二、存在问题", "法治宣传形式单一，群众参与度不高。"},
	}, []ingest.Fact{
		{Section: "一、主要工作", Subject: "排查、调解各类矛盾纠纷", Metric: "disputes_mediated", Value: 368, Unit: "件", Quote: "全年共排查、调解各类矛盾纠纷368件。"},
		{Section: "一、主要工作", Subject: "调解成功率", Metric: "mediation_success_rate", Value: 98, Unit: "%", Quote: "调解成功率98%。"},
		{Section: "一、主要工作", Subject: "坏数", Value: math.NaN(), Quote: "不存"},
	})
	b = makeFixture(t, emb, "id-b", "b.txt", "城关镇", 2021, [][2]string{
		{"一、普法宣传", "开展法治讲座12场，发放宣传资料3000余份。"},
		{"二、行政复议", "办理行政复议案件5件，全部依法办结。"},
	}, []ingest.Fact{
		{Section: "一、普法宣传", Subject: "开展法治讲座", Metric: "lectures", Value: 12, Unit: "场", Quote: "开展法治讲座12场，发放宣传资料3000余份。"},
		{Section: "一、普法宣传", Subject: "发放宣传资料", Metric: "materials", Value: 3000, Unit: "份", Approx: "余", Quote: "开展法治讲座12场，发放宣传资料3000余份。"},
	})
	a.rep.Aliases = []string{"渔镇", "渔门街道"} // kept in order, b has none
	a2 = makeFixture(t, emb, "id-a2", "a.txt", "渔门镇", 2020, [][2]string{
		{"一、主要工作", "聘请法律顾问1名，审查合同20份。"},
	}, nil)
	return a, b, a2
}

// TestStoreConformance runs the same assertions against every backend,
// so that PostgreSQL keeps the embedded store's semantics.
func TestStoreConformance(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			emb := rag.HashEmbedder(64)
			s := mustOpen(t, be, be.newLoc(t), emb)
			a, b, a2 := fixtures(t, emb)

			v0, err := s.Version(ctx)
			if err != nil {
				t.Fatal(err)
			}
			put(t, s, a, rag.StatusNew)
			put(t, s, a, rag.StatusUnchanged)
			put(t, s, b, rag.StatusNew)
			if err := s.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			v1, err := s.Version(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if v1 == v0 {
				t.Errorf("Version after Put: still %d", v1)
			}

			t.Run("Has", func(t *testing.T) {
				for _, tc := range []struct {
					id      string
					wantSrc string
					wantOK  bool
				}{{"id-a", "a.txt", true}, {"id-b", "b.txt", true}, {"nope", "", false}} {
					src, ok, err := s.Has(ctx, tc.id)
					if err != nil || src != tc.wantSrc || ok != tc.wantOK {
						t.Errorf("Has(%q) = %q, %v, %v; want %q, %v, nil", tc.id, src, ok, err, tc.wantSrc, tc.wantOK)
					}
				}
			})

			t.Run("Reports", func(t *testing.T) {
				got, err := s.Reports(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want := []rag.ReportInfo{
					{Report: b.rep, Chunks: 2, Facts: 2}, // 城 (U+57CE) sorts before 渔 (U+6E14)
					{Report: a.rep, Chunks: 2, Facts: 2}, // the NaN figure is not stored
				}
				if len(got) != len(want) {
					t.Fatalf("got %d reports, want %d", len(got), len(want))
				}
				for i := range want {
					w := want[i]
					w.Text = ""
					w.IngestedAt = testTime.UTC().Truncate(time.Second)
					g := got[i]
					if !g.IngestedAt.Equal(w.IngestedAt) || g.IngestedAt.Location() != time.UTC {
						t.Errorf("report %d: IngestedAt %v, want %v", i, g.IngestedAt, w.IngestedAt)
					}
					g.IngestedAt = w.IngestedAt
					if !reflect.DeepEqual(g, w) {
						t.Errorf("report %d:\n got %+v\nwant %+v", i, g, w)
					}
				}
			})

			t.Run("Facts", func(t *testing.T) {
				for _, tc := range []struct {
					name   string
					filter rag.FactFilter
					want   []string // subjects, in order
				}{
					{"all", rag.FactFilter{}, []string{"开展法治讲座", "发放宣传资料", "排查、调解各类矛盾纠纷", "调解成功率"}},
					{"town", rag.FactFilter{Town: "渔门镇"}, []string{"排查、调解各类矛盾纠纷", "调解成功率"}},
					{"town prefix", rag.FactFilter{Town: "城关"}, []string{"开展法治讲座", "发放宣传资料"}},
					{"town not a prefix", rag.FactFilter{Town: "关镇"}, nil},
					{"year", rag.FactFilter{Year: 2020}, []string{"排查、调解各类矛盾纠纷", "调解成功率"}},
					{"town and year", rag.FactFilter{Town: "渔门镇", Year: 2021}, nil},
					{"metric", rag.FactFilter{Metric: "materials"}, []string{"发放宣传资料"}},
					{"query in subject", rag.FactFilter{Query: "成功率"}, []string{"调解成功率"}},
					{"query in quote", rag.FactFilter{Query: "3000余份"}, []string{"开展法治讲座", "发放宣传资料"}},
				} {
					t.Run(tc.name, func(t *testing.T) {
						got, err := s.Facts(ctx, tc.filter)
						if err != nil {
							t.Fatal(err)
						}
						var subjects []string
						for _, f := range got {
							subjects = append(subjects, f.Subject)
						}
						if !reflect.DeepEqual(subjects, tc.want) {
							t.Errorf("got %q, want %q", subjects, tc.want)
						}
					})
				}
				got, err := s.Facts(ctx, rag.FactFilter{Metric: "materials"})
				if err != nil || len(got) != 1 {
					t.Fatalf("Facts(materials) = %v, %v", got, err)
				}
				if want := b.facts[1]; !reflect.DeepEqual(got[0], want) {
					t.Errorf("fact:\n got %+v\nwant %+v", got[0], want)
				}
			})

			t.Run("Chunks", func(t *testing.T) {
				for _, tc := range []struct {
					name  string
					scope rag.Scope
					want  []rag.StoredChunk
				}{
					{"all", rag.Scope{}, []rag.StoredChunk{b.chunks[0], b.chunks[1], a.chunks[0], a.chunks[1]}},
					{"town", rag.Scope{Towns: []string{"渔门镇"}}, a.chunks},
					{"towns", rag.Scope{Towns: []string{"渔门镇", "城关镇"}}, []rag.StoredChunk{b.chunks[0], b.chunks[1], a.chunks[0], a.chunks[1]}},
					{"year", rag.Scope{Year: 2021}, b.chunks},
					{"nothing", rag.Scope{Towns: []string{"渔门镇"}, Year: 2021}, nil},
				} {
					t.Run(tc.name, func(t *testing.T) {
						got, err := s.Chunks(ctx, tc.scope)
						if err != nil {
							t.Fatal(err)
						}
						if len(got) != len(tc.want) {
							t.Fatalf("got %d chunks, want %d: %q", len(got), len(tc.want), hitKeys(got))
						}
						for i, h := range got {
							w := tc.want[i]
							if h.ReportID != w.ReportID || h.Section != w.Section || h.Text != w.Text {
								t.Errorf("chunk %d: got %s %q %q, want %s %q %q", i, h.ReportID, h.Section, h.Text, w.ReportID, w.Section, w.Text)
							}
						}
					})
				}
			})

			t.Run("Keyword", func(t *testing.T) {
				for _, tc := range []struct {
					name  string
					query string
					scope rag.Scope
					k     int
					first string // text of the best hit; "" for none
					n     int
				}{
					{"best", "行政复议案件", rag.Scope{}, 4, b.chunks[1].Text, -1},
					{"limit", "矛盾纠纷调解", rag.Scope{}, 1, a.chunks[0].Text, 1},
					{"town filter", "行政复议", rag.Scope{Towns: []string{"渔门镇"}}, 4, "", 0},
					{"year filter", "法治宣传", rag.Scope{Year: 2021}, 4, b.chunks[0].Text, -1},
					{"no match", "气象卫星", rag.Scope{}, 4, "", 0},
					{"no tokens", "，。", rag.Scope{}, 4, "", 0},
				} {
					t.Run(tc.name, func(t *testing.T) {
						got, err := s.Keyword(ctx, rag.Tokens(tc.query), tc.scope, tc.k)
						if err != nil {
							t.Fatal(err)
						}
						if tc.n >= 0 && len(got) != tc.n {
							t.Errorf("got %d hits, want %d: %q", len(got), tc.n, hitKeys(got))
						}
						if len(got) > tc.k {
							t.Errorf("got %d hits, over k=%d", len(got), tc.k)
						}
						if tc.first == "" {
							return
						}
						if len(got) == 0 || got[0].Text != tc.first {
							t.Fatalf("best hit: got %q, want %q", hitKeys(got), tc.first)
						}
						for i, h := range got {
							if h.Score <= 0 || (i > 0 && h.Score > got[i-1].Score) {
								t.Errorf("hit %d: score %v after %v: want positive, descending", i, h.Score, got[max(i-1, 0)].Score)
							}
							if len(tc.scope.Towns) > 0 && h.Town != tc.scope.Towns[0] || tc.scope.Year != 0 && h.Year != tc.scope.Year {
								t.Errorf("hit %d out of scope: %s", i, hitKey(h))
							}
						}
					})
				}
			})

			t.Run("Vector", func(t *testing.T) {
				embed := func(c rag.StoredChunk) []float32 { return c.Embedding }
				for _, tc := range []struct {
					name  string
					v     []float32
					scope rag.Scope
					k     int
					first string
					n     int
				}{
					{"nearest", embed(a.chunks[1]), rag.Scope{}, 4, a.chunks[1].Text, 4},
					{"limit", embed(b.chunks[0]), rag.Scope{}, 2, b.chunks[0].Text, 2},
					{"town filter", embed(a.chunks[1]), rag.Scope{Towns: []string{"城关镇"}}, 4, "", 2},
					{"year filter", embed(b.chunks[1]), rag.Scope{Year: 2020}, 4, "", 2},
					{"empty scope", embed(b.chunks[1]), rag.Scope{Towns: []string{"无此镇"}}, 4, "", 0},
				} {
					t.Run(tc.name, func(t *testing.T) {
						got, err := s.Vector(ctx, tc.v, tc.scope, tc.k)
						if err != nil {
							t.Fatal(err)
						}
						if len(got) != tc.n {
							t.Fatalf("got %d hits, want %d: %q", len(got), tc.n, hitKeys(got))
						}
						if tc.first != "" {
							if got[0].Text != tc.first {
								t.Errorf("nearest: got %q, want %q", got[0].Text, tc.first)
							}
							if math.Abs(got[0].Score-1) > 1e-4 {
								t.Errorf("nearest: score %v, want 1 (same vector)", got[0].Score)
							}
						}
						for i, h := range got {
							if i > 0 && h.Score > got[i-1].Score {
								t.Errorf("hit %d: score %v after %v: want descending", i, h.Score, got[i-1].Score)
							}
							if len(tc.scope.Towns) > 0 && h.Town != tc.scope.Towns[0] || tc.scope.Year != 0 && h.Year != tc.scope.Year {
								t.Errorf("hit %d out of scope: %s", i, hitKey(h))
							}
						}
					})
				}
			})

			t.Run("Counts", func(t *testing.T) {
				r, c, f, err := s.Counts(ctx)
				if err != nil || r != 2 || c != 4 || f != 4 {
					t.Errorf("Counts() = %d, %d, %d, %v; want 2, 4, 4, nil", r, c, f, err)
				}
			})

			t.Run("Replace", func(t *testing.T) {
				put(t, s, a2, rag.StatusReplaced)
				if err := s.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
				if _, ok, _ := s.Has(ctx, a.rep.ID); ok {
					t.Errorf("the replaced report %s is still stored", a.rep.ID)
				}
				if src, ok, _ := s.Has(ctx, a2.rep.ID); !ok || src != "a.txt" {
					t.Errorf("Has(%s) = %q, %v; want a.txt, true", a2.rep.ID, src, ok)
				}
				if r, c, f, _ := s.Counts(ctx); r != 2 || c != 3 || f != 2 {
					t.Errorf("Counts() = %d, %d, %d; want 2, 3, 2", r, c, f)
				}
				got, err := s.Keyword(ctx, rag.Tokens("矛盾纠纷"), rag.Scope{}, 4)
				if err != nil || len(got) != 0 {
					t.Errorf("Keyword finds the replaced report's text: %q, %v", hitKeys(got), err)
				}
				hits, err := s.Vector(ctx, a.chunks[0].Embedding, rag.Scope{Towns: []string{"渔门镇"}}, 4)
				if err != nil || len(hits) != 1 || hits[0].Text != a2.chunks[0].Text {
					t.Errorf("Vector in 渔门镇 = %q, %v; want only the new chunk", hitKeys(hits), err)
				}
			})

			t.Run("Delete", func(t *testing.T) {
				before, _ := s.Version(ctx)
				if err := s.Delete(ctx, "a.txt"); err != nil {
					t.Fatalf("Delete(a.txt): %v", err)
				}
				if after, _ := s.Version(ctx); after == before {
					t.Errorf("Version after Delete: still %d", after)
				}
				for _, src := range []string{"a.txt", "never.txt"} {
					if err := s.Delete(ctx, src); !errors.Is(err, rag.ErrNotFound) {
						t.Errorf("Delete(%s) = %v, want an error wrapping rag.ErrNotFound", src, err)
					}
				}
				if err := s.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
				if r, c, f, _ := s.Counts(ctx); r != 1 || c != 2 || f != 2 {
					t.Errorf("Counts() = %d, %d, %d; want 1, 2, 2", r, c, f)
				}
				hits, err := s.Vector(ctx, a2.chunks[0].Embedding, rag.Scope{}, 4)
				if err != nil || len(hits) != 2 {
					t.Errorf("Vector = %q, %v; want the 2 chunks left", hitKeys(hits), err)
				}
				for _, h := range hits {
					if h.Source != "b.txt" {
						t.Errorf("Vector finds a deleted chunk: %s", hitKey(h))
					}
				}
			})
		})
	}
}

// TestEmbedderMismatch opens a store with another embedder than it was
// made with.
func TestEmbedderMismatch(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			loc := be.newLoc(t)
			s, err := be.open(ctx, loc, rag.HashEmbedder(64))
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			s, err = be.open(ctx, loc, rag.HashEmbedder(32))
			if err == nil {
				s.Close()
				t.Fatalf("opened a store made with %s using %s", rag.HashEmbedder(64).Name, rag.HashEmbedder(32).Name)
			}
			if !errors.Is(err, rag.ErrEmbedderMismatch) {
				t.Errorf("got %v, want an error wrapping rag.ErrEmbedderMismatch", err)
			}
			for _, want := range []string{rag.HashEmbedder(64).Name, rag.HashEmbedder(32).Name, "--embedder"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			s = mustOpen(t, be, loc, rag.HashEmbedder(64)) // the right one still opens
			if _, err := s.Version(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestKeywordRanksLikeSQLite checks that both stores rank keyword hits
// alike, scores included: both are BM25 over the same tokens.
func TestKeywordRanksLikeSQLite(t *testing.T) {
	ctx := context.Background()
	emb := rag.HashEmbedder(64)
	pg := mustOpen(t, backends[1], backends[1].newLoc(t), emb)
	lite := mustOpen(t, backends[0], backends[0].newLoc(t), emb)
	texts := [][2]string{
		{"一、普法宣传", "开展法治讲座12场，发放宣传资料3000余份，法治宣传进村入户。"},
		{"二、矛盾纠纷", "排查矛盾纠纷120件，调解成功115件，调解成功率95%。"},
		{"三、行政复议", "办理行政复议案件5件，行政诉讼案件2件，全部依法办结。"},
		{"四、法律顾问", "聘请法律顾问1名，审查合同20份，法律顾问参与重大决策。"},
		{"五、存在问题", "法治宣传形式单一，矛盾纠纷调解队伍力量薄弱。"},
	}
	towns := []string{"甲镇", "乙镇", "丙镇"}
	for i, town := range towns {
		var cs [][2]string
		for j := range texts {
			c := texts[(i+j)%len(texts)]
			cs = append(cs, [2]string{c[0], strings.Repeat(c[1], 1+(i+j)%3)})
		}
		f := makeFixture(t, emb, "id-"+town, town+".txt", town, 2020+i, cs[:3+i], nil)
		for _, s := range []rag.Store{pg, lite} {
			put(t, s, f, rag.StatusNew)
		}
	}
	if err := lite.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query string
		scope rag.Scope
	}{
		{"矛盾纠纷调解成功率", rag.Scope{}},
		{"法治宣传讲座", rag.Scope{}},
		{"行政复议 诉讼 案件", rag.Scope{Year: 2021}},
		{"法律顾问 合同", rag.Scope{Towns: []string{"甲镇", "丙镇"}}},
		{"宣传 问题", rag.Scope{Towns: []string{"乙镇"}, Year: 2021}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			want, err := lite.Keyword(ctx, rag.Tokens(tc.query), tc.scope, 5)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pg.Keyword(ctx, rag.Tokens(tc.query), tc.scope, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("the reference store found nothing: the case tests nothing")
			}
			if len(got) != len(want) {
				t.Fatalf("got %d hits, SQLite %d:\n got %q\nwant %q", len(got), len(want), hitKeys(got), hitKeys(want))
			}
			for i := range want {
				if hitKey(got[i]) != hitKey(want[i]) || math.Abs(got[i].Score-want[i].Score) > 1e-6*math.Max(1, math.Abs(want[i].Score)) {
					t.Errorf("hit %d: got %s (%.6f), SQLite %s (%.6f)", i, hitKey(got[i]), got[i].Score, hitKey(want[i]), want[i].Score)
				}
			}
		})
	}
}

// TestSetMetaConformance rewrites a stored report's metadata (as fazhi
// reindex does) on both stores: the report lists the new fields, its text
// is kept, and its chunks are found under the new unit and year, by scope
// and by vector, with no embedding.
func TestSetMetaConformance(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			emb := rag.HashEmbedder(64)
			s := mustOpen(t, be, be.newLoc(t), emb)
			a, b, _ := fixtures(t, emb)
			put(t, s, a, rag.StatusNew)
			put(t, s, b, rag.StatusNew)
			if err := s.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			v0, _ := s.Version(ctx)
			next := a.rep
			next.Text = ""
			next.Place, next.Town, next.Level, next.County, next.City, next.Province, next.DivisionCode, next.Year =
				"东溪镇", "东溪镇", ingest.LevelTownship, "綦江区", "重庆市", "重庆市", "500110109", 2021
			next.Aliases = []string{"东溪街"}
			if err := s.SetMeta(ctx, next); err != nil {
				t.Fatal(err)
			}
			if v1, _ := s.Version(ctx); v1 == v0 {
				t.Errorf("Version after SetMeta: still %d", v1)
			}
			if err := s.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if text, err := s.ReportText(ctx, "id-a"); err != nil || text != "全文" {
				t.Errorf("ReportText = %q, %v; want the stored text", text, err)
			}
			if _, err := s.ReportText(ctx, "nope"); !errors.Is(err, rag.ErrNotFound) {
				t.Errorf("ReportText(nope) err = %v, want ErrNotFound", err)
			}
			reps, err := s.Reports(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, r := range reps {
				if r.ID == "id-a" {
					found = true
					if r.Place != "东溪镇" || r.County != "綦江区" || r.City != "重庆市" || r.DivisionCode != "500110109" || r.Year != 2021 || !reflect.DeepEqual(r.Aliases, []string{"东溪街"}) {
						t.Errorf("report after SetMeta: %+v", r.Report)
					}
				}
			}
			if !found {
				t.Fatal("report id-a gone after SetMeta")
			}
			scope := rag.Scope{Towns: []string{"东溪镇"}, Year: 2021}
			if hits, err := s.Chunks(ctx, scope); err != nil || len(hits) != 2 {
				t.Errorf("Chunks(东溪镇 2021) = %d hits, %v; want 2", len(hits), err)
			}
			hits, err := s.Vector(ctx, a.chunks[0].Embedding, scope, 5)
			if err != nil || len(hits) == 0 || hits[0].ReportID != "id-a" {
				t.Errorf("Vector(东溪镇 2021) = %+v, %v; want id-a's chunks", hits, err)
			}
			if hits, err := s.Chunks(ctx, rag.Scope{Towns: []string{"渔门镇"}}); err != nil || len(hits) != 0 {
				t.Errorf("Chunks(渔门镇) = %d hits, %v; want none left under the old unit", len(hits), err)
			}
			if err := s.SetMeta(ctx, ingest.Report{ID: "nope"}); !errors.Is(err, rag.ErrNotFound) {
				t.Errorf("SetMeta(nope) err = %v, want ErrNotFound", err)
			}
		})
	}
}

// TestTermCountsConformance stores reports with and without term counts
// and reads them back (rag.TermCountStore) in every backend: a report
// without counts, or with counts of another vocabulary, leaves the store
// incomplete until SetTermCounts fills it; replacing and deleting a
// report take its counts with it.
func TestTermCountsConformance(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			emb := rag.HashEmbedder(64)
			s, ok := mustOpen(t, be, be.newLoc(t), emb).(rag.TermCountStore)
			if !ok {
				t.Fatalf("the %s store keeps no term counts", be.name)
			}
			read := func(vocab string) (map[string]string, bool) {
				t.Helper()
				got := map[string]string{}
				complete, err := s.TermCounts(ctx, vocab, func(id string, enc []byte) error {
					if _, dup := got[id]; dup {
						t.Errorf("report %s given twice", id)
					}
					got[id] = string(enc)
					return nil
				})
				if err != nil {
					t.Fatalf("TermCounts(%s): %v", vocab, err)
				}
				return got, complete
			}
			if got, complete := read("v1"); len(got) != 0 || !complete {
				t.Errorf("empty store: %v, complete %v; want none, complete", got, complete)
			}
			a, b, a2 := fixtures(t, emb)
			a.rep.TermVocab, a.rep.TermCounts = "v1", []byte{1, 2, 3, 0x80, 0x01}
			b.rep.TermVocab = "v1" // not counted: no counts
			put(t, s, a, rag.StatusNew)
			put(t, s, b, rag.StatusNew)
			if got, complete := read("v1"); !reflect.DeepEqual(got, map[string]string{"id-a": "\x01\x02\x03\x80\x01"}) || complete {
				t.Errorf("a counted, b not: %q, complete %v; want a's counts, incomplete", got, complete)
			}
			v0, _ := s.Version(ctx)
			if err := s.SetTermCounts(ctx, "id-b", "v1", []byte{}); err != nil {
				t.Fatal(err)
			}
			if v1, _ := s.Version(ctx); v1 == v0 {
				t.Errorf("Version after SetTermCounts: still %d", v1)
			}
			if got, complete := read("v1"); !reflect.DeepEqual(got, map[string]string{"id-a": "\x01\x02\x03\x80\x01", "id-b": ""}) || !complete {
				t.Errorf("b filled with no counts: %q, complete %v; want both, complete", got, complete)
			}
			if got, complete := read("v2"); len(got) != 0 || complete {
				t.Errorf("another vocabulary: %q, complete %v; want none, incomplete", got, complete)
			}
			if err := s.SetTermCounts(ctx, "id-a", "v2", []byte{9}); err != nil {
				t.Fatal(err)
			}
			if got, complete := read("v1"); !reflect.DeepEqual(got, map[string]string{"id-b": ""}) || complete {
				t.Errorf("a counted again under v2: v1 has %q, complete %v", got, complete)
			}
			if err := s.SetTermCounts(ctx, "nope", "v1", []byte{1, 1}); !errors.Is(err, rag.ErrNotFound) {
				t.Errorf("SetTermCounts(nope) err = %v, want ErrNotFound", err)
			}
			put(t, s, a2, rag.StatusReplaced) // a's source, no counts
			if got, complete := read("v2"); len(got) != 0 || complete {
				t.Errorf("a replaced by a report without counts: v2 has %q, complete %v", got, complete)
			}
			if err := s.Delete(ctx, a2.rep.Source); err != nil {
				t.Fatal(err)
			}
			if got, complete := read("v1"); !reflect.DeepEqual(got, map[string]string{"id-b": ""}) || !complete {
				t.Errorf("after deleting the report without counts: %q, complete %v; want b, complete", got, complete)
			}
			stop := errors.New("stop")
			if _, err := s.TermCounts(ctx, "v1", func(string, []byte) error { return stop }); !errors.Is(err, stop) {
				t.Errorf("TermCounts returned %v, want f's error", err)
			}
		})
	}
}
