package sqlitestore

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/philippgille/chromem-go"

	"fazhi/internal/lookalike"
)

// BenchmarkUnscopedVector compares, on the same 100,000 random vectors of
// dimension 512, a raw chromem-go full scan (what the store used before,
// and the yardstick of fazhi bench) with the store's vector index: every
// row (a question naming no town) and one year of ten (the filter
// applied before scoring). k is 24, as the engine asks.
func BenchmarkUnscopedVector(b *testing.B) {
	const n, dim, k, years = 100_000, 512, 24, 10
	rng := rand.New(rand.NewPCG(1, 2))
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = lookalike.UnitVector(rng, dim)
	}
	queries := make([][]float32, 16)
	for i := range queries {
		queries[i] = lookalike.UnitVector(rng, dim)
	}

	b.Run("chromem-raw-scan", func(b *testing.B) {
		col, err := chromem.NewDB().CreateCollection("bench", nil, func(context.Context, string) ([]float32, error) {
			return nil, errors.New("vectors are given")
		})
		if err != nil {
			b.Fatal(err)
		}
		for i, v := range vecs {
			if err := col.AddDocument(context.Background(), chromem.Document{ID: strconv.Itoa(i), Embedding: v}); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if _, err := col.QueryEmbedding(context.Background(), queries[i%len(queries)], k, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})

	x := newVectorIndex(dim)
	// Reports of 20 chunks, one year each, as the store files them.
	blk := &vecBlock{ids: make([]int64, n), data: make([]float32, 0, n*dim)}
	rep := make([]string, n)
	meta := map[string]vecReport{}
	for i, v := range vecs {
		blk.ids[i] = int64(i + 1)
		blk.data = append(blk.data, v...)
		id := "r" + strconv.Itoa(i/20)
		rep[i] = id
		meta[id] = vecReport{town: "t" + strconv.Itoa(i/20), year: 2015 + (i/20)%years}
	}
	x.add([]*vecBlock{blk}, [][]string{rep}, meta)
	b.Run("index-every-row", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if got := x.search(queries[i%len(queries)], nil, 0, k); len(got) != k {
				b.Fatalf("got %d hits, want %d", len(got), k)
			}
		}
	})
	b.Run("index-one-year", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if got := x.search(queries[i%len(queries)], nil, 2020, k); len(got) != k {
				b.Fatalf("got %d hits, want %d", len(got), k)
			}
		}
	})
}
