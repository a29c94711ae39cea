package rag_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fazhi/ingest"
	"fazhi/rag"
	"fazhi/sqlitestore"
)

// seedEngine returns an engine over a new store holding the five seeds.
func seedEngine(tb testing.TB) (*rag.Engine, *sqlitestore.SQLite) {
	tb.Helper()
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	st := mustOpenSQLite(tb, tb.TempDir(), emb)
	e, err := rag.NewEngine(ctx, st, emb)
	if err != nil {
		tb.Fatalf("NewEngine: %v", err)
	}
	for _, f := range seedFiles {
		res, err := e.IngestPath(ctx, filepath.Join("..", "testdata", "reports", f))
		if err != nil {
			tb.Fatalf("IngestPath(%s): %v", f, err)
		}
		if res.Status != rag.StatusNew {
			tb.Fatalf("IngestPath(%s): got %v, want %v", f, res.Status, rag.StatusNew)
		}
	}
	return e, st
}

// evalCase is one line of an evaluation file (testdata/eval/*.jsonl).
type evalCase struct {
	ID       string   `json:"id"`
	Lang     string   `json:"lang"`
	Kind     string   `json:"kind"`
	Doc      string   `json:"doc"`
	Question string   `json:"question"`
	Must     []string `json:"must"`
}

func readEvalCases(tb testing.TB, path string) []evalCase {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []evalCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var c evalCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatalf("%s: no cases", path)
	}
	return out
}

func mustAsk(tb testing.TB, e *rag.Engine, q rag.Question) rag.Answer {
	tb.Helper()
	a, err := e.Ask(context.Background(), q)
	if err != nil {
		tb.Fatalf("Ask(%q): %v", q.Text, err)
	}
	return a
}

// checkAnswer checks found, the must strings and the cited source.
func checkAnswer(tb testing.TB, a rag.Answer, found bool, must []string, doc string) {
	tb.Helper()
	if a.Found != found {
		tb.Errorf("got found %v, want %v; answer: %s", a.Found, found, a.Answer)
		return
	}
	if !found {
		if len(a.Citations) != 0 {
			tb.Errorf("got %d citations for a not-found answer, want 0", len(a.Citations))
		}
		if strings.TrimSpace(a.Answer) == "" {
			tb.Errorf("got an empty answer, want words saying it is not found")
		}
		return
	}
	for _, m := range must {
		if !strings.Contains(a.Answer, m) {
			tb.Errorf("answer lacks %q: %s", m, a.Answer)
		}
	}
	if doc == "" {
		return
	}
	var cited []string
	for _, c := range a.Citations {
		if c.Source == doc {
			if c.Quote == "" || c.Town == "" || c.Year == 0 {
				tb.Errorf("citation of %s has empty fields: %+v", doc, c)
			}
			return
		}
		cited = append(cited, c.Source)
	}
	tb.Errorf("got citations %v, want %s", cited, doc)
}

func TestEngineSeedQuestions(t *testing.T) {
	e, _ := seedEngine(t)
	for _, c := range readEvalCases(t, filepath.Join("..", "testdata", "eval", "seed-qa.jsonl")) {
		t.Run(c.ID, func(t *testing.T) {
			a := mustAsk(t, e, rag.Question{Text: c.Question})
			checkAnswer(t, a, c.Kind != "none", c.Must, c.Doc)
		})
	}
}

func TestEngineFollowUp(t *testing.T) {
	e, _ := seedEngine(t)
	tests := []struct {
		name   string
		first  string
		follow string
		found  bool
		must   []string
		doc    string
	}{
		{"another town, Chinese", "渔门镇2020年调解了多少矛盾纠纷？", "那城关镇呢？", true, []string{"46"}, "003_77ad51e2d2cfaeb9.txt"},
		{"another town, English", "How many disputes did Yumen mediate in 2020?", "What about Chengguan?", true, []string{"46"}, "003_77ad51e2d2cfaeb9.txt"},
		{"same town, new subject", "城关镇2020年调解了多少矛盾纠纷？", "全镇调解员有多少人？", true, []string{"132"}, "003_77ad51e2d2cfaeb9.txt"},
		{"a town not stored", "渔门镇2020年调解了多少矛盾纠纷？", "那黄桷镇呢？", false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := mustAsk(t, e, rag.Question{Text: tt.first})
			if !first.Found {
				t.Fatalf("first question %q not answered: %s", tt.first, first.Answer)
			}
			a := mustAsk(t, e, rag.Question{Text: tt.follow, History: []rag.Turn{
				{Role: "user", Content: tt.first},
				{Role: "assistant", Content: first.Answer},
			}})
			checkAnswer(t, a, tt.found, tt.must, tt.doc)
		})
	}
}

