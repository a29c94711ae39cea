package ingest_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"fazhi/ingest"
)

// Benchmarks of the per-report CPU of ingestion, on the seed reports:
//
//	go test ./ingest -run '^$' -bench . -benchmem

// benchSeeds reads the raw seed reports and their cleaned text.
func benchSeeds(b *testing.B) (raw, clean []string, bytes int64) {
	b.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "reports", "*.txt"))
	if err != nil || len(paths) == 0 {
		b.Fatalf("no seed reports: %v", err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		raw = append(raw, string(data))
		clean = append(clean, ingest.Clean(string(data)))
		bytes += int64(len(data))
	}
	return raw, clean, bytes / int64(len(paths))
}

// BenchmarkPrepare is everything ingest does to one report before it is
// embedded and stored: Clean, DetectMeta, ChunkText, and ExtractFacts on
// every distinct sentence of the chunks (as the engine does).
func BenchmarkPrepare(b *testing.B) {
	raw, _, bytes := benchSeeds(b)
	opt := ingest.DefaultChunkOptions()
	b.SetBytes(bytes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		text := ingest.Clean(raw[i%len(raw)])
		m := ingest.DetectMeta(text)
		if m.Town == "" {
			b.Fatal("no town detected")
		}
		chunks := ingest.ChunkText(text, opt)
		seen := map[string]bool{}
		for _, c := range chunks {
			for _, s := range ingest.Sentences(c.Text) {
				if !seen[s] {
					seen[s] = true
					ingest.ExtractFacts(s)
				}
			}
		}
	}
}

// BenchmarkPrepareStages times each stage of BenchmarkPrepare alone.
func BenchmarkPrepareStages(b *testing.B) {
	raw, clean, bytes := benchSeeds(b)
	var sentences [][]string
	for _, t := range clean {
		sentences = append(sentences, ingest.Sentences(t))
	}
	stages := []struct {
		name string
		run  func(k int)
	}{
		{"Clean", func(k int) { ingest.Clean(raw[k]) }},
		{"DetectMeta", func(k int) { ingest.DetectMeta(clean[k]) }},
		{"ChunkText", func(k int) { ingest.ChunkText(clean[k], ingest.DefaultChunkOptions()) }},
		{"Sentences", func(k int) { ingest.Sentences(clean[k]) }},
		{"ExtractFacts", func(k int) {
			for _, s := range sentences[k] {
				ingest.ExtractFacts(s)
			}
		}},
	}
	for _, st := range stages {
		b.Run(st.name, func(b *testing.B) {
			b.SetBytes(bytes)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				st.run(i % len(raw))
			}
		})
	}
}
