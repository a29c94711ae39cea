package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fazhi/internal/lookalike"
	"fazhi/rag"
)

// BenchmarkIngest ingests 400 look-alike reports and the seeds through
// the CLI's path (2 workers) into a new store per iteration, with one
// report per transaction (the way ingest stored before batching, the
// baseline) and with the default batch. It reports reports/s and the
// process's CPU milliseconds per report.
//
//	go test ./cmd/fazhi -run '^$' -bench Ingest -benchtime 3x
func BenchmarkIngest(b *testing.B) {
	files := benchFiles(b, 400)
	ctx := context.Background()
	for _, batch := range []int{1, defaultIngestBatch} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				eng, st := benchOpen(b)
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

// BenchmarkStoreBatch times the ingest's one writer alone: 1,000
// look-alike reports are prepared once, then each iteration stores them
// into a new store in batches of the default size. It reports reports/s
// and the CPU milliseconds per report of the storing (the serial part of
// an ingest: the workers preparing run two at once).
//
//	go test ./cmd/fazhi -run '^$' -bench StoreBatch -benchtime 3x
func BenchmarkStoreBatch(b *testing.B) {
	files := benchFiles(b, 1000)
	ctx := context.Background()
	eng, st := benchOpen(b)
	var ps []rag.Prepared
	for _, f := range files {
		p, _, done, err := eng.PreparePathAs(ctx, f.path, f.source)
		if err != nil || done {
			b.Fatalf("prepare %s: done %v, %v", f.path, done, err)
		}
		ps = append(ps, p)
	}
	st.Close()
	b.ResetTimer()
	var cpu time.Duration
	var written int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		eng, st := benchOpen(b)
		b.StartTimer()
		start, w0 := processCPU(), bytesWritten()
		for todo := ps; len(todo) > 0; {
			n := min(len(todo), defaultIngestBatch)
			if _, errs := eng.StoreBatch(ctx, todo[:n]); errors.Join(errs...) != nil {
				b.Fatal(errors.Join(errs...))
			}
			todo = todo[n:]
		}
		cpu, written = cpu+processCPU()-start, written+bytesWritten()-w0
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*len(files))/b.Elapsed().Seconds(), "reports/s")
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N*len(files)), "cpu-ms/report")
	if written > 0 {
		b.ReportMetric(float64(written)/1024/float64(b.N*len(files)), "KB-written/report")
	}
}

// benchFiles writes n look-alike reports and the seeds into a temporary
// folder and lists them as an ingest would.
func benchFiles(b *testing.B, n int) []reportFile {
	b.Helper()
	seedPaths, seedTexts, err := readSeeds(seedDir)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "reports")
	gen := lookalike.Generate(seedTexts, n, rand.New(rand.NewPCG(1, 2)))
	if err := writeReports(dir, gen, seedPaths, seedTexts); err != nil {
		b.Fatal(err)
	}
	files, errs := collectFiles([]string{dir})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	return files
}

// benchOpen opens an engine on a new embedded store, as the CLI does
// with default flags.
func benchOpen(b *testing.B) (*rag.Engine, io.Closer) {
	b.Helper()
	var c config
	fs := newFlagSet("bench", io.Discard)
	commonFlags(fs, &c, func(string) string { return "" })
	if _, err := parseArgs(fs, []string{"--data", filepath.Join(b.TempDir(), "data")}); err != nil {
		b.Fatal(err)
	}
	eng, st, err := c.open(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	return eng, st
}

// bytesWritten is how many bytes the process has written to files so far
// (Linux's /proc/self/io), or 0 where that cannot be read.
func bytesWritten() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
