package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"fazhi/internal/lookalike"
)

// BenchmarkIngest ingests 400 look-alike reports and the seeds through
// the CLI's path (2 workers) into a new store per iteration, with one
// report per transaction (the way ingest stored before batching, the
// baseline) and with the default batch. It reports reports/s and the
// process's CPU milliseconds per report.
//
//	go test ./cmd/fazhi -run '^$' -bench Ingest -benchtime 3x
func BenchmarkIngest(b *testing.B) {
	seedPaths, seedTexts, err := readSeeds(seedDir)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "reports")
	gen := lookalike.Generate(seedTexts, 400, rand.New(rand.NewPCG(1, 2)))
	if err := writeReports(dir, gen, seedPaths, seedTexts); err != nil {
		b.Fatal(err)
	}
	files, errs := collectFiles([]string{dir})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, batch := range []int{1, defaultIngestBatch} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				var c config
				fs := newFlagSet("bench", io.Discard)
				commonFlags(fs, &c, func(string) string { return "" })
				if _, err := parseArgs(fs, []string{"--data", filepath.Join(b.TempDir(), "data")}); err != nil {
					b.Fatal(err)
				}
				eng, st, err := c.open(ctx, logger)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := processCPU()
				sum := ingestFiles(ctx, eng, files, 2, batch, newProgress(io.Discard, len(files), true), io.Discard)
				cpu += processCPU() - start
				b.StopTimer()
				st.Close()
				if sum.new != len(files) {
					b.Fatalf("stored %d new of %d files (%d failed)", sum.new, len(files), sum.failed)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*len(files))/b.Elapsed().Seconds(), "reports/s")
			// CPU time is what load on a shared machine changes least.
			b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N*len(files)), "cpu-ms/report")
		})
	}
}
