package sqlitestore_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fazhi/ingest"
	"fazhi/internal/lookalike"
	"fazhi/rag"
	"fazhi/sqlitestore"
)

// storeWithLookalikes returns a store holding the seeds, n look-alike
// reports made from them, and copies of the first seed under other towns
// (identical chunks: ties for both searches), refreshed.
func storeWithLookalikes(tb testing.TB, n int) (*sqlitestore.SQLite, []prepared, string) {
	tb.Helper()
	st, seeds, dir := storeWithSeeds(tb)
	emb := rag.HashEmbedder(rag.DefaultDim)
	var texts []string
	for _, f := range seedFiles {
		texts = append(texts, seedText(tb, f))
	}
	all := slices.Clone(seeds)
	for _, r := range lookalike.Generate(texts, n, rand.New(rand.NewPCG(7, 11))) {
		p := prepare(tb, r.Name, r.Text, emb)
		mustPut(tb, st, p)
		all = append(all, p)
	}
	for i := 1; i <= 3; i++ {
		p := variant(seeds[0], i)
		mustPut(tb, st, p)
		all = append(all, p)
	}
	if err := st.Refresh(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return st, all, dir
}

// retrievalScopes are the scopes the retrieval tests search in: none, a
// year, a town, towns and a year.
func retrievalScopes(all []prepared) []rag.Scope {
	return []rag.Scope{
		{},
		{Year: all[0].rep.Year},
		{Towns: []string{all[0].rep.Unit()}},
		{Towns: []string{all[1].rep.Unit(), all[len(all)-1].rep.Unit(), all[7].rep.Unit()}, Year: all[1].rep.Year},
	}
}

// keywordQueries are token lists to search: question terms, stretches of
// report text, a figure FTS5 splits in two ("3.5"), ASCII words.
func keywordQueries(all []prepared) [][]string {
	qs := [][]string{
		rag.Tokens("法律顾问"),
		rag.Tokens("矛盾纠纷 调解"),
		rag.Tokens("宪法宣传周"),
		rag.Tokens("2021年 法治政府建设"),
		rag.Tokens("信访 接待"),
		rag.Tokens("3.5 万元"),
		{"pufa", "法治"},
		{"不存在的词语"},
	}
	for i, p := range all {
		if i%4 != 0 {
			continue
		}
		for _, s := range ingest.Sentences(p.chunks[len(p.chunks)/2].Text)[:1] {
			toks := rag.Tokens(s)
			qs = append(qs, toks[:min(len(toks), 9)])
		}
	}
	return qs
}

// TestKeywordIndexMatchesFTS5 checks that the in-memory keyword index
// returns exactly what FTS5's bm25 query returns: the same chunks, in
// the same order, with the same scores, in every scope, and again after
// reports are added and removed (the index is dropped and rebuilt).
func TestKeywordIndexMatchesFTS5(t *testing.T) {
	ctx := context.Background()
	st, all, dir := storeWithLookalikes(t, 40)
	// A second store on the same directory never warmed: it answers from
	// FTS5 alone.
	fts := mustOpenSQLite(t, dir, rag.HashEmbedder(rag.DefaultDim))
	if err := st.Warm(ctx); err != nil {
		t.Fatalf("Warm: %v", err)
	}
	if !sqlitestore.KeywordIndexReady(st) {
		t.Fatal("after Warm the keyword index is not in use")
	}
	compare := func(t *testing.T) {
		t.Helper()
		n := 0
		for _, q := range keywordQueries(all) {
			for _, sc := range retrievalScopes(all) {
				for _, k := range []int{1, 24, 200} {
					want, err := fts.Keyword(ctx, q, sc, k)
					if err != nil {
						t.Fatal(err)
					}
					got, err := st.Keyword(ctx, q, sc, k)
					if err != nil {
						t.Fatal(err)
					}
					if d := diffHits(got, want); d != "" {
						t.Errorf("Keyword(%q, %+v, %d): %s", q, sc, k, d)
					}
					n += len(want)
				}
			}
		}
		if n == 0 {
			t.Fatal("no query found anything: the comparison proves nothing")
		}
	}
	t.Run("warm", compare)

	extra := variant(all[2], 99)
	mustPut(t, st, extra)
	if err := st.Delete(ctx, all[5].rep.Source); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*sqlitestore.SQLite{st, fts} {
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if sqlitestore.KeywordIndexReady(st) {
		t.Fatal("after a change the old keyword index is still in use")
	}
	t.Run("changed, FTS5 meanwhile", compare)
	if err := st.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if !sqlitestore.KeywordIndexReady(st) {
		t.Fatal("after the second Warm the keyword index is not in use")
	}
	t.Run("changed, rebuilt", compare)
}

// diffHits says how two ranked hit lists differ ("" when they do not).
func diffHits(got, want []rag.Hit) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %d hits, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ChunkID != want[i].ChunkID || got[i].Score != want[i].Score {
			return fmt.Sprintf("hit %d: got chunk %d score %v, want chunk %d score %v", i, got[i].ChunkID, got[i].Score, want[i].ChunkID, want[i].Score)
		}
	}
	return ""
}

