package pgstore_test

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"fazhi/ingest"
	"fazhi/pgstore"
	"fazhi/rag"
)

func mustOpenPG(t *testing.T, u string, emb rag.Embedder) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), u, emb)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestMigrationsIdempotent opens one database again and again, one after
// the other and all at once (replicas starting together), and checks
// that the schema is made once and the data kept.
func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	u := testURL(t)
	emb := rag.HashEmbedder(64)

	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := pgstore.Open(ctx, u, emb)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent open %d: %v", i, err)
		}
	}

	a, _, _ := fixtures(t, emb)
	s1 := mustOpenPG(t, u, emb)
	put(t, s1, a, rag.StatusNew)
	s1.Close()
	s2 := mustOpenPG(t, u, emb)
	if r, c, f, err := s2.Counts(ctx); err != nil || r != 1 || c != 2 || f != 2 {
		t.Errorf("after reopening: Counts() = %d, %d, %d, %v; want 1, 2, 2, nil", r, c, f, err)
	}

	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var version string
	if err := conn.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&version); err != nil || version != "5" {
		t.Errorf("schema_version = %q, %v; want 5 (001_init, 002_places, 003_fact_context, 004_aliases, 005_term_counts)", version, err)
	}
	var metricReport, metricOnly bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('facts_metric_report') IS NOT NULL, to_regclass('facts_metric') IS NOT NULL`).Scan(&metricReport, &metricOnly); err != nil || !metricReport || metricOnly {
		t.Errorf("indexes facts_metric_report %v, facts_metric %v, %v; want the first only", metricReport, metricOnly, err)
	}
	var corpora int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM corpus`).Scan(&corpora); err != nil || corpora != 1 {
		t.Errorf("corpus rows = %d, %v; want 1", corpora, err)
	}
}

// openMigrated stores fixture old in a new store, takes the schema back
// to what it was before a migration with downgrade (SQL), and opens the
// store again, which migrates it: a store made before the migration
// holding old, closed when the test ends (mustOpenPG).
func openMigrated(t *testing.T, emb rag.Embedder, old fixture, downgrade string) *pgstore.Store {
	t.Helper()
	ctx := context.Background()
	u := testURL(t)
	s := mustOpenPG(t, u, emb)
	put(t, s, old, rag.StatusNew)
	s.Close()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, downgrade); err != nil {
		t.Fatal(err)
	}
	return mustOpenPG(t, u, emb)
}

// TestMigratesFactContext opens a store made before migration 003: the
// figures stored before have no context (their reports are read to score
// them), those stored after have it, and the query finds both.
func TestMigratesFactContext(t *testing.T) {
	ctx := context.Background()
	emb := rag.HashEmbedder(64)
	a, b, _ := fixtures(t, emb)
	s := openMigrated(t, emb, a, `ALTER TABLE facts DROP COLUMN context; ALTER TABLE facts DROP COLUMN report_sentences;
		DROP INDEX facts_metric_report; CREATE INDEX facts_metric ON facts (metric); UPDATE meta SET value = '2' WHERE key = 'schema_version'`)
	b.facts[0].Metric, b.facts[0].Context = "disputes_mediated", "前一句。"
	b.rep.Sentences = 7
	put(t, s, b, rag.StatusNew)
	got, err := s.MetricFacts(ctx, rag.FactQuery{Metric: "disputes_mediated"})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, f := range got {
		seen = append(seen, fmt.Sprintf("%s %v %q %d", f.ReportID, f.HasContext, f.Context, f.ReportSentences))
	}
	want := []string{`id-a false "" 0`, `id-b true "前一句。" 7`}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("after migrating: got %q, want %q", seen, want)
	}
}

