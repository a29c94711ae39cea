package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedDir holds the five seed reports.
var seedDir = filepath.Join("..", "..", "testdata", "reports")

// offlineEnv clears the environment variables that would point the
// commands at a model server or another store.
func offlineEnv(tb testing.TB) {
	tb.Helper()
	for _, k := range []string{"FAZHI_DATA", "FAZHI_STORE", "FAZHI_EMBEDDER", "FAZHI_EMBED_URL", "FAZHI_LLM", "FAZHI_LLM_URL", "FAZHI_LLM_API_KEY", "FAZHI_EMBED_API_KEY"} {
		tb.Setenv(k, "")
	}
}

// runCLI runs the program with args and returns what it printed.
func runCLI(tb testing.TB, args ...string) (stdout, stderr string, err error) {
	tb.Helper()
	var out, errw bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(""), &out, &errw)
	return out.String(), errw.String(), err
}

// mustRun runs the program and fails the test when it returns an error.
func mustRun(tb testing.TB, args ...string) string {
	tb.Helper()
	out, errOut, err := runCLI(tb, args...)
	if err != nil {
		tb.Fatalf("fazhi %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// ingestedData returns a data directory holding the seed reports.
func ingestedData(tb testing.TB) string {
	tb.Helper()
	offlineEnv(tb)
	data := tb.TempDir()
	mustRun(tb, "ingest", "--data", data, seedDir)
	return data
}

// exitStatus returns the exit status run's error asks for (0 for nil,
// 2 for a plain error, as main does).
func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	var ec exitCode
	if errors.As(err, &ec) {
		return int(ec)
	}
	return 2
}

func TestIngestCommand(t *testing.T) {
	offlineEnv(t)
	data := t.TempDir()
	for _, want := range []string{"5 new", "5 unchanged"} {
		out := mustRun(t, "ingest", "--data", data, seedDir)
		if !strings.Contains(out, "ingested 5 files: ") || !strings.Contains(out, want) {
			t.Errorf("ingest: got %q, want a summary line with %q", out, want)
		}
		if !strings.Contains(out, "0 failed") {
			t.Errorf("ingest: got %q, want 0 failed", out)
		}
	}
	// A flag after the path works too.
	out := mustRun(t, "ingest", seedDir, "--data", data, "--quiet")
	if !strings.Contains(out, "5 unchanged") || strings.Contains(out, "拾万镇") {
		t.Errorf("ingest --quiet: got %q, want only the summary", out)
	}
}

func TestDocsCommand(t *testing.T) {
	data := ingestedData(t)
	out := mustRun(t, "docs", "--json", "--data", data)
	var docs []map[string]any
	if err := json.Unmarshal([]byte(out), &docs); err != nil {
		t.Fatalf("docs --json: %v\n%s", err, out)
	}
	if len(docs) != 5 {
		t.Fatalf("docs --json: got %d objects, want 5", len(docs))
	}
	bySource := map[string]map[string]any{}
	for i, d := range docs {
		for _, k := range []string{"source", "title", "town", "county", "year", "date", "doc_number", "chunks"} {
			if _, ok := d[k]; !ok {
				t.Errorf("docs --json object %d lacks field %q: %v", i, k, d)
			}
		}
		if n, _ := d["chunks"].(float64); n <= 0 {
			t.Errorf("docs --json object %d: got chunks %v, want > 0", i, d["chunks"])
		}
		src, _ := d["source"].(string)
		bySource[src] = d
	}
	want := map[string]any{"town": "城关镇", "county": "濮阳县", "year": 2020.0, "date": "2021-02-05", "doc_number": "濮镇字〔2021〕8号"}
	got := bySource["003_77ad51e2d2cfaeb9.txt"]
	for k, w := range want {
		if got[k] != w {
			t.Errorf("docs --json 003 %s: got %v, want %v", k, got[k], w)
		}
	}
	// The table lists every report.
	table := mustRun(t, "docs", "--data", data)
	for src := range bySource {
		if !strings.Contains(table, src) {
			t.Errorf("docs: table lacks %s:\n%s", src, table)
		}
	}
}

func TestDocsEmptyStore(t *testing.T) {
	offlineEnv(t)
	out := mustRun(t, "docs", "--json", "--data", t.TempDir())
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("docs --json on an empty store: got %q, want []", out)
	}
}

func TestAskCommand(t *testing.T) {
	data := ingestedData(t)
	out := mustRun(t, "ask", "--json", "--data", data, "How many disputes did Yumen mediate in 2020?")
	var a struct {
		Answer    string `json:"answer"`
		Found     bool   `json:"found"`
		Citations []struct {
			Source string `json:"source"`
			Quote  string `json:"quote"`
		} `json:"citations"`
		Mode string `json:"mode"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("ask --json: %v\n%s", err, out)
	}
	if !a.Found || !strings.Contains(a.Answer, "368") {
		t.Errorf("ask --json: got found %v, answer %q, want found and 368", a.Found, a.Answer)
	}
	if len(a.Citations) == 0 || a.Citations[0].Source != "000_cd4b96a87fea5f69.txt" || a.Citations[0].Quote == "" {
		t.Errorf("ask --json: got citations %+v, want 000_cd4b96a87fea5f69.txt first", a.Citations)
	}
	// A comparison carries its table: each town's figure with its source.
	var cmp struct {
		Table struct {
			Rows []struct {
				Place  string  `json:"place"`
				Value  float64 `json:"value"`
				Source string  `json:"source"`
			} `json:"rows"`
			Missing []struct {
				Place string `json:"place"`
			} `json:"missing"`
		} `json:"table"`
	}
	out = mustRun(t, "ask", "--json", "--data", data, "2021年各镇调处矛盾纠纷数量分别是多少？")
	if err := json.Unmarshal([]byte(out), &cmp); err != nil {
		t.Fatalf("ask --json: %v\n%s", err, out)
	}
	if r := cmp.Table.Rows; len(r) != 2 || r[0].Place != "大钟庄镇" || r[0].Value != 68 || r[0].Source != "001_7e465fa291371142.txt" ||
		r[1].Place != "拾万镇" || r[1].Value != 53 || r[1].Source != "004_40507ad071df1468.txt" || len(cmp.Table.Missing) != 1 {
		t.Errorf("ask --json table = %+v, want 大钟庄镇 68 and 拾万镇 53 with their sources, 泉掌镇 missing", cmp.Table)
	}
	// Plain output is the answer text; the question may come before the flags.
	plain := mustRun(t, "ask", "城关镇全镇调解员有多少人？", "--data", data)
	if !strings.Contains(plain, "132") {
		t.Errorf("ask: got %q, want 132", plain)
	}
}

func TestFactsCommand(t *testing.T) {
	data := ingestedData(t)
	t.Run("csv", func(t *testing.T) {
		out := mustRun(t, "facts", "--csv", "--data", data)
		if !strings.HasPrefix(out, "\ufeff") {
			t.Fatalf("facts --csv: got %.20q, want a UTF-8 BOM first", out)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatalf("facts --csv: %v", err)
		}
		if len(rows) < 2 {
			t.Fatalf("facts --csv: got %d rows, want a header and facts", len(rows))
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for _, h := range []string{"town", "value", "source", "quote"} {
			if _, ok := col[h]; !ok {
				t.Fatalf("facts --csv: header %v lacks %q", rows[0], h)
			}
		}
		found := false
		for _, r := range rows[1:] {
			if len(r) != len(rows[0]) {
				t.Errorf("facts --csv: row has %d fields, header %d", len(r), len(rows[0]))
				continue
			}
			found = found || (r[col["town"]] == "拾万镇" && r[col["value"]] == "2730")
		}
		if !found {
			t.Errorf("facts --csv: no row with town 拾万镇 and value 2730")
		}
	})
	t.Run("json town", func(t *testing.T) {
		for _, town := range []string{"渔门镇", "渔门"} {
			out := mustRun(t, "facts", "--json", "--town", town, "--data", data)
			var facts []map[string]any
			if err := json.Unmarshal([]byte(out), &facts); err != nil {
				t.Fatalf("facts --json: %v", err)
			}
			if len(facts) == 0 {
				t.Errorf("facts --json --town %s: got no rows", town)
			}
			for _, f := range facts {
				if f["town"] != "渔门镇" {
					t.Errorf("facts --json --town %s: got row of %v", town, f["town"])
				}
			}
		}
	})
	t.Run("formats exclude each other", func(t *testing.T) {
		for _, pair := range [][2]string{{"--json", "--csv"}, {"--csv", "--xlsx"}, {"--json", "--xlsx"}} {
			if _, _, err := runCLI(t, "facts", pair[0], pair[1], "--data", data); err == nil || !strings.Contains(err.Error(), "exclude each other") {
				t.Errorf("facts %s %s: got %v, want an error saying they exclude each other", pair[0], pair[1], err)
			}
		}
	})
}

// truncatedDocx returns the first 200 bytes of a .docx fixture, or of a
// zip archive when no fixture is present.
func truncatedDocx(tb testing.TB) []byte {
	tb.Helper()
	if b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "formats", "000_cd4b96a87fea5f69.docx")); err == nil && len(b) > 200 {
		return b[:200]
	}
	return append([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), make([]byte, 190)...)
}

func writeFile(tb testing.TB, path string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func TestIngestBadFiles(t *testing.T) {
	offlineEnv(t)
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(seedDir, "004_40507ad071df1468.txt"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "good.txt"), good)
	rnd := make([]byte, 2048)
	for i := range rnd {
		rnd[i] = byte(i*197 + i/5 + 3)
	}
	bad := map[string][]byte{
		"cut.docx":   truncatedDocx(t),
		"random.pdf": rnd,
		"empty.txt":  nil,
	}
	for name, b := range bad {
		writeFile(t, filepath.Join(dir, name), b)
	}
	data := t.TempDir()
	out, errOut, err := runCLI(t, "ingest", "--data", data, dir)
	if got := exitStatus(err); got != 1 {
		t.Errorf("ingest: got exit status %d (%v), want 1", got, err)
	}
	if !strings.Contains(out, "1 new") || !strings.Contains(out, "3 failed") {
		t.Errorf("ingest: got summary %q, want 1 new and 3 failed", out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	for name := range bad {
		n := 0
		for _, l := range lines {
			if strings.Contains(l, name) {
				n++
				if !strings.HasPrefix(l, "error:") {
					t.Errorf("stderr line for %s: got %q, want it to start with error:", name, l)
				}
			}
		}
		if n != 1 {
			t.Errorf("stderr: got %d lines naming %s, want 1:\n%s", n, name, errOut)
		}
	}
	if strings.Contains(errOut, "good.txt") {
		t.Errorf("stderr names the good file:\n%s", errOut)
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "docs", "--json", "--data", data)), &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0]["source"] != "good.txt" || docs[0]["town"] != "拾万镇" {
		t.Errorf("docs after a partly failed ingest: got %v, want only good.txt of 拾万镇", docs)
	}
}

func TestIngestErrors(t *testing.T) {
	offlineEnv(t)
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.xyz")
	writeFile(t, notes, []byte("渔门镇2020年度法治政府建设工作报告"))
	tests := []struct {
		name   string
		args   []string
		status int
		says   string // stderr or the error names this
	}{
		{"unknown extension", []string{"ingest", notes}, 1, "notes.xyz"},
		{"missing path", []string{"ingest", filepath.Join(dir, "absent.txt")}, 1, "absent.txt"},
		{"no path", []string{"ingest"}, 2, "no PATH"},
		{"unknown command", []string{"frobnicate"}, 2, "frobnicate"},
		{"ask without a question", []string{"ask"}, 2, "no QUESTION"},
		{"eval without a file", []string{"eval"}, 2, "eval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args[:1:1], append([]string{"--data", t.TempDir()}, tt.args[1:]...)...)
			if tt.name == "unknown command" {
				args = tt.args
			}
			_, errOut, err := runCLI(t, args...)
			if got := exitStatus(err); got != tt.status {
				t.Errorf("got exit status %d (%v), want %d", got, err, tt.status)
			}
			msg := errOut
			if err != nil {
				msg += err.Error()
			}
			if !strings.Contains(msg, tt.says) {
				t.Errorf("got error %v and stderr %q, want them to name %q", err, errOut, tt.says)
			}
		})
	}
}

func TestEvalCommand(t *testing.T) {
	data := ingestedData(t)
	file := filepath.Join("..", "..", "testdata", "eval", "seed-qa.jsonl")
	out := mustRun(t, "eval", "--data", data, file)
	for _, want := range []string{"overall", "citations", "abstention"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval: output lacks %q:\n%s", want, out)
		}
	}
	out, _, err := runCLI(t, "eval", "--min", "1.01", "--data", data, file)
	if got := exitStatus(err); got != 1 {
		t.Errorf("eval --min 1.01: got exit status %d (%v), want 1", got, err)
	}
	if !strings.Contains(out, "below --min") {
		t.Errorf("eval --min 1.01: output does not say the accuracy is below the minimum:\n%s", out)
	}
	// A malformed file is an error naming the line.
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	writeFile(t, bad, []byte(`{"id":"x","question":"渔门镇？","kind":"number","must":["1"]}`+"\n{not json\n"))
	if _, _, err := runCLI(t, "eval", "--data", data, bad); err == nil || !strings.Contains(err.Error(), "bad.jsonl:2") {
		t.Errorf("eval of a malformed file: got %v, want an error naming bad.jsonl:2", err)
	}
}

func TestHelp(t *testing.T) {
	offlineEnv(t)
	for _, args := range [][]string{nil, {"help"}, {"-h"}} {
		out, _, err := runCLI(t, args...)
		if err != nil || !strings.Contains(out, "fazhi ingest") {
			t.Errorf("fazhi %v: got %v, %q, want the usage", args, err, out)
		}
	}
}
