// Package messengertest gives the messenger adapters' tests a real engine:
// the offline engine over the five seed reports built into the binary, so
// that a test asks "渔门镇2020年调解了多少矛盾纠纷？" and gets the figure the
// report states, not one the test wrote.
package messengertest

import (
	"context"
	"io/fs"
	"testing"

	"fazhi"
	"fazhi/rag"
	"fazhi/sqlitestore"
)

// SeedEngine returns the offline engine over a new embedded store in a
// temporary directory holding the seed reports. The store closes when the
// test ends.
func SeedEngine(tb testing.TB) *rag.Engine {
	tb.Helper()
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	st, err := sqlitestore.Open(ctx, tb.TempDir(), emb)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	eng, err := rag.NewEngine(ctx, st, emb)
	if err != nil {
		tb.Fatalf("NewEngine: %v", err)
	}
	entries, err := fs.ReadDir(fazhi.Samples, "testdata/reports")
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(fazhi.Samples, "testdata/reports/"+e.Name())
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := eng.IngestFile(ctx, e.Name(), data); err != nil {
			tb.Fatalf("ingest %s: %v", e.Name(), err)
		}
	}
	return eng
}
