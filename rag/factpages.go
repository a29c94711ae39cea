package rag

import (
	"context"

	"fazhi/ingest"
)

// Paging of fact listings (GET /v1/facts, fazhi facts).
const (
	// DefaultFactsLimit is how many facts one page holds unless asked.
	DefaultFactsLimit = 1000
	// MaxFactsLimit is the largest page that may be asked for.
	MaxFactsLimit = 10_000
)

// EachFactsPage calls fn with every fact matching f from f.Offset on, a
// page of at most pageSize at a time, in the listing's order: exports
// stream any number of facts without holding them all. f.Limit is
// ignored.
func EachFactsPage(ctx context.Context, list func(context.Context, FactFilter) ([]ingest.Fact, error), f FactFilter, pageSize int, fn func([]ingest.Fact) error) error {
	if pageSize <= 0 {
		pageSize = MaxFactsLimit
	}
	f.Limit, f.Offset = pageSize, max(f.Offset, 0)
	for {
		page, err := list(ctx, f)
		if err != nil {
			return err
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		f.Offset += len(page)
	}
}
