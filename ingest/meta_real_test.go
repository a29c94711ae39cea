package ingest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fazhi/divisions"
	"fazhi/ingest"
)

// realExpect is one line of testdata/real/expect-meta.jsonl, written from
// the table in testdata/real/README.md.
type realExpect struct {
	File  string `json:"file"`
	Town  string `json:"town"` // the reporting unit: town, subdistrict, township, or county
	Year  int    `json:"year"`
	Type  string `json:"type"`  // 镇, 乡, 民族乡, 街道, 县/区
	Where string `json:"where"` // "河南 安阳市滑县", "北京 (区级报告)"
}

func readRealExpect(tb testing.TB) []realExpect {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "real", "expect-meta.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []realExpect
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var e realExpect
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			tb.Fatalf("expect-meta.jsonl line %d: %v", n, err)
		}
		out = append(out, e)
	}
	if len(out) != 40 {
		tb.Fatalf("expect-meta.jsonl: %d reports, want 40", len(out))
	}
	return out
}

// gazetteerWhere holds the reports whose table entry names the site that
// published them rather than the unit's county in the 2023 division codes:
// 沅江路街道 lies in 怀化市洪江管理区 (its report speaks of 区工委、区管委).
var gazetteerWhere = map[string]string{"38_yuanjianglu_2024.txt": "怀化市洪江管理区"}

// sameName counts the township or county units whose full name is name.
func sameName(name string) int {
	n := 0
	for _, u := range divisions.Default().Named(name) {
		if u.Name == name {
			n++
		}
	}
	return n
}

var parenRe = regexp.MustCompile(`\([^)]*\)`)

// TestDetectMetaReal checks the unit, level, year and (where the table
// states it) county and province of every real report of the development
// set.
func TestDetectMetaReal(t *testing.T) {
	for _, e := range readRealExpect(t) {
		t.Run(e.File, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "real", "docs", e.File)
			raw, err := ingest.Load(context.Background(), path, ingest.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			m := ingest.DetectMetaFile(ingest.Clean(raw), e.File)
			wantLevel := ingest.LevelTownship
			if e.Type == "县/区" {
				wantLevel = ingest.LevelCounty
			}
			if m.Place != e.Town || m.Year != e.Year || m.Level != wantLevel {
				t.Fatalf("place %q year %d level %q, want %q %d %q (%+v)", m.Place, m.Year, m.Level, e.Town, e.Year, wantLevel, m)
			}
			if wantLevel == ingest.LevelTownship && m.Town != m.Place || wantLevel == ingest.LevelCounty && m.Town != "" {
				t.Errorf("town %q for a %s-level report of %s", m.Town, m.Level, m.Place)
			}
			prov, where, _ := strings.Cut(e.Where, " ")
			if m.DivisionCode == "" {
				// Only a name several units share, in a text that names no
				// area to tell them apart, may stay unlinked; then nothing
				// about where it lies is guessed.
				if n := sameName(m.Place); n < 2 {
					t.Fatalf("no division code for %s, which %d gazetteer units are named: %+v", m.Place, n, m)
				}
				if m.County != "" || m.City != "" || m.Province != "" {
					t.Errorf("unlinked unit with a guessed area: %+v", m)
				}
				return
			}
			if w, ok := gazetteerWhere[e.File]; ok {
				where = w
			}
			if !strings.HasPrefix(m.Province, prov) {
				t.Errorf("province %q, want %s…", m.Province, prov)
			}
			if w := parenRe.ReplaceAllString(where, ""); w == where && m.Level == ingest.LevelTownship {
				short := divisions.ShortName(m.County, divisions.County)
				if !strings.HasSuffix(w, m.County) && (short == "" || !strings.Contains(w, short)) {
					t.Errorf("county %q, want the one in %q", m.County, where)
				}
			}
		})
	}
}
