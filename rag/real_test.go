package rag_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fazhi/eval"
	"fazhi/rag"
)

// Floors of the real development set (testdata/real: 40 real reports with
// 157 questions) on a store holding the seeds and the real reports. They
// only rise: a change that lowers either is a regression.
const (
	realFloorOverall  = 155 // of 157
	realFloorHeadline = 77  // of 78 figure questions
)

// mustRealEngine returns an engine over a new store holding the seed
// reports and the 40 real reports of testdata/real/docs.
func mustRealEngine(tb testing.TB) *rag.Engine {
	tb.Helper()
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	e, err := rag.NewEngine(ctx, mustOpenSQLite(tb, tb.TempDir(), emb), emb)
	if err != nil {
		tb.Fatal(err)
	}
	for _, dir := range []string{"../testdata/reports", "../testdata/real/docs"} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			tb.Fatal(err)
		}
		for _, de := range ents {
			if !strings.HasSuffix(de.Name(), ".txt") {
				continue
			}
			if _, err := e.IngestPath(ctx, filepath.Join(dir, de.Name())); err != nil {
				tb.Fatalf("IngestPath(%s): %v", de.Name(), err)
			}
		}
	}
	return e
}

func TestRealDevelopmentSet(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests 45 reports")
	}
	ctx := context.Background()
	e := mustRealEngine(t)
	cases, err := eval.ReadFile("../testdata/real/qa.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	s := eval.Print(&out, eval.Run(ctx, e, cases))
	t.Logf("real development set:\n%s", out.String())
	if s.Overall.OK < realFloorOverall {
		t.Errorf("got %s right, want at least %d", s.Overall, realFloorOverall)
	}
	if s.Headline.OK < realFloorHeadline {
		t.Errorf("got %s figure questions with every figure in the first paragraph, want at least %d", s.Headline, realFloorHeadline)
	}
}
