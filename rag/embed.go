package rag

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"unicode"
)

// EmbedFunc turns a text into a vector. Real embedders (Ollama, any
// OpenAI-compatible server) are adapted to it in cmd/fazhi.
type EmbedFunc func(ctx context.Context, text string) ([]float32, error)

// Embedder names an embedding function and its dimension. The store
// records Name and Dim; opening it with another embedder is an error.
type Embedder struct {
	Name  string
	Dim   int
	Embed EmbedFunc
}

// DefaultDim is the dimension of the default hashing embedder, chosen by
// the retrieval benchmark: past 512 recall on look-alike reports does not
// improve, and scan cost grows linearly.
const DefaultDim = 512

// HashEmbedder returns the default embedder: feature-hashed character
// n-grams (Han unigrams, bigrams and trigrams; Latin words; numbers),
// signed, L2-normalised. It needs no network and no model file.
func HashEmbedder(dim int) Embedder {
	if dim <= 0 {
		dim = DefaultDim
	}
	return Embedder{
		Name: fmt.Sprintf("hash-ngram-v1-%d", dim),
		Dim:  dim,
		Embed: func(_ context.Context, text string) ([]float32, error) {
			return hashEmbed(text, dim), nil
		},
	}
}

func hashEmbed(text string, dim int) []float32 {
	v := make([]float32, dim)
	add := func(feature string, w float32) {
		h := fnv.New64a()
		h.Write([]byte(feature))
		x := h.Sum64()
		idx := int(x % uint64(dim))
		if x&(1<<63) != 0 {
			w = -w
		}
		v[idx] += w
	}
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if !unicode.Is(unicode.Han, r) {
			continue
		}
		add(string(r), 0.3)
		if i+1 < len(rs) && unicode.Is(unicode.Han, rs[i+1]) {
			add(string(rs[i:i+2]), 1)
			if i+2 < len(rs) && unicode.Is(unicode.Han, rs[i+2]) {
				add(string(rs[i:i+3]), 0.5)
			}
		}
	}
	for _, t := range Tokens(text) {
		if r := []rune(t); len(r) > 0 && !unicode.Is(unicode.Han, r[0]) {
			add("w:"+t, 1)
		}
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i] *= inv
	}
	return v
}