// TestMigratesTermCounts opens a store made before migration 005: the
// report stored before has no term counts, so the store is incomplete
// until they are set; a report stored after keeps its own.
func TestMigratesTermCounts(t *testing.T) {
	ctx := context.Background()
	emb := rag.HashEmbedder(64)
	a, b, _ := fixtures(t, emb)
	s := openMigrated(t, emb, a, `ALTER TABLE reports DROP COLUMN term_vocab; ALTER TABLE reports DROP COLUMN term_counts; UPDATE meta SET value = '4' WHERE key = 'schema_version'`)
	b.rep.TermVocab, b.rep.TermCounts = "v1", []byte{1, 5}
	put(t, s, b, rag.StatusNew)
	read := func() string {
		var got []string
		complete, err := s.TermCounts(ctx, "v1", func(id string, enc []byte) error {
			got = append(got, fmt.Sprintf("%s %x", id, enc))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(got, complete)
	}
	if got, want := read(), "[id-b 0105] false"; got != want {
		t.Errorf("after migrating: %s, want %s", got, want)
	}
	if err := s.SetTermCounts(ctx, "id-a", "v1", []byte{2, 1}); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "[id-a 0201 id-b 0105] true" && got != "[id-b 0105 id-a 0201] true" {
		t.Errorf("after filling the old report's counts: %s", got)
	}
}

// TestReplicas puts through one store and reads through another, as two
// replicas of fazhi on one database do.
func TestReplicas(t *testing.T) {
	ctx := context.Background()
	u := testURL(t)
	emb := rag.HashEmbedder(64)
	r1, r2 := mustOpenPG(t, u, emb), mustOpenPG(t, u, emb)
	a, b, _ := fixtures(t, emb)
	put(t, r1, a, rag.StatusNew)

	v0, err := r2.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	put(t, r1, b, rag.StatusNew)
	if v1, err := r2.Version(ctx); err != nil || v1 == v0 {
		t.Errorf("replica 2's Version after replica 1's Put = %d, %v; want a change from %d", v1, err, v0)
	}
	put(t, r2, b, rag.StatusUnchanged)

	reps, err := r2.Reports(ctx)
	if err != nil || len(reps) != 2 {
		t.Fatalf("replica 2's Reports = %v, %v; want 2", reps, err)
	}
	kw, err := r2.Keyword(ctx, rag.Tokens("行政复议"), rag.Scope{}, 3)
	if err != nil || len(kw) == 0 || kw[0].Text != b.chunks[1].Text {
		t.Errorf("replica 2's Keyword = %q, %v; want %q first", hitKeys(kw), err, b.chunks[1].Text)
	}
	vec, err := r2.Vector(ctx, b.chunks[0].Embedding, rag.Scope{}, 3)
	if err != nil || len(vec) == 0 || vec[0].Text != b.chunks[0].Text {
		t.Errorf("replica 2's Vector = %q, %v; want %q first", hitKeys(vec), err, b.chunks[0].Text)
	}

	if err := r2.Delete(ctx, b.rep.Source); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := r1.Has(ctx, b.rep.ID); err != nil || ok {
		t.Errorf("replica 1 still has the report replica 2 deleted (%v)", err)
	}
}

// TestConcurrentWriters puts reports through two replicas at once; the
// term statistics must come out as if they had been put one by one.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	u := testURL(t)
	emb := rag.HashEmbedder(64)
	stores := []*pgstore.Store{mustOpenPG(t, u, emb), mustOpenPG(t, u, emb)}
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		f := makeFixture(t, emb, fmt.Sprintf("id-%02d", i), fmt.Sprintf("r%02d.txt", i), fmt.Sprintf("第%d镇", i%4), 2020+i%2, [][2]string{
			{"一、普法", "开展法治讲座和法治宣传活动。"},
			{"二、调解", fmt.Sprintf("调解矛盾纠纷%d件。", i)},
		}, []ingest.Fact{{Subject: "调解矛盾纠纷", Value: float64(i), Unit: "件", Quote: "调解"}})
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := stores[i%2].Put(ctx, f.rep, f.chunks, f.facts)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if r, c, f, err := stores[0].Counts(ctx); err != nil || r != n || c != 2*n || f != n {
		t.Errorf("Counts() = %d, %d, %d, %v; want %d, %d, %d", r, c, f, err, n, 2*n, n)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var mismatched int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM terms t FULL JOIN (
			SELECT u.lexeme, count(*) AS n FROM chunks c CROSS JOIN LATERAL unnest(c.tokens) u GROUP BY u.lexeme
		) d ON d.lexeme = t.term WHERE t.df IS DISTINCT FROM d.n`).Scan(&mismatched); err != nil || mismatched != 0 {
		t.Errorf("%d terms with a wrong document frequency (%v)", mismatched, err)
	}
	var chunks, tokens int64
	if err := conn.QueryRow(ctx, `SELECT (SELECT chunks FROM corpus) - (SELECT count(*) FROM chunks), (SELECT tokens FROM corpus) - (SELECT sum(ntokens) FROM chunks)`).Scan(&chunks, &tokens); err != nil || chunks != 0 || tokens != 0 {
		t.Errorf("corpus totals off by %d chunks, %d tokens (%v)", chunks, tokens, err)
	}
}

// TestVectorIndex searches through the HNSW index (sequential scans
// discouraged, as on a big store) and checks the results against an
// exact scan done here, also with a year filter that only a few chunks
// pass: filtered index scans must not come back short.
func TestVectorIndex(t *testing.T) {
	ctx := context.Background()
	u := testURL(t)
	emb := rag.HashEmbedder(32)
	s := mustOpenPG(t, withParam(t, u, "enable_seqscan", "off"), emb)
	words := []string{"法治", "宣传", "调解", "纠纷", "复议", "诉讼", "顾问", "合同", "信访", "普法", "执法", "培训", "考核", "公开", "备案", "审查"}
	type stored struct {
		text string
		year int
		v    []float32
	}
	var all []stored
	for r := range 40 {
		year := 2000 + r%20
		if r == 7 {
			year = 1999 // the only report of 1999
		}
		var cs [][2]string
		for c := range 5 {
			text := fmt.Sprintf("%s%s%s工作第%d项，%s%s。", words[(r+c)%16], words[(r*3+c)%16], words[(r*5+c*7)%16], r*5+c, words[(r+2*c)%16], words[(c*11+r)%16])
			cs = append(cs, [2]string{"一、工作", text})
		}
		f := makeFixture(t, emb, fmt.Sprintf("id-%d", r), fmt.Sprintf("%02d.txt", r), fmt.Sprintf("镇%d", r%9), year, cs, nil)
		put(t, s, f, rag.StatusNew)
		for _, c := range f.chunks {
			all = append(all, stored{c.Text, year, c.Embedding})
		}
	}
	cosine := func(a, b []float32) float64 {
		var d, na, nb float64
		for i := range a {
			d += float64(a[i]) * float64(b[i])
			na += float64(a[i]) * float64(a[i])
			nb += float64(b[i]) * float64(b[i])
		}
		return d / math.Sqrt(na*nb)
	}
	exact := func(v []float32, year, k int) []string {
		type scored struct {
			text string
			sc   float64
		}
		var ss []scored
		for _, x := range all {
			if year == 0 || x.year == year {
				ss = append(ss, scored{x.text, cosine(v, x.v)})
			}
		}
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].sc > ss[j].sc })
		var out []string
		for _, x := range ss[:min(k, len(ss))] {
			out = append(out, x.text)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		query int // index into all
		year  int
		k     int
	}{
		{"unfiltered", 3, 0, 8},
		{"unfiltered, other query", 101, 0, 5},
		{"year of two reports", 60, 2012, 10},
		{"year of one report", 37, 1999, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := all[tc.query].v
			got, err := s.Vector(ctx, q, rag.Scope{Year: tc.year}, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			want := exact(q, tc.year, tc.k)
			if len(got) != len(want) {
				t.Fatalf("got %d hits, want %d", len(got), len(want))
			}
			if got[0].Text != all[tc.query].text {
				t.Errorf("nearest: got %q, want the query's own chunk %q", got[0].Text, all[tc.query].text)
			}
			var gotTexts []string
			for _, h := range got {
				gotTexts = append(gotTexts, h.Text)
				if tc.year != 0 && h.Year != tc.year {
					t.Errorf("hit of year %d outside the filter %d", h.Year, tc.year)
				}
			}
			// HNSW is approximate: most of the exact top k must be found.
			common := 0
			for _, w := range want {
				for _, g := range gotTexts {
					if g == w {
						common++
						break
					}
				}
			}
			if common*10 < len(want)*8 {
				t.Errorf("recall %d/%d:\n got %q\nwant %q", common, len(want), gotTexts, want)
			}
		})
	}

	conn, err := pgx.Connect(ctx, withParam(t, u, "enable_seqscan", "off"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var plan string
	rows, err := conn.Query(ctx, `EXPLAIN SELECT id FROM chunks ORDER BY embedding <=> $1::text::vector LIMIT 5`, "[1"+strings.Repeat(",0", 31)+"]")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan += line + "\n"
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if !strings.Contains(plan, "chunks_embedding") {
		t.Errorf("the vector query does not use the HNSW index:\n%s", plan)
	}
}

// TestLiteralsRoundTrip has PostgreSQL read the literals the store
// writes: lexemes come back as they were, quotes and all.
func TestLiteralsRoundTrip(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tokens := []string{"法治", "it's", `a\b`, "3.5", "法治", "x:y", "a b"}
	var lexemes []string
	var matched bool
	if err := conn.QueryRow(ctx, `SELECT tsvector_to_array($1::text::tsvector), $1::text::tsvector @@ $2::text::tsquery`,
		pgstore.TSVectorLiteral(tokens), pgstore.TSQueryLiteral([]string{"nope", `a\b`})).Scan(&lexemes, &matched); err != nil {
		t.Fatal(err)
	}
	sort.Strings(lexemes)
	want := []string{"3.5", "a b", `a\b`, "it's", "x:y", "法治"}
	sort.Strings(want)
	if strings.Join(lexemes, "|") != strings.Join(want, "|") {
		t.Errorf("lexemes %q, want %q", lexemes, want)
	}
	if !matched {
		t.Error(`the query 'nope' | 'a\b' does not match`)
	}
	var dims int
	if err := conn.QueryRow(ctx, `SELECT vector_dims($1::text::vector)`, pgstore.VectorLiteral([]float32{0.1, -2, 3e-8})).Scan(&dims); err != nil || dims != 3 {
		t.Errorf("vector_dims = %d, %v; want 3", dims, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		url  string
		emb  rag.Embedder
	}{
		{"bad URL", "postgres://u:secret@[::1", rag.HashEmbedder(8)},
		{"no server", "postgres://u:secret@127.0.0.1:1/db?connect_timeout=5", rag.HashEmbedder(8)},
		{"no dimension", "postgres://127.0.0.1:1/none", rag.Embedder{Name: "broken"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pgstore.Open(ctx, tc.url, tc.emb)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}
