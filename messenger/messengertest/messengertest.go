// Package messengertest gives the messenger adapters' tests a real engine:
// the offline engine over the five seed reports built into the binary, so
// that a test asks "渔门镇2020年调解了多少矛盾纠纷？" and gets the figure the
// report states, not one the test wrote.
package messengertest

import (
	"bytes"
	"context"
	"io/fs"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

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

// HasFigure reports whether text states the number n on its own, not as
// part of a longer number: "368件" has 368, "1368" and "36.8" do not.
func HasFigure(text, n string) bool {
	return regexp.MustCompile(`(^|[^0-9.])` + regexp.QuoteMeta(n) + `($|[^0-9])`).MatchString(text)
}

// LogBuffer is a log sink a test reads while workers write to it.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// WaitFor waits until the log contains want, for at most bound, and
// reports whether it does.
func (l *LogBuffer) WaitFor(want string, bound time.Duration) bool {
	deadline := time.Now().Add(bound)
	for !strings.Contains(l.String(), want) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
