package rag_test

import (
	"context"
	"testing"

	"fazhi/rag"
)

// Totals over every report read the fact table, or, for a kind of figure
// the table does not type, the reports one at a time: with a cache too
// small to hold even one report they give what they give with the whole
// corpus cached.
func TestAggregateWithinCacheBudget(t *testing.T) {
	ctx := context.Background()
	_, st := seedEngine(t)
	emb := rag.HashEmbedder(rag.DefaultDim)
	roomy, err := rag.NewEngine(ctx, st, emb)
	if err != nil {
		t.Fatal(err)
	}
	tiny, err := rag.NewEngine(ctx, st, emb, rag.WithCacheBytes(1))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, q := range []string{
		"所有镇一共调解了多少矛盾纠纷？",
		"哪个镇调解的矛盾纠纷最多？",
		"各镇分别有多少名调解员？",
		"How many disputes were mediated in total across all towns?",
		"所有镇一共排查了多少件？", // no metric: read from the reports
	} {
		t.Run(q, func(t *testing.T) {
			want := mustAsk(t, roomy, rag.Question{Text: q})
			got := mustAsk(t, tiny, rag.Question{Text: q})
			if got.Answer != want.Answer || len(got.Citations) != len(want.Citations) {
				t.Errorf("with a 1-byte cache:\n got %q (%d citations)\nwant %q (%d citations)", got.Answer, len(got.Citations), want.Answer, len(want.Citations))
			}
			if want.Found {
				found++
			}
		})
	}
	if found < 2 {
		t.Errorf("%d of the totals found: the test wants questions the seeds answer", found)
	}
	if n := rag.CachedBytes(tiny); n > 1 {
		t.Errorf("a 1-byte cache holds %d bytes", n)
	}
	if n := rag.CachedBytes(roomy); n <= 0 || n > rag.DefaultCacheBytes {
		t.Errorf("the default cache holds %d bytes, want some and at most %d", n, rag.DefaultCacheBytes)
	}
}