func TestEngineNotInStore(t *testing.T) {
	e, _ := seedEngine(t)
	towns := []string{"渔门镇", "大钟庄镇", "泉掌镇", "城关镇", "拾万镇"}
	tests := []struct {
		name string
		q    string
		want []string // the answer mentions these
	}{
		{"unknown town", "黄桷镇2021年调解了多少起矛盾纠纷？", append([]string{"黄桷镇"}, towns...)},
		{"unknown town without year", "白马镇有多少名调解员？", append([]string{"白马镇"}, towns...)},
		{"year not stored", "渔门镇2019年调解了多少矛盾纠纷？", []string{"2019", "2020"}},
		{"year not stored for any town", "2016年全镇调解了多少矛盾纠纷？", []string{"2016"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustAsk(t, e, rag.Question{Text: tt.q})
			checkAnswer(t, a, false, nil, "")
			for _, w := range tt.want {
				if !strings.Contains(a.Answer, w) {
					t.Errorf("answer does not name %q: %s", w, a.Answer)
				}
			}
		})
	}
}

func TestEngineEmptyQuestion(t *testing.T) {
	e, _ := seedEngine(t)
	for _, q := range []string{"", "   ", "\n"} {
		if _, err := e.Ask(context.Background(), rag.Question{Text: q}); !errors.Is(err, rag.ErrEmptyQuestion) {
			t.Errorf("Ask(%q): got %v, want rag.ErrEmptyQuestion", q, err)
		}
	}
}

func TestEngineEmptyStore(t *testing.T) {
	emb := rag.HashEmbedder(rag.DefaultDim)
	e, err := rag.NewEngine(context.Background(), mustOpenSQLite(t, t.TempDir(), emb), emb)
	if err != nil {
		t.Fatal(err)
	}
	a := mustAsk(t, e, rag.Question{Text: "渔门镇2020年调解了多少矛盾纠纷？"})
	checkAnswer(t, a, false, nil, "")
	reps, err := e.Reports(context.Background())
	if err != nil || len(reps) != 0 {
		t.Errorf("Reports on an empty store: got %d, %v, want 0, nil", len(reps), err)
	}
}

func TestEngineIngestFileErrors(t *testing.T) {
	ctx := context.Background()
	e, _ := seedEngine(t)
	before, err := e.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rnd := make([]byte, 4096)
	for i := range rnd {
		rnd[i] = byte(i*131 + i/7)
	}
	seed := []byte(seedText(t, seedFiles[0]))
	tests := []struct {
		name  string
		file  string
		data  []byte
		wants []error // the error wraps one of these
	}{
		{"empty text file", "empty.txt", nil, []error{ingest.ErrEmpty}},
		{"white space only", "blank.txt", []byte(" \n\u3000\n\t\n"), []error{ingest.ErrEmpty}},
		{"unsupported extension", "report.xyz", seed, []error{ingest.ErrUnsupported}},
		{"no extension", "report", seed, []error{ingest.ErrUnsupported}},
		{"random bytes as docx", "bad.docx", rnd, []error{ingest.ErrCorrupt}},
		{"truncated docx", "cut.docx", truncatedZip(t), []error{ingest.ErrCorrupt}},
		{"random bytes as pdf", "bad.pdf", rnd, []error{ingest.ErrCorrupt, ingest.ErrEmpty, ingest.ErrToolMissing}},
		{"binary as text", "bad.txt", append([]byte{0, 1, 2, 0}, rnd...), []error{ingest.ErrCorrupt}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.IngestFile(ctx, tt.file, tt.data)
			if err == nil {
				t.Fatalf("IngestFile(%s): got no error, want one of %v", tt.file, tt.wants)
			}
			ok := false
			for _, w := range tt.wants {
				ok = ok || errors.Is(err, w)
			}
			if !ok {
				t.Errorf("IngestFile(%s): got %v, want an error wrapping one of %v", tt.file, err, tt.wants)
			}
			if !strings.Contains(err.Error(), tt.file) {
				t.Errorf("IngestFile(%s): error %q does not name the file", tt.file, err)
			}
			after, err := e.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if after != before {
				t.Errorf("Stats after a failed ingest: got %+v, want %+v", after, before)
			}
		})
	}
}

// truncatedZip returns the first 200 bytes of a .docx fixture, or of a
// small zip archive when no fixture is present.
func truncatedZip(tb testing.TB) []byte {
	tb.Helper()
	if b, err := os.ReadFile(filepath.Join("..", "testdata", "formats", "000_cd4b96a87fea5f69.docx")); err == nil && len(b) > 200 {
		return b[:200]
	}
	// "PK\x03\x04" local file header of a zip, then nothing whole.
	b := append([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), make([]byte, 190)...)
	return b
}

