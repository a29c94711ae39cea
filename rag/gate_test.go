package rag_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"fazhi/rag"
)

// countingGate is a rag.Gate that counts its entries and refuses with
// refuse when set.
type countingGate struct {
	mu      sync.Mutex
	entered int
	held    int
	refuse  error
}

func (g *countingGate) Enter(ctx context.Context) (func(), error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refuse != nil {
		return nil, g.refuse
	}
	g.entered++
	g.held++
	return func() {
		g.mu.Lock()
		g.held--
		g.mu.Unlock()
	}, nil
}

func (g *countingGate) counts() (entered, held int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.entered, g.held
}

// TestEngineGate: a total over more reports than a question reads whole
// goes through the gate, and a refusal there is the Ask's error; a
// question about one town never touches the gate.
func TestEngineGate(t *testing.T) {
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	gate := &countingGate{}
	e, err := rag.NewEngine(ctx, mustOpenSQLite(t, t.TempDir(), emb), emb, rag.WithGate(gate))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range seedFiles {
		if _, err := e.IngestPath(ctx, filepath.Join("..", "testdata", "reports", f)); err != nil {
			t.Fatal(err)
		}
	}
	// 渔门镇 2020 (seed 000) under ten more names: eleven 2020 reports.
	for i := range 10 {
		town := fmt.Sprintf("闸%s镇", string(rune('甲'+i)))
		if _, err := e.IngestFile(ctx, fmt.Sprintf("gate-%d.txt", i), lookAlike(t, seedFiles[0], "渔门镇", town, i)); err != nil {
			t.Fatal(err)
		}
	}
	const total = "所有镇一共排查调解矛盾纠纷多少件？"
	const oneTown = "渔门镇2020年共排查、调解各类矛盾纠纷多少件？"

	a := mustAsk(t, e, rag.Question{Text: oneTown})
	if entered, _ := gate.counts(); entered != 0 || !a.Found {
		t.Fatalf("a question about one town: gate entered %d times (found %v), want 0", entered, a.Found)
	}
	a = mustAsk(t, e, rag.Question{Text: total})
	if entered, held := gate.counts(); entered != 1 || held != 0 {
		t.Fatalf("a total over %d reports: gate entered %d times, %d still held after the answer (%q); want 1 and 0", len(seedFiles)+10, entered, held, a.Answer)
	}
	errBusy := errors.New("no slot")
	gate.refuse = errBusy
	if _, err := e.Ask(ctx, rag.Question{Text: total}); !errors.Is(err, errBusy) {
		t.Errorf("a total while the gate refuses: got %v, want the gate's error", err)
	}
	if _, err := e.Ask(ctx, rag.Question{Text: oneTown}); err != nil {
		t.Errorf("a question about one town while the gate refuses: %v", err)
	}
}

// TestEngineGateLLM: every answer through the language model holds one
// gate slot, released when the answer is done; a refusal is the error.
func TestEngineGateLLM(t *testing.T) {
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	_, srv := newFakeOpenAI(t, fixedReply("共368件[1]。"))
	gate := &countingGate{}
	e, err := rag.NewEngine(ctx, mustOpenSQLite(t, t.TempDir(), emb), emb,
		rag.WithGate(gate), rag.WithLLM(&rag.LLMChain{Model: mustOpenAIModel(t, srv)}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.IngestPath(ctx, filepath.Join("..", "testdata", "reports", seedFiles[0])); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Ask(ctx, rag.Question{Text: yumenQuestion}); err != nil {
		t.Fatal(err)
	}
	if entered, held := gate.counts(); entered != 1 || held != 0 {
		t.Errorf("an LLM answer: gate entered %d times, %d still held; want 1 and 0", entered, held)
	}
	errBusy := errors.New("no slot")
	gate.refuse = errBusy
	if _, err := e.Ask(ctx, rag.Question{Text: yumenQuestion}); !errors.Is(err, errBusy) {
		t.Errorf("an LLM answer while the gate refuses: got %v, want the gate's error", err)
	}
}
