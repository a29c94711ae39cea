package rag_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"fazhi/ingest"
	"fazhi/internal/lookalike"
	"fazhi/rag"
	"fazhi/sqlitestore"
)

// TestTermCountsAtIngest prepares every seed and real report and checks
// the term counts it carries against countTerms over its chunks, as a
// total counted them before: for every token of the vocabulary, how many
// distinct sentences of the report hold it.
func TestTermCountsAtIngest(t *testing.T) {
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	e, err := rag.NewEngine(ctx, mustOpenSQLite(t, t.TempDir(), emb), emb)
	if err != nil {
		t.Fatal(err)
	}
	vocab := rag.TermVocabTokens()
	for _, must := range []string{"调解", "调处", "化解", "矛盾", "纠纷", "法律", "顾问", "信访"} {
		if !slices.Contains(vocab, must) {
			t.Errorf("vocabulary lacks %s", must)
		}
	}
	var paths []string
	for _, dir := range []string{filepath.Join("..", "testdata", "reports"), filepath.Join("..", "testdata", "real", "docs")} {
		ps, err := filepath.Glob(filepath.Join(dir, "*.txt"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, ps...)
	}
	if len(paths) < 45 {
		t.Fatalf("%d seed and real reports, want 45", len(paths))
	}
	counted := 0
	for _, p := range paths {
		raw, err := ingest.Load(ctx, p, ingest.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		id := "id-" + filepath.Base(p)
		rep, chunks, _, err := e.Prepare(ctx, filepath.Base(p), id, raw)
		if err != nil {
			t.Fatal(err)
		}
		if rep.TermVocab != rag.TermVocabVersion() || rep.TermCounts == nil {
			t.Fatalf("%s: counts under %q (%d bytes), want %q", p, rep.TermVocab, len(rep.TermCounts), rag.TermVocabVersion())
		}
		got, err := rag.DecodeTermCounts(rep.TermVocab, rep.TermCounts)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		hits := make([]rag.Hit, len(chunks))
		for i, c := range chunks {
			hits[i] = rag.Hit{ReportID: id, Section: c.Section, Text: c.Text}
		}
		want := rag.CountTerms(hits, vocab)
		for _, tok := range vocab {
			if got[tok] != want[tok][id] {
				t.Errorf("%s: %s in %d sentences, countTerms says %d", filepath.Base(p), tok, got[tok], want[tok][id])
			}
			if n, ok := got[tok]; ok && n == 0 {
				t.Errorf("%s: %s kept with count 0", filepath.Base(p), tok)
			}
		}
		counted += len(got)
	}
	if counted < 20*len(paths) {
		t.Errorf("%d non-zero counts over %d reports: the vocabulary hardly meets the reports", counted, len(paths))
	}
}

// countingStore passes every call to a store, recording the tokens
// ChunksWith is asked for; it keeps the store's TermCountStore methods
// (or hides them: plainStore).
type countingStore struct {
	rag.TermCountStore
	mu     sync.Mutex
	tokens []string
}

func (s *countingStore) ChunksWith(ctx context.Context, tokens []string, sc rag.Scope) ([]rag.Hit, error) {
	s.mu.Lock()
	s.tokens = append(s.tokens, tokens...)
	s.mu.Unlock()
	return s.TermCountStore.ChunksWith(ctx, tokens, sc)
}

func (s *countingStore) asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tokens)
}

// plainStore is a store that keeps no term counts as far as the engine
// can tell: only rag.Store's methods.
type plainStore struct{ rag.Store }