func TestEngineIngestFileStatuses(t *testing.T) {
	ctx := context.Background()
	e, _ := seedEngine(t)
	raw := []byte(seedText(t, seedFiles[3]))
	edited := []byte(strings.Replace(string(raw), "调解员达到 132 人", "调解员达到 133 人", 1))
	if string(edited) == string(raw) {
		t.Fatal("the edit did not apply: fixture changed?")
	}
	steps := []struct {
		name   string
		file   string
		data   []byte
		want   rag.IngestStatus
		report int
	}{
		{"same bytes as stored", seedFiles[3], raw, rag.StatusUnchanged, 5},
		{"edited content", seedFiles[3], edited, rag.StatusReplaced, 5},
		{"new name", "城关镇-draft.txt", []byte(strings.Replace(string(raw), "2020年", "2019年", -1)), rag.StatusNew, 6},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			res, err := e.IngestFile(ctx, s.file, s.data)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != s.want || res.Source != s.file {
				t.Errorf("got %v %q, want %v %q", res.Status, res.Source, s.want, s.file)
			}
			if res.Report.Town != "城关镇" || res.Report.Year == 0 || res.Report.Chunks == 0 {
				t.Errorf("got report %s %d with %d chunks, want 城关镇 with a year and chunks", res.Report.Town, res.Report.Year, res.Report.Chunks)
			}
			reps, err := e.Reports(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(reps) != s.report {
				t.Errorf("got %d reports, want %d", len(reps), s.report)
			}
		})
	}
	// The replaced report answers with its new figure; the 2019 draft is
	// a report of its own.
	checkAnswer(t, mustAsk(t, e, rag.Question{Text: "城关镇2020年全镇调解员有多少人？"}), true, []string{"133"}, seedFiles[3])
	checkAnswer(t, mustAsk(t, e, rag.Question{Text: "城关镇2019年全镇调解员有多少人？"}), true, []string{"132"}, "城关镇-draft.txt")
}

func TestEngineStats(t *testing.T) {
	e, st := seedEngine(t)
	got, err := e.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, c, f, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := rag.Stats{Reports: 5, Chunks: c, Facts: f, Embedder: rag.HashEmbedder(rag.DefaultDim).Name, Dim: rag.DefaultDim}
	if got != want || r != 5 || c == 0 || f == 0 {
		t.Errorf("Stats: got %+v, want %+v", got, want)
	}
}

func TestEngineDelete(t *testing.T) {
	ctx := context.Background()
	e, _ := seedEngine(t)
	const q = "渔门镇2020年调解了多少矛盾纠纷？"
	checkAnswer(t, mustAsk(t, e, rag.Question{Text: q}), true, []string{"368"}, seedFiles[0])
	if err := e.Delete(ctx, seedFiles[0]); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	a := mustAsk(t, e, rag.Question{Text: q})
	checkAnswer(t, a, false, nil, "")
	if strings.Contains(a.Answer, "368") {
		t.Errorf("answer after Delete still states 368: %s", a.Answer)
	}
	reps, err := e.Reports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 4 {
		t.Errorf("got %d reports after Delete, want 4", len(reps))
	}
	if err := e.Delete(ctx, seedFiles[0]); !errors.Is(err, rag.ErrNotFound) {
		t.Errorf("second Delete: got %v, want an error wrapping rag.ErrNotFound", err)
	}
	// Other towns are still answered.
	checkAnswer(t, mustAsk(t, e, rag.Question{Text: "城关镇2020年镇村两级共排查调处矛盾纠纷多少件？"}), true, []string{"46"}, seedFiles[3])
}

func TestEngineRetriever(t *testing.T) {
	e, _ := seedEngine(t)
	ctx := context.Background()
	docs, err := e.Retriever().GetRelevantDocuments(ctx, "渔门镇2020年调解了多少矛盾纠纷")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("got no documents, want 渔门镇's chunks")
	}
	stated := false
	for i, d := range docs {
		if got := d.Metadata["source"]; got != seedFiles[0] {
			t.Errorf("doc %d: got source %v, want %s", i, got, seedFiles[0])
		}
		if got := d.Metadata["town"]; got != "渔门镇" {
			t.Errorf("doc %d: got town %v, want 渔门镇", i, got)
		}
		if got := d.Metadata["year"]; got != 2020 {
			t.Errorf("doc %d: got year %v (%T), want 2020", i, got, got)
		}
		if _, ok := d.Metadata["section"].(string); !ok {
			t.Errorf("doc %d: got section %v (%T), want a string", i, d.Metadata["section"], d.Metadata["section"])
		}
		if d.PageContent == "" {
			t.Errorf("doc %d: empty page content", i)
		}
		stated = stated || strings.Contains(d.PageContent, "368")
	}
	if !stated {
		t.Errorf("no retrieved document states 368")
	}
	// A town not stored retrieves nothing rather than another town's text.
	docs, err = e.Retriever().GetRelevantDocuments(ctx, "黄桷镇2021年调解了多少矛盾纠纷")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 0 {
		t.Errorf("unknown town: got %d documents (first from %v), want none", len(docs), docs[0].Metadata["town"])
	}
}

