package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBenchCommand runs a tiny bench end to end: look-alikes are made,
// ingested through the CLI's path, asked in process and over HTTP, and
// the figures come out as JSON. It checks counts and accuracy, never
// timings.
func TestBenchCommand(t *testing.T) {
	offlineEnv(t)
	eval := filepath.Join(t.TempDir(), "qa.jsonl")
	lines := []string{
		`{"id":"a","lang":"zh","kind":"number","doc":"000_cd4b96a87fea5f69.txt","question":"渔门镇2020年共排查、调解各类矛盾纠纷多少件？","must":["368"]}`,
		`{"id":"b","lang":"zh","kind":"text","doc":"003_77ad51e2d2cfaeb9.txt","question":"城关镇法治政府建设领导小组组长是谁？","must":["于传安"]}`,
	}
	if err := os.WriteFile(eval, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	out := mustRun(t, "bench", "--reports", "6", "--rounds", "1", "--unscoped=false", "--seeds", seedDir, "--eval", eval, "--data", data, "--json")
	var r benchResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench --json printed %q: %v", out, err)
	}
	if r.Generated != 6 || r.SeedReports != 5 || r.IngestFiles != 11 || r.IngestFailed != 0 || r.Reports != 11 {
		t.Errorf("generated %d, seeds %d, ingested %d (%d failed), stored %d; want 6, 5, 11 (0), 11",
			r.Generated, r.SeedReports, r.IngestFiles, r.IngestFailed, r.Reports)
	}
	if r.Chunks == 0 || r.Dim == 0 || r.ChromemVectors != r.Chunks || r.HeapAllocBytes == 0 {
		t.Errorf("chunks %d, dim %d, chromem vectors %d, heap %d: want all set, chromem as many as chunks", r.Chunks, r.Dim, r.ChromemVectors, r.HeapAllocBytes)
	}
	if r.Questions != 2 || r.Correct != 2 || r.HTTPCorrect != 2 {
		t.Errorf("questions %d, correct %d in process and %d over HTTP; want 2, 2, 2", r.Questions, r.Correct, r.HTTPCorrect)
	}
	if r.Data != data {
		t.Errorf("data %q, want the --data given, %q", r.Data, data)
	}
	if _, err := os.Stat(filepath.Join(data, "fazhi.db")); err != nil {
		t.Errorf("the store in --data is gone: %v", err)
	}
}

func TestBenchCommandTable(t *testing.T) {
	offlineEnv(t)
	eval := filepath.Join(t.TempDir(), "qa.jsonl")
	line := `{"id":"a","lang":"zh","kind":"none","doc":"","question":"渔门镇2020年建了几座桥？","must":[]}` + "\n"
	if err := os.WriteFile(eval, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "bench", "--reports", "1", "--rounds", "1", "--seeds", seedDir, "--eval", eval)
	for _, want := range []string{"ingest", "cold start", "heap after load", "town named, in process", "town named, HTTP", "chromem raw scan",
		"totals, every town", "first call after start", "no town named", "targets", totalQuestions[0], unscopedQuestions[0]} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Every target of issue 15 is marked ok or MISS, with its ratio.
	for _, target := range []string{"totals and rankings p95 <= 1x", "totals and rankings first call <= 3x", "no town named p50 <= 0.5x",
		"town named p50 <= 0.05x", "ingest >= 200 reports/s", "cold start < 1500 ms"} {
		re := regexp.MustCompile(`(?m)^  (ok|MISS) +` + regexp.QuoteMeta(target) + `: [0-9.]+(x| ms)?`)
		if !re.MatchString(out) {
			t.Errorf("targets lack a mark and figure for %q:\n%s", target, out)
		}
	}
}