// TestVectorMatchesExactScan checks the vector index against an exact
// scan in float64 of every stored chunk's embedding: the same top hits
// in every scope (two chunks whose similarities differ by less than
// float32 rounding may trade places), and only chunks of the scope.
func TestVectorMatchesExactScan(t *testing.T) {
	st, all, _ := storeWithLookalikes(t, 40)
	assertVectorExact(t, st, retrievalScopes(all))
}

// assertVectorExact checks st.Vector against an exact scan of the stored
// chunks' embeddings (made again by the hash embedder) in each scope.
func assertVectorExact(t *testing.T, st *sqlitestore.SQLite, scopes []rag.Scope) {
	t.Helper()
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	var queries [][]float32
	for _, text := range []string{"法律顾问是谁", "共排查调解了多少件矛盾纠纷", "开展了宪法宣传周活动", "legal advisers"} {
		v, err := emb.Embed(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		queries = append(queries, v)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for range 4 {
		queries = append(queries, lookalike.UnitVector(rng, rag.DefaultDim))
	}
	// Not of unit length: the index normalises like chromem-go.
	queries = append(queries, slices.Clone(queries[0]))
	for i := range queries[len(queries)-1] {
		queries[len(queries)-1][i] *= 3
	}
	for _, sc := range scopes {
		chunks, err := st.Chunks(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) == 0 {
			t.Fatalf("scope %+v holds no chunk", sc)
		}
		vecs := map[int64][]float32{}
		for _, c := range chunks {
			v, err := emb.Embed(ctx, c.Section+"\n"+c.Text)
			if err != nil {
				t.Fatal(err)
			}
			vecs[c.ChunkID] = v
		}
		for qi, q := range queries {
			for _, k := range []int{1, 24, 200} {
				exact := exactScan(q, vecs)
				got, err := st.Vector(ctx, q, sc, k)
				if err != nil {
					t.Fatal(err)
				}
				if want := min(k, len(exact)); len(got) != want {
					t.Fatalf("scope %+v query %d k %d: got %d hits, want %d", sc, qi, k, len(got), want)
				}
				for i, h := range got {
					if !inScope(h, sc) {
						t.Errorf("scope %+v: hit %d is chunk %d of %s %d, outside the scope", sc, i, h.ChunkID, h.Town, h.Year)
					}
					sim, ok := exactSim(exact, h.ChunkID)
					if !ok {
						t.Fatalf("scope %+v query %d: hit %d is chunk %d, not a chunk of the scope", sc, qi, i, h.ChunkID)
					}
					if h.ChunkID != exact[i].id && math.Abs(sim-exact[i].sim) > 1e-6 {
						t.Errorf("scope %+v query %d k %d: hit %d is chunk %d (%.7f), exact scan has chunk %d (%.7f)", sc, qi, k, i, h.ChunkID, sim, exact[i].id, exact[i].sim)
					}
					if math.Abs(h.Score-sim) > 1e-5 {
						t.Errorf("scope %+v query %d: chunk %d scored %.7f, exact %.7f", sc, qi, h.ChunkID, h.Score, sim)
					}
				}
			}
		}
	}
}

type scored struct {
	id  int64
	sim float64
}

// exactScan ranks every vector by cosine similarity to q, in float64,
// best first and by chunk id among equals.
func exactScan(q []float32, vecs map[int64][]float32) []scored {
	norm := func(v []float32) float64 {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		return math.Sqrt(s)
	}
	qn := norm(q)
	var out []scored
	for id, v := range vecs {
		var d float64
		for i := range v {
			d += float64(q[i]) * float64(v[i])
		}
		out = append(out, scored{id, d / qn / norm(v)})
	}
	slices.SortFunc(out, func(a, b scored) int {
		if a.sim != b.sim {
			if a.sim > b.sim {
				return -1
			}
			return 1
		}
		return int(a.id - b.id)
	})
	return out
}

func exactSim(s []scored, id int64) (float64, bool) {
	for _, x := range s {
		if x.id == id {
			return x.sim, true
		}
	}
	return 0, false
}

func inScope(h rag.Hit, sc rag.Scope) bool {
	return (len(sc.Towns) == 0 || slices.Contains(sc.Towns, h.Town)) && (sc.Year == 0 || h.Year == sc.Year)
}

// BenchmarkUnscopedKeyword compares FTS5's bm25 query with the in-memory
// keyword index over the seeds and 300 look-alikes, for the terms of
// questions naming no town (most chunks match one of them).
func BenchmarkUnscopedKeyword(b *testing.B) {
	ctx := context.Background()
	st, _, dir := storeWithLookalikes(b, 300)
	fts := mustOpenSQLite(b, dir, rag.HashEmbedder(rag.DefaultDim))
	if err := st.Warm(ctx); err != nil {
		b.Fatal(err)
	}
	queries := [][]string{rag.Tokens("法律顾问"), rag.Tokens("排查调解 矛盾纠纷"), rag.Tokens("开展 宪法宣传周 活动"), rag.Tokens("法治 建设 工作")}
	for _, c := range []struct {
		name string
		st   *sqlitestore.SQLite
	}{{"fts5", fts}, {"index", st}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := c.st.Keyword(ctx, queries[i%len(queries)], rag.Scope{}, 24); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestVectorCache checks the vector cache file: written at Close, read at
// the next open (no embedding, no chunk-table scan), and when it lacks
// chunks stored since, holds chunks deleted since, belongs to another
// store or is damaged, the index still matches an exact scan.
func TestVectorCache(t *testing.T) {
	ctx := context.Background()
	st, all, dir := storeWithLookalikes(t, 20)
	scopes := retrievalScopes(all)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, sqlitestore.VectorCacheFile)
	old, err := os.ReadFile(cache)
	if err != nil {
		t.Fatalf("no vector cache after Close: %v", err)
	}

	reopen := func(t *testing.T, wantCache bool) *sqlitestore.SQLite {
		t.Helper()
		s := mustOpenSQLite(t, dir, failingEmbedder())
		if got := sqlitestore.LoadedFromCache(s); got != wantCache {
			t.Errorf("index loaded from the cache: got %v, want %v", got, wantCache)
		}
		return s
	}
	t.Run("unchanged", func(t *testing.T) {
		s := reopen(t, true)
		assertVectorExact(t, s, scopes)
	})

	// Change the store, then put the old cache back: it lacks the new
	// report's chunks and holds the deleted report's.
	s := mustOpenSQLite(t, dir, rag.HashEmbedder(rag.DefaultDim))
	mustPut(t, s, variant(all[1], 77))
	if err := s.Delete(ctx, all[3].rep.Source); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cache, old, 0o644); err != nil {
		t.Fatal(err)
	}
	scopes = append(scopes, rag.Scope{Towns: []string{variant(all[1], 77).rep.Unit(), all[3].rep.Unit()}})
	t.Run("stale", func(t *testing.T) {
		s := reopen(t, false)
		assertVectorExact(t, s, scopes)
		if hits, err := s.Vector(ctx, all[3].chunks[0].Embedding, rag.Scope{Towns: []string{all[3].rep.Unit()}}, 5); err != nil || len(hits) != 0 {
			t.Errorf("deleted report: got %d hits (%v), want none", len(hits), err)
		}
	})

	t.Run("damaged", func(t *testing.T) {
		b, err := os.ReadFile(cache)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(cache, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s := reopen(t, false)
		assertVectorExact(t, s, scopes)
	})

	t.Run("another store's", func(t *testing.T) {
		other, _, otherDir := storeWithSeeds(t)
		if err := other.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(otherDir, sqlitestore.VectorCacheFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cache, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s := reopen(t, false)
		assertVectorExact(t, s, scopes)
	})
}

// TestVectorCacheAfterIngest checks that reports stored by a process that
// never loaded them into its index (a bulk ingest) are in the cache its
// Close writes, so the next open reads no chunk table.
func TestVectorCacheAfterIngest(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlitestore.Open(context.Background(), dir, rag.HashEmbedder(rag.DefaultDim))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prepareSeeds(t) {
		mustPut(t, st, p)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	s := mustOpenSQLite(t, dir, failingEmbedder())
	if !sqlitestore.LoadedFromCache(s) {
		t.Error("the open after an ingest read the chunk table, not the cache")
	}
	assertVectorExact(t, s, []rag.Scope{{}})
}

// TestFTSTokenizersAgree stores the same reports in a store made now
// (FTS5's ascii tokenizer over terms split as unicode61 splits them) and
// in one whose full-text index was made with unicode61, as stores made
// before are: both must index the very same tokens in every chunk (FTS5's
// own vocabulary) and give the same keyword hits with the same bm25
// scores, and the same chunks for ChunksWith, also for terms unicode61
// splits or drops (a decimal figure, full-width and accented letters,
// Greek, a Kangxi radical, circled numbers).
func TestFTSTokenizersAgree(t *testing.T) {
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	var texts []string
	for _, f := range seedFiles {
		texts = append(texts, seedText(t, f))
	}
	all := prepareSeeds(t)
	for _, r := range lookalike.Generate(texts, 12, rand.New(rand.NewPCG(3, 5))) {
		all = append(all, prepare(t, r.Name, r.Text, emb))
	}
	odd := texts[0] + "\n八、其他\n全年经费3.5万元，ＡＢＣ公司与Ünïcode café（cafe\u0301）合作召开⾒面会２０２１次，" +
		"Ελληνικά ΟΔΟΣ，落实①②项，ǅemal与İstanbul的ﬁle共计12.75件。\n"
	all = append(all, prepare(t, "odd.txt", odd, emb))

	oldDir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(oldDir, sqlitestore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE VIRTUAL TABLE chunks_fts USING fts5(tokens, town UNINDEXED, year UNINDEXED, tokenize = 'unicode61 remove_diacritics 0')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	stores := map[string]*sqlitestore.SQLite{"unicode61": mustOpenSQLite(t, oldDir, emb)}
	newDir := t.TempDir()
	stores["ascii"] = mustOpenSQLite(t, newDir, emb)
	vocab := map[string]string{}
	for name, dir := range map[string]string{"unicode61": oldDir, "ascii": newDir} {
		st := stores[name]
		for _, p := range all {
			mustPut(t, st, p)
		}
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.DBFile))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var schema string
		if err := db.QueryRow(`SELECT sql FROM sqlite_schema WHERE name = 'chunks_fts'`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(schema, "tokenize = '"+name) {
			t.Fatalf("the %s store's full-text table is %s", name, schema)
		}
		if _, err := db.Exec(`CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, chunks_fts, instance)`); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query(`SELECT term, doc, offset FROM temp.vocab ORDER BY doc, offset`)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for rows.Next() {
			var term string
			var doc, off int64
			if err := rows.Scan(&term, &doc, &off); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%d %d %s\n", doc, off, term)
		}
		rows.Close()
		vocab[name] = b.String()
	}
	if vocab["ascii"] != vocab["unicode61"] {
		a, u := strings.Split(vocab["ascii"], "\n"), strings.Split(vocab["unicode61"], "\n")
		for i := range min(len(a), len(u)) {
			if a[i] != u[i] {
				t.Fatalf("the indexes differ at token %d: ascii store %q, unicode61 store %q", i, a[i], u[i])
			}
		}
		t.Fatalf("the indexes differ: %d tokens in the ascii store, %d in the unicode61 one", len(a), len(u))
	}
	for _, want := range []string{" 3\n", " 5\n", " abc\n", " ünïcode\n", " ελληνικά\n", " οδοσ\n", " ǆemal\n", " ﬁle\n"} {
		if !strings.Contains(vocab["ascii"], want) {
			t.Errorf("no token %q in the index: the odd report did not reach it", strings.TrimSpace(want))
		}
	}

	queries := append(keywordQueries(all), rag.Tokens("经费3.5万元 ＡＢＣ公司 Ünïcode ΟΔΟΣ ⾒面会 ①②项 12.75件"))
	n := 0
	for _, q := range queries {
		for _, sc := range retrievalScopes(all) {
			want, err := stores["unicode61"].Keyword(ctx, q, sc, 200)
			if err != nil {
				t.Fatal(err)
			}
			got, err := stores["ascii"].Keyword(ctx, q, sc, 200)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffHits(got, want); d != "" {
				t.Errorf("Keyword(%q, %+v): ascii store against unicode61 store: %s", q, sc, d)
			}
			n += len(want)
			wantWith, err := stores["unicode61"].ChunksWith(ctx, q, sc)
			if err != nil {
				t.Fatal(err)
			}
			gotWith, err := stores["ascii"].ChunksWith(ctx, q, sc)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffHits(gotWith, wantWith); d != "" {
				t.Errorf("ChunksWith(%q, %+v): ascii store against unicode61 store: %s", q, sc, d)
			}
		}
	}
	if n == 0 {
		t.Fatal("no query found anything: the comparison proves nothing")
	}
}
