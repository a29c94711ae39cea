package rag

import (
	"context"
	"strings"

	"github.com/tmc/langchaingo/schema"
)

// Retriever returns the Engine's hybrid retrieval as a langchaingo
// schema.Retriever: BM25 and vector search fused, hard-filtered by the
// towns and year the query names.
func (e *Engine) Retriever() schema.Retriever { return engineRetriever{e: e, k: 8} }

type engineRetriever struct {
	e *Engine
	k int
}

// GetRelevantDocuments implements schema.Retriever.
func (r engineRetriever) GetRelevantDocuments(ctx context.Context, query string) ([]schema.Document, error) {
	c, err := r.e.catalog(ctx)
	if err != nil {
		return nil, err
	}
	q := analyse(query, c.towns, r.e.gloss)
	if q.UnknownTown != "" {
		return nil, nil // no stored report is about that place
	}
	hits, err := r.e.retrieve(ctx, q, r.k)
	if err != nil {
		return nil, err
	}
	docs := make([]schema.Document, 0, len(hits)+2)
	// What the extractive answerer would quote goes first: the stated
	// figure or passage the model most needs, with its metadata.
	var quotes []string
	if a, err := r.e.extractive(ctx, Question{Text: query}); err == nil && a.Found {
		for _, c := range a.Citations {
			if len(docs) >= 3 {
				break
			}
			quotes = append(quotes, c.Quote)
			docs = append(docs, schema.Document{
				PageContent: c.Quote,
				Score:       1,
				Metadata: map[string]any{
					"source": c.Source, "title": c.Title, "town": c.Town, "year": c.Year,
					"section": c.Section, "chunk": -1,
				},
			})
		}
	}
	for _, h := range hits {
		dup := false
		for _, qt := range quotes {
			if strings.Contains(h.Text, qt) {
				dup = true
			}
		}
		if dup {
			continue
		}
		docs = append(docs, schema.Document{
			PageContent: h.Text,
			Score:       float32(h.Score),
			Metadata: map[string]any{
				"source": h.Source, "title": h.Title, "town": h.Town, "year": h.Year,
				"section": h.Section, "chunk": int(h.ChunkID),
			},
		})
	}
	return docs, nil
}
