package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fazhi/ingest"
	"fazhi/rag"
	"fazhi/sqlitestore"
)

// lookAlikeReports writes n distinct reports modelled on seed 000 into
// dir: each names its own town (two Han characters from a pool, then 镇)
// and states its own figures. It returns the expected chunk count of
// each file by name.
func lookAlikeReports(t *testing.T, dir string, n int) map[string]int {
	t.Helper()
	const first, second = "青白金石云龙松柳桃梅兰竹菊荷杏桂枫樟榆槐", "山水河溪湖坪坝岭沟岩滩塘桥庄堡关口林峰湾"
	a, b := []rune(first), []rune(second)
	if n > len(a)*len(b) {
		t.Fatalf("pool has %d names, want %d", len(a)*len(b), n)
	}
	seed, err := os.ReadFile(filepath.Join(seedDir, "000_cd4b96a87fea5f69.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for i := range n {
		town := string([]rune{a[i/len(b)], b[i%len(b)]})
		text := strings.NewReplacer("渔门", town, "368", strconv.Itoa(100+i), "111", strconv.Itoa(500+i)).Replace(string(seed))
		name := fmt.Sprintf("r%04d.txt", i)
		writeFile(t, filepath.Join(dir, name), []byte(text))
		want[name] = len(ingest.ChunkText(ingest.Clean(text), ingest.DefaultChunkOptions()))
	}
	return want
}

// killIngestAfter runs `fazhi ingest` as a process and SIGKILLs it once
// it has printed `after` lines saying a report is new (each is printed
// after its report's transaction commits). It returns how many such lines
// it saw. midway runs while the ingest is still going.
func killIngestAfter(t *testing.T, bin, data, dir string, after int, midway func()) int {
	t.Helper()
	cmd := exec.Command(bin, "ingest", "--data", data, dir)
	cmd.Env = append(os.Environ(), "FAZHI_LLM=", "FAZHI_STORE=", "FAZHI_EMBEDDER=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A bound on the whole run: a hung ingest is killed, and the test fails below.
	guard := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer guard.Stop()
	sc := bufio.NewScanner(stdout)
	seen := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "new ") {
			seen++
		}
		if seen == after {
			if midway != nil {
				// Freeze the ingest (its store open, mid-write) while a
				// second process reads: otherwise it may finish every
				// report while the reader opens the store.
				if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
					t.Fatalf("stop: %v", err)
				}
				midway()
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatalf("kill: %v", err)
			}
			break
		}
	}
	for sc.Scan() { // drain what was written before the kill
	}
	err = cmd.Wait()
	if err == nil {
		t.Fatalf("ingest finished before it was killed (saw %d new lines, want %d); stderr: %s", seen, after, stderr.String())
	}
	if seen < after {
		t.Fatalf("ingest stopped after %d new lines, want %d: %v\nstderr: %s", seen, after, err, stderr.String())
	}
	return seen
}

// docsJSON runs `fazhi docs --json` as a process.
func docsJSON(t *testing.T, bin, data string) []rag.ReportInfo {
	t.Helper()
	cmd := exec.Command(bin, "docs", "--json", "--data", data)
	cmd.Env = append(os.Environ(), "FAZHI_LLM=", "FAZHI_STORE=", "FAZHI_EMBEDDER=")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("fazhi docs --json: %v\n%s", err, stderr)
	}
	var reps []rag.ReportInfo
	if err := json.Unmarshal(out, &reps); err != nil {
		t.Fatalf("fazhi docs --json: %v\n%s", err, out)
	}
	return reps
}

