package main

import (
	"database/sql"
	"encoding/json"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"fazhi/rag"
	"fazhi/sqlitestore"
)

// TestReindexCommand makes a store look as one made before the place
// fields (empty place and alias columns, a district's report filed under
// no unit),
// then runs fazhi reindex: docs --json has every field again, and a
// question about the district reaches its report, through the stored
// vectors (the store opens with the same embedder; nothing is embedded
// again because reindex never calls it).
func TestReindexCommand(t *testing.T) {
	offlineEnv(t)
	data := t.TempDir()
	real := filepath.Join("..", "..", "testdata", "real", "docs")
	mustRun(t, "ingest", "--data", data, seedDir, filepath.Join(real, "07_haidianqu_2020.txt"), filepath.Join(real, "43_guanganmennei_2020.txt"))
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, sqlitestore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE reports SET place = '', level = '', city = '', province = '', division_code = '', aliases = '', town = CASE WHEN town = '海淀区' THEN '' ELSE town END`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	out := mustRun(t, "reindex", "--data", data)
	if !strings.Contains(out, "7 reports changed") {
		t.Errorf("reindex printed %q, want 7 reports changed", out)
	}
	var reps []rag.ReportInfo
	if err := json.Unmarshal([]byte(mustRun(t, "docs", "--data", data, "--json")), &reps); err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Place == "" || r.Level == "" || r.County == "" || r.City == "" || r.Province == "" || r.DivisionCode == "" {
			t.Errorf("%s after reindex: %+v", r.Source, r.Report)
		}
		if r.Place == "海淀区" && (r.Level != "county" || r.Town != "") {
			t.Errorf("海淀区 report: level %q town %q", r.Level, r.Town)
		}
		if want := map[string]string{"广安门内街道": "广内街道"}[r.Place]; strings.Join(r.Aliases, ",") != want {
			t.Errorf("%s after reindex: aliases %q, want %q", r.Source, r.Aliases, want)
		}
	}
	ans := mustRun(t, "ask", "--data", data, "--json", "海淀区2020年法治政府建设情况报告的标题是什么?")
	if !strings.Contains(ans, "07_haidianqu_2020.txt") {
		t.Errorf("the district's question does not cite its report: %s", ans)
	}
	if ans := mustRun(t, "ask", "--data", data, "--json", "广内街道2020年审查合同多少份?"); !strings.Contains(ans, "43_guanganmennei_2020.txt") {
		t.Errorf("a question by the body's short form does not cite its report: %s", ans)
	}
	if out := mustRun(t, "reindex", "--data", data); !strings.Contains(out, "0 reports changed") {
		t.Errorf("second reindex printed %q, want 0 reports changed", out)
	}
}

// TestReindexFillsTermCounts makes a store look as one made before term
// counts were kept at ingest (one report without counts, one with counts
// of another vocabulary), then runs fazhi reindex: both are counted
// again, exactly as ingest counted them, and a second run has none left.
func TestReindexFillsTermCounts(t *testing.T) {
	offlineEnv(t)
	data := t.TempDir()
	mustRun(t, "ingest", "--data", data, seedDir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, sqlitestore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored := func() map[string]string {
		t.Helper()
		rows, err := db.Query(`SELECT report_id, vocab, hex(counts) FROM term_counts`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var id, vocab, counts string
			if err := rows.Scan(&id, &vocab, &counts); err != nil {
				t.Fatal(err)
			}
			out[id] = vocab + " " + counts
		}
		return out
	}
	before := stored()
	if len(before) != 5 {
		t.Fatalf("%d reports with term counts after ingest, want 5", len(before))
	}
	if _, err := db.Exec(`DELETE FROM term_counts WHERE report_id = (SELECT min(report_id) FROM term_counts);
		UPDATE term_counts SET vocab = 'older' WHERE report_id = (SELECT max(report_id) FROM term_counts)`); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "reindex", "--data", data); !strings.Contains(out, "term counts filled in for 2 reports") {
		t.Errorf("reindex printed %q, want term counts filled in for 2 reports", out)
	}
	if after := stored(); !maps.Equal(after, before) {
		t.Errorf("term counts after reindex:\n%v\nafter ingest:\n%v", after, before)
	}
	if out := mustRun(t, "reindex", "--data", data); !strings.Contains(out, "term counts filled in for 0 reports") {
		t.Errorf("second reindex printed %q, want term counts filled in for 0 reports", out)
	}
}
