package main

import (
	"context"

	"fazhi/pgstore"
	"fazhi/rag"
)

// openPostgres opens the scale-out store: PostgreSQL with pgvector at url.
func openPostgres(ctx context.Context, url string, emb rag.Embedder) (rag.Store, error) {
	s, err := pgstore.Open(ctx, url, emb)
	if err != nil {
		return nil, err
	}
	return s, nil
}