// checkStoreConsistent checks that every stored report is whole: listed
// with the chunk count a fresh ingest gives, its chunks all indexed for
// keyword search, and nothing left of a report that is not stored. With
// deep, it also runs SQLite's integrity check (slow under -race: it
// checks the full-text index too).
func checkStoreConsistent(t *testing.T, bin, data string, want map[string]int, deep bool) int {
	t.Helper()
	reps := docsJSON(t, bin, data)
	for _, r := range reps {
		w, ok := want[r.Source]
		if !ok {
			t.Errorf("stored report %q was never ingested", r.Source)
			continue
		}
		if r.Chunks != w || r.Chunks == 0 {
			t.Errorf("report %s: got %d chunks, want %d (half-stored?)", r.Source, r.Chunks, w)
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, sqlitestore.DBFile)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	scalar := func(q string) string {
		t.Helper()
		var s string
		if err := db.QueryRow(q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s
	}
	if deep {
		if got := scalar(`PRAGMA integrity_check`); got != "ok" {
			t.Errorf("integrity_check: got %q, want ok", got)
		}
	}
	checks := []struct{ name, got, want string }{
		{"reports", scalar(`SELECT count(*) FROM reports`), strconv.Itoa(len(reps))},
		{"chunks_fts rows", scalar(`SELECT count(*) FROM chunks_fts`), scalar(`SELECT count(*) FROM chunks`)},
		{"chunks without a report", scalar(`SELECT count(*) FROM chunks WHERE report_id NOT IN (SELECT id FROM reports)`), "0"},
		{"facts without a report", scalar(`SELECT count(*) FROM facts WHERE report_id NOT IN (SELECT id FROM reports)`), "0"},
		{"index rows without a chunk", scalar(`SELECT count(*) FROM chunks_fts WHERE rowid NOT IN (SELECT id FROM chunks)`), "0"},
		{"reports without chunks", scalar(`SELECT count(*) FROM reports WHERE id NOT IN (SELECT report_id FROM chunks)`), "0"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, c.got, c.want)
		}
	}
	return len(reps)
}

// TestIngestSurvivesKill kills an ingest process at several points and
// checks after each kill that the store opens and holds only whole
// reports, then that a rerun completes the set.
func TestIngestSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and ingests 400 reports")
	}
	const total = 400
	bin := buildBinary(t)
	dir := t.TempDir()
	want := lookAlikeReports(t, dir, total)
	data := t.TempDir()

	stored := 0
	// A batch of up to 64 reports commits before its lines are printed, so
	// a kill may land up to 63 reports after the line it follows: three
	// rounds stay under total (25+40+60+3×63 < 400) however late.
	rounds := []int{25, 40, 60}
	for round, after := range rounds {
		var midway func()
		if round == 0 {
			// A second process reads the store while the ingest writes.
			midway = func() {
				if n := len(docsJSON(t, bin, data)); n < after {
					t.Errorf("docs during ingest: got %d reports, want at least %d", n, after)
				}
			}
		}
		seen := killIngestAfter(t, bin, data, dir, after, midway)
		n := checkStoreConsistent(t, bin, data, want, round == len(rounds)-1)
		t.Logf("round %d: killed after %d new lines; %d reports stored", round, seen, n)
		if n < stored+seen || n >= total {
			t.Fatalf("round %d: got %d reports, want at least %d (before) + %d (reported new) and fewer than %d", round, n, stored, seen, total)
		}
		stored = n
	}

	out, errOut, err := runBinary(bin, "ingest", "--data", data, dir)
	if err != nil {
		t.Fatalf("ingest after the kills: %v\nstderr: %s", err, errOut)
	}
	wantSummary := fmt.Sprintf("ingested %d files: %d new, 0 replaced, %d unchanged, 0 failed", total, total-stored, stored)
	if !strings.Contains(out, wantSummary) {
		t.Errorf("ingest after the kills: got summary %q, want %q", lastLine(out), wantSummary)
	}
	if n := checkStoreConsistent(t, bin, data, want, false); n != total {
		t.Errorf("after the rerun: got %d reports, want %d", n, total)
	}
}

// runBinary runs bin with args and returns its output.
func runBinary(bin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "FAZHI_LLM=", "FAZHI_STORE=", "FAZHI_EMBEDDER=")
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
