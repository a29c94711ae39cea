package rag

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// EmbedFunc turns a text into a vector. Real embedders (Ollama, any
// OpenAI-compatible server) are adapted to it in cmd/fazhi.
type EmbedFunc func(ctx context.Context, text string) ([]float32, error)

// WithTimeout gives every call of f a deadline of its own, d from its
// start, within the caller's context: an embedding server that accepts
// the connection and never replies ends the call, and the caller, whose
// context is still alive, goes on without the vector (keyword search).
// d <= 0 leaves f as it is.
func (f EmbedFunc) WithTimeout(d time.Duration) EmbedFunc {
	if d <= 0 {
		return f
	}
	return func(ctx context.Context, text string) ([]float32, error) {
		cctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		v, err := f(cctx, text)
		return v, ownDeadline(ctx, cctx, err, "embedder", d)
	}
}

// ownDeadline says plainly that a call ran out of its own time d (not
// the caller's), still wrapping context.DeadlineExceeded.
func ownDeadline(parent, call context.Context, err error, what string, d time.Duration) error {
	if err == nil || parent.Err() != nil || !errors.Is(call.Err(), context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s gave no reply within %s: %w", what, d, context.DeadlineExceeded)
}

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
		Name: fmt.Sprintf("hash-ngram-v2-%d", dim),
		Dim:  dim,
		Embed: func(_ context.Context, text string) ([]float32, error) {
			return hashEmbed(text, dim), nil
		},
	}
}

func hashEmbed(text string, dim int) []float32 {
	v := make([]float32, dim)
	add := func(prefix byte, feature string, w float32) {
		// FNV-1a, inline: no allocation per feature.
		h := uint64(14695981039346656037)
		if prefix != 0 {
			h ^= uint64(prefix)
			h *= 1099511628211
		}
		for i := 0; i < len(feature); i++ {
			h ^= uint64(feature[i])
			h *= 1099511628211
		}
		if h&(1<<63) != 0 {
			w = -w
		}
		v[h%uint64(dim)] += w
	}
	// Han n-grams, as substrings of text: the byte offsets of the last
	// three Han characters of the current run.
	var starts [3]int
	run := 0
	for i, r := range text {
		if !isHan(r) {
			run = 0
			continue
		}
		end := i + utf8.RuneLen(r)
		starts[0], starts[1], starts[2] = starts[1], starts[2], i
		run++
		add(0, text[i:end], 0.3)
		if run >= 2 {
			add(0, text[starts[1]:end], 1)
		}
		if run >= 3 {
			add(0, text[starts[0]:end], 0.5)
		}
	}
	for _, t := range Tokens(text) {
		if r, _ := utf8.DecodeRuneInString(t); !isHan(r) {
			add('w', t, 1)
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