// TestTotalsFromStoredTermCounts answers every total, ranking and
// comparison over the seeds and look-alikes with the term counts read
// from the store, and again by an engine over the same store that cannot
// see them (counting from the chunks as before): the answers are the
// same, and only tokens outside the vocabulary are counted from chunks.
// Then one report loses its counts: the store is no longer complete, the
// engine counts every token from the chunks, and the answers stay the
// same; `reindex` (CountTerms) fills the counts in again.
func TestTotalsFromStoredTermCounts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := rag.HashEmbedder(rag.DefaultDim)
	st := mustOpenSQLite(t, dir, emb)
	loader, err := rag.NewEngine(ctx, st, emb)
	if err != nil {
		t.Fatal(err)
	}
	names, texts := benchSeedTexts(t)
	for i, name := range names {
		if _, err := loader.IngestFile(ctx, name, []byte(texts[i])); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range lookalike.Generate(texts, 40, rand.New(rand.NewPCG(15, 3))) {
		if _, err := loader.IngestFile(ctx, r.Name, []byte(r.Text)); err != nil {
			t.Fatal(err)
		}
	}
	vocab := rag.TermVocabTokens()
	answers := func(t *testing.T, e *rag.Engine) []string {
		t.Helper()
		var out []string
		for _, q := range aggregateQuestions {
			a := mustAsk(t, e, rag.Question{Text: q})
			b, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
		return out
	}
	newEngine := func(t *testing.T, s rag.Store) *rag.Engine {
		t.Helper()
		e, err := rag.NewEngine(ctx, s, emb)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	want := answers(t, newEngine(t, plainStore{st}))
	check := func(t *testing.T, complete bool) {
		t.Helper()
		cs := &countingStore{TermCountStore: st}
		got := answers(t, newEngine(t, cs))
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s\nwith stored counts: %s\ncounted from chunks: %s", aggregateQuestions[i], got[i], want[i])
			}
		}
		inVocab := 0
		for _, tok := range cs.asked() {
			if slices.Contains(vocab, tok) {
				inVocab++
				if complete {
					t.Errorf("%s counted from chunks although every report has its count", tok)
				}
			}
		}
		if !complete && inVocab == 0 {
			t.Error("a store lacking a report's counts: no vocabulary token counted from chunks")
		}
	}
	t.Run("complete", func(t *testing.T) { check(t, true) })

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(`DELETE FROM term_counts WHERE report_id = (SELECT id FROM reports WHERE source = ?)`, names[0])
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("delete the counts of %s: %d rows, %v", names[0], n, err)
	}
	t.Run("one report without counts", func(t *testing.T) { check(t, false) })

	n, err := loader.CountTerms(ctx)
	if err != nil || n != 1 {
		t.Fatalf("CountTerms = %d, %v; want 1 report counted", n, err)
	}
	if n, err := loader.CountTerms(ctx); err != nil || n != 0 {
		t.Errorf("CountTerms again = %d, %v; want none left to count", n, err)
	}
	t.Run("filled by CountTerms", func(t *testing.T) { check(t, true) })

	// Damaged counts (one report's no longer decode) serve as none: the
	// answers are the same, counted from the chunks, and CountTerms
	// counts that report again.
	if err := st.SetTermCounts(ctx, mustReportID(t, st, names[1]), rag.TermVocabVersion(), []byte{0}); err != nil {
		t.Fatal(err)
	}
	t.Run("one report's counts damaged", func(t *testing.T) { check(t, false) })
	if n, err := loader.CountTerms(ctx); err != nil || n != 1 {
		t.Fatalf("CountTerms after damage = %d, %v; want 1 report counted", n, err)
	}
	t.Run("damaged counts made again", func(t *testing.T) { check(t, true) })
}

// mustReportID returns the ID of the stored report of source.
func mustReportID(t *testing.T, st rag.Store, source string) string {
	t.Helper()
	reps, err := st.Reports(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Source == source {
			return r.ID
		}
	}
	t.Fatalf("no stored report %s", source)
	return ""
}

// TestCountTermsAsPrepare empties a store's counts and fills them in
// again from the stored chunks: they are the counts Prepare made.
func TestCountTermsAsPrepare(t *testing.T) {
	ctx := context.Background()
	e, st := seedEngine(t)
	before := map[string][]byte{}
	complete, err := st.TermCounts(ctx, rag.TermVocabVersion(), func(id string, enc []byte) error {
		before[id] = slices.Clone(enc)
		return nil
	})
	if err != nil || !complete || len(before) != len(seedFiles) {
		t.Fatalf("TermCounts after ingest: %d reports, complete %v, %v", len(before), complete, err)
	}
	for id := range before {
		if err := st.SetTermCounts(ctx, id, "another vocabulary", []byte{1, 1}); err != nil {
			t.Fatal(err)
		}
	}
	if complete, err := st.TermCounts(ctx, rag.TermVocabVersion(), func(string, []byte) error { return nil }); err != nil || complete {
		t.Fatalf("counts under another vocabulary: complete %v, %v", complete, err)
	}
	if n, err := e.CountTerms(ctx); err != nil || n != len(seedFiles) {
		t.Fatalf("CountTerms = %d, %v; want %d", n, err, len(seedFiles))
	}
	after := map[string][]byte{}
	if complete, err := st.TermCounts(ctx, rag.TermVocabVersion(), func(id string, enc []byte) error {
		after[id] = slices.Clone(enc)
		return nil
	}); err != nil || !complete {
		t.Fatalf("after CountTerms: complete %v, %v", complete, err)
	}
	for id, enc := range before {
		if string(after[id]) != string(enc) {
			t.Errorf("report %s: counts %x after CountTerms, %x from Prepare", id, after[id], enc)
		}
	}
}
