package rag_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"

	"fazhi/eval"
	"fazhi/rag"
)

// The development sets the answer models are fitted on, and the reports
// they ask about.
var (
	fitReportDirs = []string{"reports", "real/docs", "heldout/reports", "heldout2/reports", "heldout3/reports", "heldout4/reports"}
	fitCaseFiles  = []string{"eval/seed-qa.jsonl", "eval/fazhi-qa.jsonl", "eval/english-blind.jsonl", "heldout/qa.jsonl", "heldout2/qa.jsonl", "heldout3/qa.jsonl", "heldout4/qa.jsonl", "real/qa.jsonl"}
)

// fitRows builds one store of every development report and collects the
// candidates of every development question, once per test binary.
var fitRows = sync.OnceValues(func() ([]rag.Row, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "fazhi-fit")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	emb := rag.HashEmbedder(rag.DefaultDim)
	st, err := sqlitestoreOpen(ctx, dir, emb)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	e, err := rag.NewEngine(ctx, st, emb)
	if err != nil {
		return nil, err
	}
	for _, d := range fitReportDirs {
		files, err := filepath.Glob(filepath.Join("..", "testdata", d, "*"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if _, err := e.IngestPath(ctx, f); err != nil {
				return nil, fmt.Errorf("ingest %s: %w", f, err)
			}
		}
	}
	var rows []rag.Row
	for _, f := range fitCaseFiles {
		cases, err := eval.ReadFile(filepath.Join("..", "testdata", f))
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			rs, err := e.TrainingRows(ctx, f+":"+c.ID, c.Question, c.Doc, c.Must)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", f, c.ID, err)
			}
			rows = append(rows, rs...)
		}
	}
	return rows, nil
})

func rowsOf(rows []rag.Row, model string) []rag.Row {
	var out []rag.Row
	for _, r := range rows {
		if r.Model == model {
			out = append(out, r)
		}
	}
	return out
}

// TestFitWeights fits the figure and sentence models on the development
// sets and checks that weights.json is exactly that fit: the weights are
// data, made by this test, never edited by hand. With -update it writes
// weights.json, and testdata/fit.txt with the fitted and the
// leave-one-report-out scores.
func TestFitWeights(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests every development report")
	}
	rows, err := fitRows()
	if err != nil {
		t.Fatal(err)
	}
	figRows, sentRows := rowsOf(rows, "figure"), rowsOf(rows, "sentence")
	fig := rag.Fit(rag.FigureFeatures, figRows)
	sent := rag.Fit(rag.SentenceFeatures, sentRows)
	if updatingGolden() {
		b, err := rag.EncodeModels(fig, sent)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("weights.json", b, 0o644); err != nil {
			t.Fatal(err)
		}
		var rep bytes.Buffer
		fmt.Fprintf(&rep, "# Answer models fitted on the development sets (go test ./rag -run TestFitWeights -update)\n")
		for _, m := range []struct {
			name string
			fit  rag.Fitted
			rows []rag.Row
			nf   []string
		}{{"figure", fig, figRows, rag.FigureFeatures}, {"sentence", sent, sentRows, rag.SentenceFeatures}} {
			r, n := rag.Score(&m.fit, m.rows)
			lr, ln := leaveOneReportOut(m.nf, m.rows, m.fit.Weights)
			fmt.Fprintf(&rep, "%-8s  %6d candidates  %4d questions  fitted %d/%d (%.1f%%)  leave-one-report-out %d/%d (%.1f%%)  threshold %.3f\n",
				m.name, len(m.rows), n, r, n, 100*float64(r)/float64(n), lr, ln, 100*float64(lr)/float64(ln), m.fit.Threshold)
		}
		if err := os.WriteFile(filepath.Join("testdata", "fit.txt"), rep.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("\n%s", rep.String())
		return
	}
	wantFig, wantSent := rag.EmbeddedModels()
	if !sameModel(fig, wantFig) || !sameModel(sent, wantSent) {
		t.Errorf("weights.json is not the fit of today's features and development sets: run go test ./rag -run TestFitWeights -update\ngot figure %+v\nwant %+v\ngot sentence %+v\nwant %+v", fig, wantFig, sent, wantSent)
	}
}

// leaveOneReportOut fits a model once per report, without the questions
// about that report, and scores it on them: what the model does on a
// report it has not seen.
func leaveOneReportOut(names []string, rows []rag.Row, w0 []float64) (right, total int) {
	folds := map[string][]rag.Row{}
	for _, r := range rows {
		folds[r.Fold] = append(folds[r.Fold], r)
	}
	keys := make([]string, 0, len(folds))
	for k := range folds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var train []rag.Row
		for _, r := range rows {
			if r.Fold != k {
				train = append(train, r)
			}
		}
		m := rag.FitFrom(names, train, w0)
		r, n := rag.Score(&m, folds[k])
		right += r
		total += n
	}
	return right, total
}

// sameModel compares two fits to the precision weights.json keeps (rows
// summed in another order differ in the last bits).
func sameModel(a, b rag.Fitted) bool {
	close := func(x, y float64) bool { return math.Abs(x-y) <= 1e-4*max(1, math.Abs(x), math.Abs(y)) }
	if !slices.Equal(a.Features, b.Features) || len(a.Weights) != len(b.Weights) || !close(a.Bias, b.Bias) || !close(a.Threshold, b.Threshold) {
		return false
	}
	for i := range a.Weights {
		if !close(a.Weights[i], b.Weights[i]) {
			return false
		}
	}
	return true
}
