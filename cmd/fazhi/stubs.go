package main

import (
	"context"
	"fmt"
	"io"

	"fazhi/rag"
)

// openPostgres is replaced by the pgstore wiring.
func openPostgres(ctx context.Context, url string, emb rag.Embedder) (rag.Store, error) {
	return nil, fmt.Errorf("--store: PostgreSQL support is not built yet")
}

func runBench(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	return fmt.Errorf("bench: not built yet")
}
