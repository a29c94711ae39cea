package pgstore_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"

	"fazhi/rag"
	"fazhi/sqlitestore"
)

// evalSets are the question sets both engines answer; a missing one is
// skipped.
var evalSets = []string{"seed-qa.jsonl", "fazhi-qa.jsonl"}

// copiesPerReport is how many changed copies of each seed report the
// second run stores: more than the answerer reads whole for a question
// that names its town (60) with the original, so that retrieval decides.
const copiesPerReport = 60

// copied are the seed reports copied: two towns, to keep the test quick.
var copied = map[string]bool{"000_cd4b96a87fea5f69.txt": true, "003_77ad51e2d2cfaeb9.txt": true}

func readQuestions(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is absent", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var item struct {
			Question string `json:"question"`
		}
		if err := json.Unmarshal(sc.Bytes(), &item); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, item.Question)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// countingStore counts the searches an Engine makes.
type countingStore struct {
	rag.Store
	keyword, vector atomic.Int64
}

func (s *countingStore) Keyword(ctx context.Context, tokens []string, sc rag.Scope, k int) ([]rag.Hit, error) {
	s.keyword.Add(1)
	return s.Store.Keyword(ctx, tokens, sc, k)
}

func (s *countingStore) Vector(ctx context.Context, v []float32, sc rag.Scope, k int) ([]rag.Hit, error) {
	s.vector.Add(1)
	return s.Store.Vector(ctx, v, sc, k)
}

// engines returns an Engine over PostgreSQL and one over SQLite, both
// with the default embedder, both given the same reports, and the
// PostgreSQL engine's store.
func engines(t *testing.T, reports map[string][]byte) (pg, lite *rag.Engine, pgStore *countingStore) {
	t.Helper()
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	ps := &countingStore{Store: mustOpenPG(t, testURL(t), emb)}
	ls, err := sqlitestore.Open(ctx, t.TempDir(), emb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ls.Close() })
	var engs []*rag.Engine
	for _, st := range []rag.Store{ps, ls} {
		e, err := rag.NewEngine(ctx, st, emb)
		if err != nil {
			t.Fatal(err)
		}
		engs = append(engs, e)
	}
	dir := t.TempDir()
	names := make([]string, 0, len(reports))
	for name := range reports {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, reports[name], 0o644); err != nil {
			t.Fatal(err)
		}
		for _, e := range engs {
			res, err := e.IngestPath(ctx, path)
			if err != nil {
				t.Fatalf("ingest %s: %v", name, err)
			}
			if res.Status != rag.StatusNew {
				t.Fatalf("ingest %s: status %q, want new", name, res.Status)
			}
		}
	}
	return engs[0], engs[1], ps
}

// TestEvalMatchesSQLite ingests the seed reports into an Engine over
// PostgreSQL and one over SQLite and asks both every evaluation question:
// PostgreSQL must answer exactly as the embedded store does, never worse.
// With two reports stored many times over (as other files, slightly
// changed) questions about their towns, and those that name no town,
// have more reports in scope than the answerer reads whole, and go
// through keyword and vector search.
func TestEvalMatchesSQLite(t *testing.T) {
	paths, err := filepath.Glob("../testdata/reports/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no seed reports in ../testdata/reports (%v)", err)
	}
	seed := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		seed[filepath.Base(p)] = b
	}
	copies := map[string][]byte{}
	for name, b := range seed {
		copies[name] = b
		if !copied[name] {
			continue
		}
		for n := 1; n <= copiesPerReport; n++ {
			c := strconv.Itoa(n)
			copies["copy"+c+"_"+name] = append(append([]byte(nil), b...), []byte("\n（副本"+c+"）\n")...)
		}
	}
	for _, tc := range []struct {
		name      string
		reports   map[string][]byte
		sets      []string
		retrieval bool // questions go through keyword and vector search
	}{
		{"seed reports", seed, evalSets, false},
		{"copies", copies, evalSets[:1], true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg, lite, ps := engines(t, tc.reports)
			for _, set := range tc.sets {
				t.Run(set, func(t *testing.T) {
					ctx := context.Background()
					questions := readQuestions(t, filepath.Join("..", "testdata", "eval", set))
					found := 0
					for _, q := range questions {
						want, err := lite.Ask(ctx, rag.Question{Text: q})
						if err != nil {
							t.Fatalf("SQLite engine: %q: %v", q, err)
						}
						got, err := pg.Ask(ctx, rag.Question{Text: q})
						if err != nil {
							t.Fatalf("PostgreSQL engine: %q: %v", q, err)
						}
						if tc.retrieval {
							// Copies tie; which one is cited, and named in the
							// answer, is a toss-up in either store.
							got.Answer, want.Answer = sourceName.ReplaceAllString(got.Answer, "<source>"), sourceName.ReplaceAllString(want.Answer, "<source>")
						}
						if got.Found != want.Found || got.Answer != want.Answer {
							t.Errorf("%q:\n PostgreSQL found=%v %q\n     SQLite found=%v %q", q, got.Found, got.Answer, want.Found, want.Answer)
							continue
						}
						if tc.retrieval {
							// Copies tie; which one is cited is a toss-up in
							// either store.
							got.Citations, want.Citations = withoutSources(got.Citations), withoutSources(want.Citations)
						}
						if !reflect.DeepEqual(got.Citations, want.Citations) {
							t.Errorf("%q: citations differ:\n PostgreSQL %+v\n     SQLite %+v", q, got.Citations, want.Citations)
						}
						if want.Found {
							found++
						}
					}
					t.Logf("%d questions, %d answered, the same by both stores; %d keyword and %d vector searches", len(questions), found, ps.keyword.Load(), ps.vector.Load())
					if tc.retrieval && (ps.keyword.Load() == 0 || ps.vector.Load() == 0) {
						t.Errorf("no question went through keyword and vector search: the case tests nothing")
					}
				})
			}
		})
	}
}

// withoutSources drops the file names from citations: the rest says
// what was quoted from which town's report of which year.
// sourceName matches the file names of the seed reports and their copies.
var sourceName = regexp.MustCompile(`(?:copy\d+_)?\d{3}_[0-9a-f]{16}\.txt`)

func withoutSources(cs []rag.Citation) []rag.Citation {
	out := make([]rag.Citation, len(cs))
	for i, c := range cs {
		c.Source = ""
		out[i] = c
	}
	return out
}