// TestBenchTotals checks the figures of the questions naming no town:
// each total and ranking across every town timed on its first call and
// over the rounds, with ratios to the raw scan of the same run.
func TestBenchTotals(t *testing.T) {
	offlineEnv(t)
	eval := filepath.Join(t.TempDir(), "qa.jsonl")
	line := `{"id":"a","lang":"zh","kind":"number","doc":"000_cd4b96a87fea5f69.txt","question":"渔门镇2020年共排查、调解各类矛盾纠纷多少件？","must":["368"]}` + "\n"
	if err := os.WriteFile(eval, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "bench", "--reports", "3", "--rounds", "2", "--seeds", seedDir, "--eval", eval, "--json")
	var r benchResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench --json printed %q: %v", out, err)
	}
	for _, set := range []struct {
		name      string
		got       []questionTiming
		questions []string
	}{{"totals", r.Totals, totalQuestions}, {"unscoped", r.Unscoped, unscopedQuestions}} {
		if len(set.got) != len(set.questions) {
			t.Fatalf("%s: got %d timings, want %d", set.name, len(set.got), len(set.questions))
		}
		for i, q := range set.got {
			if q.Question != set.questions[i] || q.FirstMS <= 0 || q.MaxMS <= 0 {
				t.Errorf("%s[%d]: got %+v, want %q with a first and a later time", set.name, i, q, set.questions[i])
			}
		}
	}
	if r.TotalFirstMS != r.Totals[0].FirstMS || r.TotalFirstMaxMS < r.TotalFirstMS {
		t.Errorf("first call after start %v, slowest first call %v; want the first question's first call and at least that", r.TotalFirstMS, r.TotalFirstMaxMS)
	}
	if r.TotalP50MS <= 0 || r.TotalP95MS < r.TotalP50MS || r.UnscopedP50MS <= 0 || r.UnscopedP95MS < r.UnscopedP50MS {
		t.Errorf("totals p50 %v p95 %v, unscoped p50 %v p95 %v: want positive, p95 >= p50", r.TotalP50MS, r.TotalP95MS, r.UnscopedP50MS, r.UnscopedP95MS)
	}
	c := r.ChromemP50MS
	if c <= 0 {
		t.Fatalf("no raw scan time: %+v", r)
	}
	for _, rt := range []struct {
		name      string
		got, want float64
	}{
		{"total p95", r.TotalP95Ratio, r.TotalP95MS / c},
		{"total first", r.TotalFirstRatio, r.TotalFirstMaxMS / c},
		{"unscoped p50", r.UnscopedRatio, r.UnscopedP50MS / c},
		{"town p50", r.HTTPRatio, r.HTTPP50MS / c},
	} {
		if rt.got != rt.want || rt.got <= 0 {
			t.Errorf("%s ratio: got %v, want %v (ms / raw scan p50)", rt.name, rt.got, rt.want)
		}
	}
}

func TestBenchRejects(t *testing.T) {
	offlineEnv(t)
	tests := []struct {
		name string
		args []string
	}{
		{"store", []string{"bench", "--store", "postgres://x@localhost/db"}},
		{"rounds", []string{"bench", "--rounds", "0"}},
		{"batch", []string{"bench", "--batch", "0"}},
		{"negative reports", []string{"bench", "--reports", "-1"}},
		{"argument", []string{"bench", "extra"}},
		{"no seeds", []string{"bench", "--seeds", t.TempDir(), "--eval", filepath.Join("..", "..", "testdata", "eval", "fazhi-qa.jsonl")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := runCLI(t, tc.args...); err == nil {
				t.Errorf("fazhi %s: no error", strings.Join(tc.args, " "))
			}
		})
	}
}

func TestPercentileMS(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	lat := []time.Duration{ms(5), ms(1), ms(3), ms(2), ms(4)}
	tests := []struct {
		p    float64
		want float64
	}{{0.5, 3}, {0.95, 5}, {1, 5}, {0, 1}}
	for _, tc := range tests {
		if got := percentileMS(lat, tc.p); got != tc.want {
			t.Errorf("percentileMS(p=%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentileMS(nil, 0.5); got != 0 {
		t.Errorf("percentileMS(nil) = %v, want 0", got)
	}
}

func TestReportsForChunks(t *testing.T) {
	seeds := []string{strings.Repeat("第一句话。", 400), strings.Repeat("第二句话。", 400)}
	if got := reportsForChunks(seeds, 0); got != 0 {
		t.Errorf("reportsForChunks(target 0) = %d, want 0", got)
	}
	if a, b := reportsForChunks(seeds, 1000), reportsForChunks(seeds, 2000); b <= a || a <= 0 {
		t.Errorf("reportsForChunks gives %d for 1000 chunks and %d for 2000: want positive and growing", a, b)
	}
}
