package sqlitestore_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fazhi/ingest"
	"fazhi/rag"
	"fazhi/sqlitestore"
)

// seedFiles are the seed reports in ../testdata/reports.
var seedFiles = []string{
	"000_cd4b96a87fea5f69.txt",
	"001_7e465fa291371142.txt",
	"002_36a972dc84b9d279.txt",
	"003_77ad51e2d2cfaeb9.txt",
	"004_40507ad071df1468.txt",
}

// countingEmbedder is the default hashing embedder that counts its calls.
func countingEmbedder(calls *atomic.Int64) rag.Embedder {
	e := rag.HashEmbedder(rag.DefaultDim)
	inner := e.Embed
	e.Embed = func(ctx context.Context, text string) ([]float32, error) {
		calls.Add(1)
		return inner(ctx, text)
	}
	return e
}

// failingEmbedder has the default embedder's name and dimension but fails
// every call: a store opened with it must not need to embed anything.
func failingEmbedder() rag.Embedder {
	e := rag.HashEmbedder(rag.DefaultDim)
	e.Embed = func(context.Context, string) ([]float32, error) {
		return nil, errors.New("the embedder must not be called")
	}
	return e
}

// mustOpenSQLite opens a store in dir and closes it when the test ends.
func mustOpenSQLite(tb testing.TB, dir string, emb rag.Embedder) *sqlitestore.SQLite {
	tb.Helper()
	st, err := sqlitestore.Open(context.Background(), dir, emb)
	if err != nil {
		tb.Fatalf("OpenSQLite(%s): %v", dir, err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// seedText returns the raw text of a seed report.
func seedText(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "reports", name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// prepared is a report made ready for a store.
type prepared struct {
	rep    ingest.Report
	chunks []rag.StoredChunk
	facts  []ingest.Fact
}

// prepare turns raw text into what Store.Put takes, the way the engine
// does: clean, detect metadata, chunk, embed, extract facts.
func prepare(tb testing.TB, source, raw string, emb rag.Embedder) prepared {
	tb.Helper()
	sum := sha256.Sum256([]byte(raw))
	text := ingest.Clean(raw)
	rep := ingest.Report{ID: hex.EncodeToString(sum[:]), Source: source, Text: text, IngestedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	rag.ApplyMeta(&rep, ingest.DetectMeta(text))
	p := prepared{rep: rep}
	for _, c := range ingest.ChunkText(text, ingest.DefaultChunkOptions()) {
		c.ReportID = rep.ID
		v, err := emb.Embed(context.Background(), c.Section+"\n"+c.Text)
		if err != nil {
			tb.Fatal(err)
		}
		p.chunks = append(p.chunks, rag.StoredChunk{Chunk: c, Embedding: v})
		for _, s := range ingest.Sentences(c.Text) {
			for _, f := range ingest.ExtractFacts(s) {
				f.Source, f.Town, f.Year, f.Section = source, rep.Town, rep.Year, c.Section
				p.facts = append(p.facts, f)
			}
		}
	}
	if len(p.chunks) == 0 {
		tb.Fatalf("%s: no chunks", source)
	}
	return p
}

// prepareSeeds prepares the five seed reports.
func prepareSeeds(tb testing.TB) []prepared {
	tb.Helper()
	emb := rag.HashEmbedder(rag.DefaultDim)
	var out []prepared
	for _, f := range seedFiles {
		out = append(out, prepare(tb, f, seedText(tb, f), emb))
	}
	return out
}

func mustPut(tb testing.TB, st rag.Store, p prepared) rag.IngestStatus {
	tb.Helper()
	status, err := st.Put(context.Background(), p.rep, p.chunks, p.facts)
	if err != nil {
		tb.Fatalf("Put(%s): %v", p.rep.Source, err)
	}
	return status
}

func mustCounts(tb testing.TB, st rag.Store) [3]int {
	tb.Helper()
	r, c, f, err := st.Counts(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return [3]int{r, c, f}
}

// storeWithSeeds returns a store in a new directory holding the seeds.
func storeWithSeeds(tb testing.TB) (*sqlitestore.SQLite, []prepared, string) {
	tb.Helper()
	dir := tb.TempDir()
	st := mustOpenSQLite(tb, dir, rag.HashEmbedder(rag.DefaultDim))
	seeds := prepareSeeds(tb)
	for _, p := range seeds {
		if got := mustPut(tb, st, p); got != rag.StatusNew {
			tb.Fatalf("Put(%s): got %v, want %v", p.rep.Source, got, rag.StatusNew)
		}
	}
	if err := st.Refresh(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return st, seeds, dir
}

func TestSQLitePut(t *testing.T) {
	ctx := context.Background()
	st := mustOpenSQLite(t, t.TempDir(), rag.HashEmbedder(rag.DefaultDim))
	emb := rag.HashEmbedder(rag.DefaultDim)
	orig := prepare(t, "a.txt", seedText(t, seedFiles[0]), emb)
	edited := prepare(t, "a.txt", strings.Replace(seedText(t, seedFiles[0]), "368件", "369件", 1), emb)
	other := prepare(t, "b.txt", seedText(t, seedFiles[3]), emb)
	sameContent := prepare(t, "copy-of-a.txt", seedText(t, seedFiles[0]), emb)
	steps := []struct {
		name    string
		p       prepared
		want    rag.IngestStatus
		reports int
		chunks  int
	}{
		{"new report", orig, rag.StatusNew, 1, len(orig.chunks)},
		{"same bytes again", orig, rag.StatusUnchanged, 1, len(orig.chunks)},
		{"same content under another name", sameContent, rag.StatusDuplicate, 1, len(orig.chunks)},
		{"another report", other, rag.StatusNew, 2, len(orig.chunks) + len(other.chunks)},
		{"same source, new content", edited, rag.StatusReplaced, 2, len(edited.chunks) + len(other.chunks)},
		{"edited again unchanged", edited, rag.StatusUnchanged, 2, len(edited.chunks) + len(other.chunks)},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if got := mustPut(t, st, s.p); got != s.want {
				t.Errorf("Put: got %v, want %v", got, s.want)
			}
			c := mustCounts(t, st)
			if c[0] != s.reports || c[1] != s.chunks {
				t.Errorf("Counts: got %d reports, %d chunks, want %d, %d", c[0], c[1], s.reports, s.chunks)
			}
		})
	}
	// The replaced report is gone everywhere: its ID, its figure, its keywords.
	if _, ok, err := st.Has(ctx, orig.rep.ID); err != nil || ok {
		t.Errorf("Has(old id): got ok=%v err=%v, want false, nil", ok, err)
	}
	if src, ok, err := st.Has(ctx, edited.rep.ID); err != nil || !ok || src != "a.txt" {
		t.Errorf("Has(new id): got %q, %v, %v, want a.txt, true, nil", src, ok, err)
	}
	facts, err := st.Facts(ctx, rag.FactFilter{Query: "矛盾纠纷", Town: orig.rep.Town})
	if err != nil {
		t.Fatal(err)
	}
	var values []float64
	for _, f := range facts {
		values = append(values, f.Value)
	}
	if slices.Contains(values, 368) || !slices.Contains(values, 369) {
		t.Errorf("facts after replacing: got values %v, want 369 and not 368", values)
	}
	hits, err := st.Keyword(ctx, rag.Tokens("渔门镇矛盾纠纷"), rag.Scope{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.ReportID == orig.rep.ID {
			t.Errorf("keyword search returns chunk %d of the replaced report", h.ChunkID)
		}
	}
}

func TestSQLiteDelete(t *testing.T) {
	ctx := context.Background()
	st, seeds, _ := storeWithSeeds(t)
	gone := seeds[0]
	if err := st.Delete(ctx, gone.rep.Source); err != nil {
		t.Fatalf("Delete(%s): %v", gone.rep.Source, err)
	}
	want := [3]int{len(seeds) - 1, 0, 0}
	for _, p := range seeds[1:] {
		want[1] += len(p.chunks)
		want[2] += len(p.facts)
	}
	if got := mustCounts(t, st); got != want {
		t.Errorf("Counts after Delete: got %v, want %v", got, want)
	}
	reps, err := st.Reports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Source == gone.rep.Source {
			t.Errorf("Reports still lists %s", r.Source)
		}
	}
	if err := st.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	kw, err := st.Keyword(ctx, rag.Tokens("渔门镇矛盾纠纷调解"), rag.Scope{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := rag.HashEmbedder(rag.DefaultDim).Embed(ctx, "渔门镇矛盾纠纷调解")
	vec, err := st.Vector(ctx, v, rag.Scope{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range append(kw, vec...) {
		if h.Source == gone.rep.Source {
			t.Errorf("search returns chunk %d of the deleted report", h.ChunkID)
		}
	}
	for _, src := range []string{gone.rep.Source, "no-such-report.txt", ""} {
		err := st.Delete(ctx, src)
		if !errors.Is(err, rag.ErrNotFound) {
			t.Errorf("Delete(%q) of an absent report: got %v, want an error wrapping rag.ErrNotFound", src, err)
		}
	}
}

func TestSQLiteReports(t *testing.T) {
	st, seeds, _ := storeWithSeeds(t)
	reps, err := st.Reports(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != len(seeds) {
		t.Fatalf("got %d reports, want %d", len(reps), len(seeds))
	}
	bySource := map[string]rag.ReportInfo{}
	for _, r := range reps {
		bySource[r.Source] = r
	}
	for _, p := range seeds {
		t.Run(p.rep.Source, func(t *testing.T) {
			r, ok := bySource[p.rep.Source]
			if !ok {
				t.Fatalf("not listed")
			}
			if r.Chunks != len(p.chunks) || r.Facts != len(p.facts) {
				t.Errorf("got %d chunks, %d facts, want %d, %d", r.Chunks, r.Facts, len(p.chunks), len(p.facts))
			}
			w := p.rep
			if r.ID != w.ID || r.Title != w.Title || r.Town != w.Town || r.County != w.County || r.Year != w.Year || r.Date != w.Date || r.DocNumber != w.DocNumber {
				t.Errorf("got %+v, want metadata of %+v", r.Report, w)
			}
			if !r.IngestedAt.Equal(w.IngestedAt) {
				t.Errorf("got IngestedAt %v, want %v", r.IngestedAt, w.IngestedAt)
			}
		})
	}
}

func TestSQLiteFacts(t *testing.T) {
	ctx := context.Background()
	st, seeds, _ := storeWithSeeds(t)
	total := 0
	for _, p := range seeds {
		total += len(p.facts)
	}
	tests := []struct {
		name    string
		f       rag.FactFilter
		atLeast int
		check   func(ingest.Fact) bool
	}{
		{"all", rag.FactFilter{}, total, func(ingest.Fact) bool { return true }},
		{"town", rag.FactFilter{Town: "渔门镇"}, 1, func(f ingest.Fact) bool { return f.Town == "渔门镇" }},
		{"short town prefix", rag.FactFilter{Town: "拾万"}, 1, func(f ingest.Fact) bool { return f.Town == "拾万镇" }},
		{"year", rag.FactFilter{Year: 2020}, 1, func(f ingest.Fact) bool { return f.Year == 2020 }},
		{"metric", rag.FactFilter{Metric: "disputes_mediated"}, 1, func(f ingest.Fact) bool { return f.Metric == "disputes_mediated" }},
		{"query", rag.FactFilter{Query: "罚款"}, 1, func(f ingest.Fact) bool {
			return strings.Contains(f.Subject, "罚款") || strings.Contains(f.Quote, "罚款")
		}},
		{"town and year", rag.FactFilter{Town: "城关镇", Year: 2020}, 1, func(f ingest.Fact) bool { return f.Town == "城关镇" && f.Year == 2020 }},
		{"town and wrong year", rag.FactFilter{Town: "城关镇", Year: 2021}, 0, nil},
		{"unknown town", rag.FactFilter{Town: "黄桷镇"}, 0, nil},
		{"query nobody states", rag.FactFilter{Query: "不存在的说法"}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.Facts(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if tt.check == nil {
				if len(got) != 0 {
					t.Errorf("got %d facts, want 0: %+v", len(got), got[0])
				}
				return
			}
			if len(got) < tt.atLeast {
				t.Errorf("got %d facts, want at least %d", len(got), tt.atLeast)
			}
			for _, f := range got {
				if !tt.check(f) {
					t.Errorf("got fact outside the filter %+v: %+v", tt.f, f)
				}
				if f.Source == "" || f.Quote == "" {
					t.Errorf("got fact without source or quote: %+v", f)
				}
			}
		})
	}
	// Every fact a filter on 2730 finds is the fine stated by 拾万镇.
	got, err := st.Facts(ctx, rag.FactFilter{Town: "拾万镇", Query: "2730"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range got {
		found = found || f.Value == 2730
	}
	if !found {
		t.Errorf("拾万镇 facts mentioning 2730: got %+v, want one with value 2730", got)
	}
}

func TestSQLiteSearchScope(t *testing.T) {
	ctx := context.Background()
	st, _, _ := storeWithSeeds(t)
	const query = "调解矛盾纠纷多少件"
	qv, err := rag.HashEmbedder(rag.DefaultDim).Embed(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		scope rag.Scope
		none  bool
		in    func(rag.Hit) bool
	}{
		{"everything", rag.Scope{}, false, func(rag.Hit) bool { return true }},
		{"one town", rag.Scope{Towns: []string{"渔门镇"}}, false, func(h rag.Hit) bool { return h.Town == "渔门镇" }},
		{"two towns", rag.Scope{Towns: []string{"城关镇", "拾万镇"}}, false, func(h rag.Hit) bool { return h.Town == "城关镇" || h.Town == "拾万镇" }},
		{"year", rag.Scope{Year: 2021}, false, func(h rag.Hit) bool { return h.Year == 2021 }},
		{"town and year", rag.Scope{Towns: []string{"城关镇"}, Year: 2020}, false, func(h rag.Hit) bool { return h.Town == "城关镇" && h.Year == 2020 }},
		{"town in another year", rag.Scope{Towns: []string{"渔门镇"}, Year: 2021}, true, nil},
		{"unknown town", rag.Scope{Towns: []string{"黄桷镇"}}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kw, err := st.Keyword(ctx, rag.Tokens(query), tt.scope, 10)
			if err != nil {
				t.Fatalf("Keyword: %v", err)
			}
			vec, err := st.Vector(ctx, qv, tt.scope, 10)
			if err != nil {
				t.Fatalf("Vector: %v", err)
			}
			all, err := st.Chunks(ctx, tt.scope)
			if err != nil {
				t.Fatalf("Chunks: %v", err)
			}
			for name, hits := range map[string][]rag.Hit{"Keyword": kw, "Vector": vec, "Chunks": all} {
				if tt.none {
					if len(hits) != 0 {
						t.Errorf("%s: got %d hits, want none (first %s %s %d)", name, len(hits), hits[0].Source, hits[0].Town, hits[0].Year)
					}
					continue
				}
				if len(hits) == 0 {
					t.Errorf("%s: got no hits, want some", name)
				}
				if name != "Chunks" && len(hits) > 10 {
					t.Errorf("%s: got %d hits, want at most k=10", name, len(hits))
				}
				for _, h := range hits {
					if !tt.in(h) {
						t.Errorf("%s: got out-of-scope hit %s (%s %d)", name, h.Source, h.Town, h.Year)
					}
					if h.Text == "" || h.Source == "" || h.ReportID == "" {
						t.Errorf("%s: got hit with empty fields: %+v", name, h)
					}
				}
				if name != "Chunks" {
					for i := 1; i < len(hits); i++ {
						if hits[i].Score > hits[i-1].Score {
							t.Errorf("%s: hits not ordered by score: %v after %v", name, hits[i].Score, hits[i-1].Score)
						}
					}
				}
			}
		})
	}
	// Chunks of one report come in sequence order, and a keyword search
	// ranks the chunk stating the figure asked for among the top three.
	chunks, err := st.Chunks(ctx, rag.Scope{Towns: []string{"渔门镇"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(chunks); i++ {
		if chunks[i].ChunkID < chunks[i-1].ChunkID {
			t.Errorf("Chunks out of order at %d", i)
		}
	}
	kw, err := st.Keyword(ctx, rag.Tokens("排查调解各类矛盾纠纷"), rag.Scope{Towns: []string{"渔门镇"}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(textOf(kw), "368") {
		t.Errorf("keyword search for 渔门镇 disputes: top 3 hits do not state 368: %q", textOf(kw))
	}
}

func textOf(hits []rag.Hit) string {
	var b strings.Builder
	for _, h := range hits {
		b.WriteString(h.Text)
		b.WriteString(" | ")
	}
	return b.String()
}

// searchIDs returns the chunk ids and sources of a search, in order.
func searchIDs(tb testing.TB, st rag.Store, q string, sc rag.Scope) []string {
	tb.Helper()
	ctx := context.Background()
	v, err := rag.HashEmbedder(rag.DefaultDim).Embed(ctx, q)
	if err != nil {
		tb.Fatal(err)
	}
	hits, err := st.Vector(ctx, v, sc, 8)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%d:%s", h.ChunkID, h.Source))
	}
	return out
}

func TestSQLiteReopenRebuildsIndexWithoutEmbedding(t *testing.T) {
	ctx := context.Background()
	st, _, dir := storeWithSeeds(t)
	queries := []struct {
		q  string
		sc rag.Scope
	}{
		{"渔门镇矛盾纠纷调解成功率", rag.Scope{}},
		{"法律顾问", rag.Scope{Towns: []string{"大钟庄镇"}}},
		{"信访案件", rag.Scope{Year: 2021}},
	}
	var before [][]string
	for _, q := range queries {
		ids := searchIDs(t, st, q.q, q.sc)
		if len(ids) == 0 {
			t.Fatalf("search %q before reopening: no hits", q.q)
		}
		before = append(before, ids)
	}
	wantCounts := mustCounts(t, st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	var calls atomic.Int64
	counting := countingEmbedder(&calls)
	for _, emb := range []struct {
		name string
		e    rag.Embedder
	}{{"failing embedder", failingEmbedder()}, {"counting embedder", counting}} {
		t.Run(emb.name, func(t *testing.T) {
			re, err := sqlitestore.Open(ctx, dir, emb.e)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer re.Close()
			if got := mustCounts(t, re); got != wantCounts {
				t.Errorf("Counts after reopening: got %v, want %v", got, wantCounts)
			}
			for i, q := range queries {
				if got := searchIDs(t, re, q.q, q.sc); !slices.Equal(got, before[i]) {
					t.Errorf("search %q after reopening:\n got %v\nwant %v", q.q, got, before[i])
				}
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("reopening called the embedder %d times, want 0", n)
	}
}

func TestSQLiteEmbedderMismatch(t *testing.T) {
	ctx := context.Background()
	_, _, dir := storeWithSeeds(t)
	renamed := rag.HashEmbedder(rag.DefaultDim)
	renamed.Name = "ollama:nomic-embed-text"
	tests := []struct {
		name string
		emb  rag.Embedder
	}{
		{"other dimension", rag.HashEmbedder(256)},
		{"other name", renamed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := sqlitestore.Open(ctx, dir, tt.emb)
			if err == nil {
				st.Close()
				t.Fatalf("OpenSQLite with %s: got no error, want rag.ErrEmbedderMismatch", tt.emb.Name)
			}
			if !errors.Is(err, rag.ErrEmbedderMismatch) {
				t.Errorf("got %v, want an error wrapping rag.ErrEmbedderMismatch", err)
			}
			msg := err.Error()
			for _, want := range []string{rag.HashEmbedder(rag.DefaultDim).Name, tt.emb.Name, "--embedder", "ingest"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q (it should say how to re-embed)", msg, want)
				}
			}
		})
	}
	// The original embedder still opens it.
	st := mustOpenSQLite(t, dir, rag.HashEmbedder(rag.DefaultDim))
	if got := mustCounts(t, st); got[0] != len(seedFiles) {
		t.Errorf("got %d reports, want %d", got[0], len(seedFiles))
	}
}

func TestSQLiteTwoInstancesOnOneDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := rag.HashEmbedder(rag.DefaultDim)
	a := mustOpenSQLite(t, dir, emb)
	b := mustOpenSQLite(t, dir, emb)
	seeds := prepareSeeds(t)

	v0, err := a.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := a.Version(ctx); v != v0 {
		t.Errorf("Version changed with no commit: %d then %d", v0, v)
	}
	mustPut(t, b, seeds[3])
	v1, err := a.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v1 == v0 {
		t.Errorf("Version of a did not change after b committed (still %d)", v1)
	}
	// a's index catches up on Refresh: it finds b's report.
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, a, "城关镇调解员", rag.Scope{Towns: []string{"城关镇"}}); len(got) == 0 {
		t.Errorf("a finds nothing of the report b stored, after Refresh")
	}
	// A delete through b drops the report from a's index.
	if err := b.Delete(ctx, seeds[3].rep.Source); err != nil {
		t.Fatal(err)
	}
	if v2, _ := a.Version(ctx); v2 == v1 {
		t.Errorf("Version of a did not change after b deleted")
	}
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, a, "城关镇调解员", rag.Scope{}); len(got) != 0 {
		t.Errorf("a still finds %v after b deleted the only report", got)
	}
	// Putting through a changes b's version too.
	vb, _ := b.Version(ctx)
	mustPut(t, a, seeds[0])
	if v, _ := b.Version(ctx); v == vb {
		t.Errorf("Version of b did not change after a committed")
	}
}

// variant makes the n-th distinct report for concurrency tests: seed
// chunks under a new id, source and town.
func variant(p prepared, n int) prepared {
	q := p
	q.rep.ID = fmt.Sprintf("%s-%04d", p.rep.ID[:16], n)
	q.rep.Source = fmt.Sprintf("variant-%04d.txt", n)
	q.rep.Town = fmt.Sprintf("%s%d", p.rep.Town, n)
	q.rep.Place = q.rep.Town
	q.chunks = slices.Clone(p.chunks)
	for i := range q.chunks {
		q.chunks[i].ReportID = q.rep.ID
	}
	q.facts = slices.Clone(p.facts)
	for i := range q.facts {
		q.facts[i].Source, q.facts[i].Town = q.rep.Source, q.rep.Town
	}
	return q
}

func TestSQLiteConcurrentPut(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := rag.HashEmbedder(rag.DefaultDim)
	stores := []*sqlitestore.SQLite{mustOpenSQLite(t, dir, emb), mustOpenSQLite(t, dir, emb)}
	seeds := prepareSeeds(t)
	const writers, perWriter = 6, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter+64)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := stores[w%len(stores)]
			for i := range perWriter {
				n := w*perWriter + i
				p := variant(seeds[n%len(seeds)], n)
				status, err := st.Put(ctx, p.rep, p.chunks, p.facts)
				if err != nil {
					errs <- fmt.Errorf("writer %d: Put %s: %w", w, p.rep.Source, err)
					continue
				}
				if status != rag.StatusNew {
					errs <- fmt.Errorf("writer %d: Put %s: got %v, want %v", w, p.rep.Source, status, rag.StatusNew)
				}
			}
		}()
	}
	// Readers on both instances while the writers run.
	stop := make(chan struct{})
	var rg sync.WaitGroup
	for _, st := range stores {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := st.Reports(ctx); err != nil {
					errs <- fmt.Errorf("Reports: %w", err)
					return
				}
				if err := st.Refresh(ctx); err != nil {
					errs <- fmt.Errorf("Refresh: %w", err)
					return
				}
				if _, err := st.Keyword(ctx, rag.Tokens("矛盾纠纷"), rag.Scope{}, 5); err != nil {
					errs <- fmt.Errorf("Keyword: %w", err)
					return
				}
				if _, err := st.Version(ctx); err != nil {
					errs <- fmt.Errorf("Version: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, st := range stores {
		got := mustCounts(t, st)
		if got[0] != writers*perWriter {
			t.Errorf("store %d: got %d reports, want %d", i, got[0], writers*perWriter)
		}
		if err := st.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if ids := searchIDs(t, st, "矛盾纠纷", rag.Scope{Towns: []string{seeds[0].rep.Town + "0"}}); len(ids) == 0 {
			t.Errorf("store %d: vector search finds nothing of variant 0 after Refresh", i)
		}
	}
}

// oldSchema is a store as made before the place columns existed.
const oldSchema = `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE reports (id TEXT PRIMARY KEY, source TEXT NOT NULL UNIQUE, title TEXT NOT NULL DEFAULT '', town TEXT NOT NULL DEFAULT '',
	county TEXT NOT NULL DEFAULT '', year INTEGER NOT NULL DEFAULT 0, date TEXT NOT NULL DEFAULT '', doc_number TEXT NOT NULL DEFAULT '',
	text TEXT NOT NULL DEFAULT '', ingested_at TEXT NOT NULL DEFAULT '');`

// TestSQLiteAddsPlaceColumns opens a store made before the place columns
// existed: they are added, the old report keeps its other fields with the
// new ones empty, and a new report stores and lists them.
func TestSQLiteAddsPlaceColumns(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	old := oldSchema + `INSERT INTO reports(id, source, town, county, year) VALUES ('old', 'old.txt', '渔门镇', '盐边县', 2020);`
	if _, err := db.Exec(old); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st := mustOpenSQLite(t, dir, rag.HashEmbedder(rag.DefaultDim))
	p := prepare(t, "004.txt", seedText(t, "004_40507ad071df1468.txt"), rag.HashEmbedder(rag.DefaultDim))
	if _, err := st.Put(context.Background(), p.rep, p.chunks, p.facts); err != nil {
		t.Fatal(err)
	}
	reps, err := st.Reports(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ingest.Report{}
	for _, r := range reps {
		got[r.Source] = r.Report
	}
	if o := got["old.txt"]; o.Town != "渔门镇" || o.County != "盐边县" || o.Place != "" || o.Level != "" {
		t.Errorf("old report after migration: %+v", o)
	}
	n := got["004.txt"]
	if n.Place != "拾万镇" || n.Level != ingest.LevelTownship || n.City != "重庆市" || n.Province != "重庆市" || n.DivisionCode != "500111108" {
		t.Errorf("new report: place %q level %q city %q province %q code %q", n.Place, n.Level, n.City, n.Province, n.DivisionCode)
	}
}

// TestSQLitePutBatch stores a batch in one transaction and checks that
// each report gets the status, and the store the content, that Put one
// report at a time gives: a later report of the batch sees the earlier
// ones (a duplicate, a replacement), and a report that fails is left out
// without failing the others.
func TestSQLitePutBatch(t *testing.T) {
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	orig := prepare(t, "a.txt", seedText(t, seedFiles[0]), emb)
	edited := prepare(t, "a.txt", strings.Replace(seedText(t, seedFiles[0]), "368件", "369件", 1), emb)
	other := prepare(t, "b.txt", seedText(t, seedFiles[3]), emb)
	sameContent := prepare(t, "copy-of-a.txt", seedText(t, seedFiles[0]), emb)
	bad := prepare(t, "bad.txt", seedText(t, seedFiles[1]), emb)
	last := prepare(t, "c.txt", seedText(t, seedFiles[2]), emb)
	batch := []prepared{orig, other, sameContent, bad, edited, last}
	for i := range batch {
		if i != 1 { // other is stored without term counts
			batch[i].rep.TermVocab, batch[i].rep.TermCounts = "v1", []byte(batch[i].rep.Source)
		}
	}
	want := []rag.IngestStatus{rag.StatusNew, rag.StatusNew, rag.StatusDuplicate, "", rag.StatusReplaced, rag.StatusNew}

	// failOn makes SQLite refuse the report stored as bad.txt.
	failOn := func(t *testing.T, dir string) {
		t.Helper()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.DBFile)+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`CREATE TRIGGER refuse_bad BEFORE INSERT ON reports WHEN NEW.source = 'bad.txt' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
			t.Fatal(err)
		}
	}

	oneDir, batchDir := t.TempDir(), t.TempDir()
	one, batched := mustOpenSQLite(t, oneDir, emb), mustOpenSQLite(t, batchDir, emb)
	failOn(t, oneDir)
	failOn(t, batchDir)
	for i, p := range batch {
		got, err := one.Put(ctx, p.rep, p.chunks, p.facts)
		if (err != nil) != (want[i] == "") || got != want[i] {
			t.Fatalf("Put %s one at a time: got %q, %v; want %q", p.rep.Source, got, err, want[i])
		}
	}

	ps := make([]rag.Prepared, len(batch))
	for i, p := range batch {
		ps[i] = rag.Prepared{Report: p.rep, Chunks: p.chunks, Facts: p.facts}
	}
	statuses, errs, err := batched.PutBatch(ctx, ps)
	if err != nil {
		t.Fatalf("PutBatch: %v", err)
	}
	for i, p := range batch {
		t.Run(p.rep.Source, func(t *testing.T) {
			if statuses[i] != want[i] {
				t.Errorf("status: got %q, want %q", statuses[i], want[i])
			}
			switch {
			case want[i] == "" && (errs[i] == nil || !strings.Contains(errs[i].Error(), "bad.txt")):
				t.Errorf("error: got %v, want one naming bad.txt", errs[i])
			case want[i] != "" && errs[i] != nil:
				t.Errorf("error: got %v, want none", errs[i])
			}
		})
	}

	if got, w := mustCounts(t, batched), mustCounts(t, one); got != w {
		t.Errorf("counts (reports, chunks, facts): batch %v, one at a time %v", got, w)
	}
	listed := func(st *sqlitestore.SQLite) string {
		reps, err := st.Reports(ctx)
		if err != nil {
			t.Fatal(err)
		}
		facts, err := st.Facts(ctx, rag.FactFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%+v\n%+v", reps, facts)
	}
	if got, w := listed(batched), listed(one); got != w {
		t.Errorf("reports and facts differ:\nbatch:\n%s\none at a time:\n%s", got, w)
	}
	termCounts := func(st *sqlitestore.SQLite) string {
		var got []string
		complete, err := st.TermCounts(ctx, "v1", func(id string, enc []byte) error {
			got = append(got, id[:8]+" "+string(enc))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		return fmt.Sprint(got, complete)
	}
	if got, w := termCounts(batched), termCounts(one); got != w || !strings.Contains(got, " a.txt") || !strings.Contains(got, " c.txt") || !strings.HasSuffix(got, "false") {
		t.Errorf("term counts: batch %s, one at a time %s; want a.txt's and c.txt's, incomplete", got, w)
	}
	for _, st := range []*sqlitestore.SQLite{one, batched} {
		if err := st.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, w := searchIDs(t, batched, "矛盾纠纷", rag.Scope{}), searchIDs(t, one, "矛盾纠纷", rag.Scope{}); !slices.Equal(got, w) {
		t.Errorf("search after the batch: got %v, one at a time %v", got, w)
	}
}

// TestSQLiteAddsFactContext opens a store made before facts kept their
// context and reports their sentence count: the columns and the (metric,
// report) index are added, the old figure is found without a context
// (its report is read to score it), a new one with it.
func TestSQLiteAddsFactContext(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	old := oldSchema + `CREATE TABLE facts (id INTEGER PRIMARY KEY AUTOINCREMENT, report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
	section TEXT NOT NULL DEFAULT '', subject TEXT NOT NULL DEFAULT '', metric TEXT NOT NULL DEFAULT '', value REAL NOT NULL,
	unit TEXT NOT NULL DEFAULT '', approx TEXT NOT NULL DEFAULT '', quote TEXT NOT NULL DEFAULT '');
CREATE INDEX facts_metric ON facts(metric);
INSERT INTO reports(id, source, town, county, year) VALUES ('old', 'old.txt', '渔门镇', '盐边县', 2020);
INSERT INTO facts(report_id, subject, metric, value, unit, quote) VALUES ('old', '调解矛盾纠纷', 'disputes_mediated', 368, '件', '调解矛盾纠纷368件。');`
	if _, err := db.Exec(old); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st := mustOpenSQLite(t, dir, rag.HashEmbedder(rag.DefaultDim))
	p := prepare(t, "004.txt", seedText(t, "004_40507ad071df1468.txt"), rag.HashEmbedder(rag.DefaultDim))
	p.rep.Sentences = 42
	for i := range p.facts {
		p.facts[i].Context = "前一句。"
	}
	if _, err := st.Put(ctx, p.rep, p.chunks, p.facts); err != nil {
		t.Fatal(err)
	}
	got, err := st.MetricFacts(ctx, rag.FactQuery{Metric: "disputes_mediated"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 {
		t.Fatalf("got %d figures, want the old one and the new report's", len(got))
	}
	for _, f := range got {
		want := fmt.Sprintf("%v %q %d", f.ReportID != "old", "前一句。", 42)
		if f.ReportID == "old" {
			want = fmt.Sprintf("%v %q %d", false, "", 0)
		}
		if have := fmt.Sprintf("%v %q %d", f.HasContext, f.Context, f.ReportSentences); have != want {
			t.Errorf("figure %v of %s: context and sentences %s, want %s", f.Value, f.ReportID, have, want)
		}
	}
	db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var plan strings.Builder
	rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT f.id FROM facts f JOIN reports r ON r.id = f.report_id WHERE f.metric = 'disputes_mediated' AND r.year = 2020`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	rows.Close()
	if !strings.Contains(plan.String(), "facts_metric_report") {
		t.Errorf("query plan does not use the facts' (metric, report) index:\n%s", plan.String())
	}
}

// TestSQLiteAddsTermCounts opens a store made before term counts were
// kept: the report stored before has none, so the store reads as
// incomplete until they are set, while a report stored after keeps its
// own.
func TestSQLiteAddsTermCounts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(oldSchema + `INSERT INTO reports(id, source, town, county, year) VALUES ('old', 'old.txt', '渔门镇', '盐边县', 2020);`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st := mustOpenSQLite(t, dir, rag.HashEmbedder(rag.DefaultDim))
	p := prepare(t, "004.txt", seedText(t, "004_40507ad071df1468.txt"), rag.HashEmbedder(rag.DefaultDim))
	p.rep.TermVocab, p.rep.TermCounts = "v1", []byte{1, 5}
	mustPut(t, st, p)
	read := func() string {
		var got []string
		complete, err := st.TermCounts(ctx, "v1", func(id string, enc []byte) error {
			got = append(got, fmt.Sprintf("%.3s %x", id, enc))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		return fmt.Sprint(got, complete)
	}
	if got, want := read(), fmt.Sprintf("[%.3s 0105] false", p.rep.ID); got != want {
		t.Errorf("after opening the old store: %s, want %s", got, want)
	}
	if err := st.SetTermCounts(ctx, "old", "v1", []byte{}); err != nil {
		t.Fatal(err)
	}
	if got, want := read(), fmt.Sprintf("[%.3s 0105 old ] true", p.rep.ID); got != want {
		t.Errorf("after filling the old report's counts: %s, want %s", got, want)
	}
}

// TestSQLiteFileSettings checks what a store made now is made with (16
// KB pages, WAL, the full-text index's 16 MB hash) and that a store made
// before with SQLite's default pages keeps them: both open, store and
// find a report.
func TestSQLiteFileSettings(t *testing.T) {
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	p := prepare(t, "004.txt", seedText(t, "004_40507ad071df1468.txt"), emb)
	oldDir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(oldDir, sqlitestore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(oldSchema); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, tc := range []struct {
		name     string
		dir      string
		pageSize int
	}{
		{"new store", t.TempDir(), 16384},
		{"store made with 4 KB pages", oldDir, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := mustOpenSQLite(t, tc.dir, emb)
			if got := mustPut(t, st, p); got != rag.StatusNew {
				t.Fatalf("put: %s", got)
			}
			hits, err := st.Keyword(ctx, rag.Tokens("调解矛盾纠纷"), rag.Scope{Towns: []string{p.rep.Unit()}}, 5)
			if err != nil || len(hits) == 0 || !strings.Contains(textOf(hits), "纠纷") {
				t.Errorf("keyword search: %d hits, %v", len(hits), err)
			}
			st.Close()
			db, err := sql.Open("sqlite", "file:"+filepath.Join(tc.dir, sqlitestore.DBFile))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var pageSize, hashSize int
			var mode string
			if err := db.QueryRowContext(ctx, `SELECT (SELECT page_size FROM pragma_page_size), (SELECT journal_mode FROM pragma_journal_mode), (SELECT v FROM chunks_fts_config WHERE k = 'hashsize')`).Scan(&pageSize, &mode, &hashSize); err != nil {
				t.Fatal(err)
			}
			if pageSize != tc.pageSize || mode != "wal" || hashSize != 16<<20 {
				t.Errorf("page size %d, journal mode %s, FTS5 hashsize %d; want %d, wal, %d", pageSize, mode, hashSize, tc.pageSize, 16<<20)
			}
		})
	}
}

// TestSQLitePutAfterWriterLost closes the connection batches are
// written through behind the store's back: the next report is stored
// through a new one.
func TestSQLitePutAfterWriterLost(t *testing.T) {
	emb := rag.HashEmbedder(rag.DefaultDim)
	st := mustOpenSQLite(t, t.TempDir(), emb)
	a := prepare(t, "a.txt", seedText(t, seedFiles[0]), emb)
	b := prepare(t, "b.txt", seedText(t, seedFiles[1]), emb)
	if got := mustPut(t, st, a); got != rag.StatusNew {
		t.Fatalf("put a: %s", got)
	}
	sqlitestore.CloseWriter(st)
	if got := mustPut(t, st, b); got != rag.StatusNew {
		t.Fatalf("put b: %s", got)
	}
	if c := mustCounts(t, st); c[0] != 2 {
		t.Errorf("%d reports stored, want 2", c[0])
	}
}