// lookAlike returns the raw text of seed with its town renamed, so the
// result is a distinct report of another town.
func lookAlike(tb testing.TB, seed, fromTown, toTown string, n int) []byte {
	tb.Helper()
	raw := seedText(tb, seed)
	if !strings.Contains(raw, fromTown) {
		tb.Fatalf("%s does not name %s", seed, fromTown)
	}
	raw = strings.ReplaceAll(raw, fromTown, toTown)
	return []byte(fmt.Sprintf("%s\n（第%d稿）\n", raw, n))
}

func TestEngineConcurrentAskWhileIngesting(t *testing.T) {
	ctx := context.Background()
	e, _ := seedEngine(t)
	cases := readEvalCases(t, filepath.Join("..", "testdata", "eval", "seed-qa.jsonl"))
	// What each question gets with no ingest running.
	want := map[string]rag.Answer{}
	for _, c := range cases {
		want[c.ID] = mustAsk(t, e, rag.Question{Text: c.Question})
	}
	newTowns := []string{"青龙镇", "白鹤镇", "金沙镇", "石门镇", "云台镇", "龙泉镇"}
	var wg sync.WaitGroup
	errs := make(chan error, 8*20+len(newTowns))
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, town := range newTowns {
			data := lookAlike(t, seedFiles[i%2*3], []string{"渔门镇", "城关镇"}[i%2], town, i)
			res, err := e.IngestFile(ctx, fmt.Sprintf("lookalike-%d.txt", i), data)
			if err != nil {
				errs <- fmt.Errorf("IngestFile %s: %w", town, err)
				continue
			}
			if res.Status != rag.StatusNew || res.Report.Town != town {
				errs <- fmt.Errorf("IngestFile %s: got %v %s, want new %s", town, res.Status, res.Report.Town, town)
			}
		}
	}()
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				c := cases[(g*20+i)%len(cases)]
				a, err := e.Ask(ctx, rag.Question{Text: c.Question})
				if err != nil {
					errs <- fmt.Errorf("Ask %s: %w", c.ID, err)
					continue
				}
				w := want[c.ID]
				if a.Found != w.Found {
					errs <- fmt.Errorf("Ask %s %q during ingest: got found %v, want %v", c.ID, c.Question, a.Found, w.Found)
					continue
				}
				if a.Found && (len(a.Citations) == 0 || a.Citations[0].Source != w.Citations[0].Source || a.Answer != w.Answer) {
					errs <- fmt.Errorf("Ask %s %q during ingest: got %q, want %q", c.ID, c.Question, a.Answer, w.Answer)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	reps, err := e.Reports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != len(seedFiles)+len(newTowns) {
		t.Errorf("got %d reports, want %d", len(reps), len(seedFiles)+len(newTowns))
	}
	// The new reports are answered too.
	checkAnswer(t, mustAsk(t, e, rag.Question{Text: "青龙镇2020年共排查、调解各类矛盾纠纷多少件？"}), true, []string{"368"}, "lookalike-0.txt")
	checkAnswer(t, mustAsk(t, e, rag.Question{Text: "白鹤镇全镇调解员有多少人？"}), true, []string{"132"}, "lookalike-1.txt")
}

// mustOpenSQLite opens a store in dir and closes it when the test ends.
func mustOpenSQLite(tb testing.TB, dir string, emb rag.Embedder) *sqlitestore.SQLite {
	tb.Helper()
	st, err := sqlitestore.Open(context.Background(), dir, emb)
	if err != nil {
		tb.Fatalf("sqlitestore.Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

var sqlitestoreOpen = sqlitestore.Open

// TestPrepareKeywordTerms checks that Prepare gives each chunk the
// keyword terms a store would compute itself.
func TestPrepareKeywordTerms(t *testing.T) {
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	e, err := rag.NewEngine(ctx, mustOpenSQLite(t, t.TempDir(), emb), emb)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range seedFiles {
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "reports", f))
		if err != nil {
			t.Fatal(err)
		}
		_, chunks, _, err := e.Prepare(ctx, f, "id-"+f, string(raw))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks {
			want := rag.Tokens(c.Section + " " + c.Text)
			if c.Terms == nil || fmt.Sprint(c.Terms) != fmt.Sprint(want) {
				t.Errorf("%s chunk %d: terms %q, want %q", f, c.Seq, c.Terms, want)
			}
			bare := c
			bare.Terms = nil
			if fmt.Sprint(bare.KeywordTerms()) != fmt.Sprint(want) {
				t.Errorf("%s chunk %d: KeywordTerms without Terms gives %q, want %q", f, c.Seq, bare.KeywordTerms(), want)
			}
		}
	}
}
