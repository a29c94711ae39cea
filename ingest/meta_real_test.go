package ingest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// realAliases are the short forms of their unit's name that real reports
// use in their own text; every other real report and seed has none.
var realAliases = map[string][]string{"43_guanganmennei_2020.txt": {"广内街道"}}

// TestAliasesReal checks the abbreviations learnt from every real report
// of the development set and every seed: 广内街道 for 广安门内街道, and no
// other (no report gains a wrong alias).
func TestAliasesReal(t *testing.T) {
	for _, e := range readRealExpect(t) {
		t.Run(e.File, func(t *testing.T) {
			raw, err := ingest.Load(context.Background(), filepath.Join("..", "testdata", "real", "docs", e.File), ingest.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if m := ingest.DetectMetaFile(ingest.Clean(raw), e.File); !slices.Equal(m.Aliases, realAliases[e.File]) {
				t.Errorf("aliases of %s: %q, want %q", m.Place, m.Aliases, realAliases[e.File])
			}
		})
	}
	seeds, err := filepath.Glob(filepath.Join("..", "testdata", "reports", "*.txt"))
	if err != nil || len(seeds) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	for _, path := range seeds {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if m := ingest.DetectMeta(cleanSeed(t, filepath.Base(path))); len(m.Aliases) > 0 {
				t.Errorf("aliases of %s: %q, want none", m.Place, m.Aliases)
			}
		})
	}
}

// TestAliasesAndVariants checks, on texts made from real phrasing, that a
// short form of the unit's name counts only when its characters are the
// name's in order (first the same) and it is no neighbour's name, and that
// a unit the gazetteer lists behind a development zone (开发区银杏大街街道)
// is named as the report names it and linked to its entry.
func TestAliasesAndVariants(t *testing.T) {
	lines := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	tests := []struct {
		name        string
		text        string
		wantPlace   string
		wantCode    string
		wantAliases []string
	}{
		{
			name: "abbreviation in the body",
			text: lines("广安门内街道2020年法治政府建设工作报告",
				"2020年，广内街道在区委、区政府的坚强领导下，深入推进法治政府建设。",
				"一、主要做法", "广内街道重大行政执法决定法制审核率100%。", "广安门内街道办事处", "2021年1月20日"),
			wantPlace: "广安门内街道", wantCode: "110102017", wantAliases: []string{"广内街道"},
		},
		{
			name: "a neighbour of the same district is no abbreviation",
			text: lines("新华西街道2021年法治政府建设工作报告",
				"2021年，新华西街道在海勃湾区委、区政府的领导下，认真落实法治政府建设各项任务。",
				"一、主要做法", "新华西街道与新华街道联合开展法治宣传12场。", "新华西街道办事处", "2022年1月20日"),
			wantPlace: "新华西街道", wantCode: "150302004",
		},
		{
			name: "characters out of order are no abbreviation",
			text: lines("广安门内街道2020年法治政府建设工作报告",
				"2020年，广安门内街道认真落实法治政府建设各项任务。", "一、主要做法", "与广门安街道联合开展法治宣传。", "广安门内街道办事处", "2021年1月20日"),
			wantPlace: "广安门内街道", wantCode: "110102017",
		},
		{
			name: "unit without its development zone",
			text: lines("银杏大街街道2022年法治政府建设工作报告",
				"2022年，银杏大街街道在安阳高新区党工委的坚强领导下，深入推进法治政府建设，现将有关情况报告如下：",
				"一、主要举措", "银杏大街街道全年共调解矛盾纠纷86件。", "银杏大街街道办事处", "2023年1月10日"),
			wantPlace: "银杏大街街道", wantCode: "410571564",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ingest.DetectMeta(tt.text)
			if m.Place != tt.wantPlace || m.DivisionCode != tt.wantCode || !slices.Equal(m.Aliases, tt.wantAliases) {
				t.Errorf("place %q code %q aliases %q, want %q %q %q", m.Place, m.DivisionCode, m.Aliases, tt.wantPlace, tt.wantCode, tt.wantAliases)
			}
		})
	}
}
