package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeNested writes a file, creating its folders.
func writeNested(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, data)
}

// docSources lists the sources `fazhi docs --json` shows, with each
// report's town.
func docSources(t *testing.T, data string) map[string]string {
	t.Helper()
	var docs []struct {
		Source string `json:"source"`
		Town   string `json:"town"`
	}
	out := mustRun(t, "docs", "--json", "--data", data)
	if err := json.Unmarshal([]byte(out), &docs); err != nil {
		t.Fatalf("docs --json: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, d := range docs {
		got[d.Source] = d.Town
	}
	return got
}

// Offices keep a folder per town with the same file names: each file is
// a report of its own, stored under its path relative to the folder
// ingested, and answerable.
func TestIngestSameNamesInTownFolders(t *testing.T) {
	offlineEnv(t)
	root := t.TempDir()
	writeNested(t, filepath.Join(root, "青山镇", "2020年工作报告.txt"), townReport(t, "青山", 401))
	writeNested(t, filepath.Join(root, "白石镇", "2020年工作报告.txt"), townReport(t, "白石", 402))
	data := t.TempDir()

	for _, want := range []string{"2 new, 0 replaced, 0 unchanged", "0 new, 0 replaced, 2 unchanged"} {
		out := mustRun(t, "ingest", "--workers", "2", "--data", data, root)
		if !strings.Contains(out, want) || !strings.Contains(out, "0 failed") {
			t.Errorf("ingest: got %q, want %q and 0 failed", out, want)
		}
	}
	got := docSources(t, data)
	want := map[string]string{"青山镇/2020年工作报告.txt": "青山镇", "白石镇/2020年工作报告.txt": "白石镇"}
	if len(got) != len(want) {
		t.Errorf("docs: got %v, want %v", got, want)
	}
	for src, town := range want {
		if got[src] != town {
			t.Errorf("docs: %s has town %q, want %q (listing %v)", src, got[src], town, got)
		}
	}
	for short, figure := range map[string]string{"青山": "401", "白石": "402"} {
		out := mustRun(t, "ask", "--json", "--data", data, disputesQuestion(short))
		var a struct {
			Answer    string `json:"answer"`
			Citations []struct {
				Source string `json:"source"`
			} `json:"citations"`
		}
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatalf("ask --json: %v\n%s", err, out)
		}
		wantSrc := short + "镇/2020年工作报告.txt"
		if !hasNumber(a.Answer, figure) || len(a.Citations) == 0 || a.Citations[0].Source != wantSrc {
			t.Errorf("ask %s: got %q citing %+v, want %s from %s", short, a.Answer, a.Citations, figure, wantSrc)
		}
	}
}

// A store made when sources were bare file names (here: the file named
// on its own) moves the report to its relative path when its folder is
// ingested, instead of calling it a duplicate of itself.
func TestIngestRenamesBareNames(t *testing.T) {
	offlineEnv(t)
	root := t.TempDir()
	qs := filepath.Join(root, "青山镇", "2020年工作报告.txt")
	writeNested(t, qs, townReport(t, "青山", 401))
	writeNested(t, filepath.Join(root, "白石镇", "2020年工作报告.txt"), townReport(t, "白石", 402))
	data := t.TempDir()
	mustRun(t, "ingest", "--data", data, qs)
	if got := docSources(t, data); got["2020年工作报告.txt"] != "青山镇" {
		t.Fatalf("docs after ingesting the file: got %v, want 2020年工作报告.txt of 青山镇", got)
	}
	out := mustRun(t, "ingest", "--data", data, root)
	if !strings.Contains(out, "1 new, 0 replaced, 1 renamed to their relative path, 0 unchanged, 0 failed") {
		t.Errorf("ingest: got %q, want 1 new and 1 renamed", out)
	}
	got := docSources(t, data)
	if len(got) != 2 || got["青山镇/2020年工作报告.txt"] != "青山镇" || got["白石镇/2020年工作报告.txt"] != "白石镇" {
		t.Errorf("docs: got %v, want the two relative paths", got)
	}
}

// Two folders named on one command line that hold the same relative
// path would store two files under one source: the second is refused,
// by name, and the command fails; nothing is replaced.
func TestIngestSourceCollision(t *testing.T) {
	offlineEnv(t)
	a, b := t.TempDir(), t.TempDir()
	writeNested(t, filepath.Join(a, "2020.txt"), townReport(t, "青山", 401))
	writeNested(t, filepath.Join(b, "2020.txt"), townReport(t, "白石", 402))
	data := t.TempDir()
	out, errOut, err := runCLI(t, "ingest", "--data", data, a, b)
	if exitStatus(err) != 1 {
		t.Fatalf("ingest: got exit %d (%v), want 1", exitStatus(err), err)
	}
	if !strings.Contains(out, "1 new, 0 replaced, 0 unchanged, 1 failed") {
		t.Errorf("ingest: got %q, want 1 new and 1 failed", out)
	}
	if !strings.Contains(errOut, filepath.Join(b, "2020.txt")) || !strings.Contains(errOut, `"2020.txt"`) {
		t.Errorf("ingest stderr: got %q, want it to name the refused file and its source", errOut)
	}
	if got := docSources(t, data); len(got) != 1 {
		t.Errorf("docs: got %v, want one report", got)
	}
}

// The same content in two files: the second is a duplicate of the first,
// by name, not a second copy and not a silent "unchanged".
func TestIngestDuplicateContent(t *testing.T) {
	offlineEnv(t)
	root := t.TempDir()
	writeNested(t, filepath.Join(root, "a", "2020.txt"), townReport(t, "青山", 401))
	writeNested(t, filepath.Join(root, "b", "2020.txt"), townReport(t, "青山", 401))
	data := t.TempDir()
	out := mustRun(t, "ingest", "--workers", "1", "--data", data, root)
	if !strings.Contains(out, "1 new, 0 replaced, 0 unchanged, 1 duplicate, 0 failed") || !strings.Contains(out, "same content as a/2020.txt") {
		t.Errorf("ingest: got %q, want b/2020.txt a duplicate of a/2020.txt", out)
	}
}

// TestIngestBatch ingests one folder one report per transaction and in
// batches: the summary, the duplicate found inside a batch, the file
// that fails and the stored reports are the same.
func TestIngestBatch(t *testing.T) {
	offlineEnv(t)
	root := t.TempDir()
	writeNested(t, filepath.Join(root, "a", "2020.txt"), townReport(t, "青山", 401))
	writeNested(t, filepath.Join(root, "b", "2020.txt"), townReport(t, "青山", 401))
	writeNested(t, filepath.Join(root, "c", "2020.txt"), townReport(t, "白水", 402))
	writeNested(t, filepath.Join(root, "d", "broken.docx"), []byte("not a zip"))
	for _, s := range []string{"000_cd4b96a87fea5f69.txt", "003_77ad51e2d2cfaeb9.txt"} {
		b, err := os.ReadFile(filepath.Join(seedDir, s))
		if err != nil {
			t.Fatal(err)
		}
		writeNested(t, filepath.Join(root, "seeds", s), b)
	}
	const want = "ingested 6 files: 4 new, 0 replaced, 0 unchanged, 1 duplicate, 1 failed"
	var docs []map[string]string
	for _, batch := range []string{"1", "64"} {
		t.Run("batch="+batch, func(t *testing.T) {
			data := t.TempDir()
			out, errOut, err := runCLI(t, "ingest", "--workers", "1", "--batch", batch, "--data", data, root)
			if err == nil {
				t.Errorf("ingest with a broken file: no error")
			}
			if !strings.Contains(out, want) || !strings.Contains(out, "same content as a/2020.txt") || !strings.Contains(errOut, "broken.docx") {
				t.Errorf("ingest: got\n%s\n%s\nwant %q, b/2020.txt a duplicate of a/2020.txt and an error naming broken.docx", out, errOut, want)
			}
			docs = append(docs, docSources(t, data))
		})
	}
	if len(docs) == 2 && fmt.Sprint(docs[0]) != fmt.Sprint(docs[1]) {
		t.Errorf("stored reports differ: one per transaction %v, batched %v", docs[0], docs[1])
	}
	if _, _, err := runCLI(t, "ingest", "--batch", "0", "--data", t.TempDir(), root); err == nil || !strings.Contains(err.Error(), "--batch") {
		t.Errorf("ingest --batch 0: got %v, want an error naming --batch", err)
	}
}
