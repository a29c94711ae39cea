package rag_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/mozillazg/go-pinyin"

	"fazhi/divisions"
	"fazhi/ingest"
	"fazhi/rag"
)

// realReports returns an engine over the seeds and the real development
// set, and its reports.
func realReports(t *testing.T) (*rag.Engine, []rag.ReportInfo) {
	t.Helper()
	if testing.Short() {
		t.Skip("ingests 45 reports")
	}
	e := mustRealEngine(t)
	reps, err := e.Reports(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return e, reps
}

// TestPlacesByEveryName resolves, on the store of the seeds and the real
// development set, a question about every stored unit by its full name,
// its short name, its pinyin with an English kind word, and the short
// forms its own report uses (广内街道 for 广安门内街道): each reaches that
// unit and no other.
func TestPlacesByEveryName(t *testing.T) {
	ctx := context.Background()
	e, reps := realReports(t)
	g := divisions.Default()
	aliases := 0
	for _, r := range reps {
		unit := r.Unit()
		lv := divisions.Township
		if r.Level == ingest.LevelCounty {
			lv = divisions.County
		}
		short := divisions.ShortName(unit, lv)
		if u, ok := g.ByCode(r.DivisionCode); ok && u.Short != "" {
			short = u.Short
		}
		forms := map[string]string{"full": unit + "2021年调解了多少纠纷?"}
		if short != "" {
			forms["short"] = short + "2021年调解了多少纠纷?"
		}
		pyName := short
		if pyName == "" {
			pyName = strings.TrimSuffix(strings.TrimSuffix(unit, "县"), "区")
		}
		forms["pinyin"] = "How many disputes did " + pinyinTitle(pyName) + " " + englishKind(unit) + " mediate in 2021?"
		for i, a := range r.Aliases {
			aliases++
			forms["alias"+string(rune('0'+i))] = "截至2020年底," + a + "审查合同多少份?"
		}
		for form, q := range forms {
			t.Run(r.Source+"/"+form, func(t *testing.T) {
				towns, unknown, err := e.PlacesOf(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(towns, []string{unit}) {
					t.Errorf("%q: places %v (unknown %q), want [%s]", q, towns, unknown, unit)
				}
			})
		}
	}
	if aliases == 0 {
		t.Error("no stored report has an alias; 43_guanganmennei_2020.txt writes 广内街道")
	}
}

// TestAreaListsEveryUnit asks "X各街道/各镇…" for every county, city and
// province of the stored units: the question covers exactly the stored
// township-level units that lie in it.
func TestAreaListsEveryUnit(t *testing.T) {
	ctx := context.Background()
	e, reps := realReports(t)
	g := divisions.Default()
	areas := map[string][]string{} // area name → units in it
	for _, r := range reps {
		u, ok := g.ByCode(r.DivisionCode)
		if !ok || u.Level != divisions.Township {
			continue
		}
		for _, lv := range []divisions.Level{divisions.County, divisions.City, divisions.Province} {
			a, _ := g.Above(u, lv)
			if a.Name == "市辖区" || a.Name == "县" || strings.Contains(a.Name, "直辖") {
				continue
			}
			if len(g.Named(a.Name)) != 1 {
				continue // a name several areas share needs its province too
			}
			if !slices.Contains(areas[a.Name], r.Unit()) {
				areas[a.Name] = append(areas[a.Name], r.Unit())
			}
		}
	}
	if len(areas) < 20 {
		t.Fatalf("only %d areas to ask about", len(areas))
	}
	for area, want := range areas {
		t.Run(area, func(t *testing.T) {
			q := area + "各镇街开展了哪些法治宣传?"
			got, unknown, err := e.PlacesOf(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("%q: places %v (unknown %q), want %v", q, got, unknown, want)
			}
		})
	}
}

func pinyinTitle(s string) string {
	p := strings.Join(pinyin.LazyPinyin(s, pinyin.NewArgs()), "")
	if p == "" {
		return p
	}
	r := []rune(p)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

func englishKind(unit string) string {
	switch {
	case strings.HasSuffix(unit, "街道"):
		return "subdistrict"
	case strings.HasSuffix(unit, "镇"):
		return "town"
	case strings.HasSuffix(unit, "乡"):
		return "township"
	case strings.HasSuffix(unit, "县"):
		return "county"
	}
	return "district"
}

// TestPlacesByGazetteerEntry asks about units whose reports name them
// otherwise than the gazetteer does: a question by either name reaches
// the stored unit (by its division code when the names differ).
func TestPlacesByGazetteerEntry(t *testing.T) {
	ctx := context.Background()
	body := "2022年法治政府建设工作报告\n2022年，%[1]s在安阳高新区党工委的坚强领导下，深入推进法治政府建设，现将有关情况报告如下：\n一、主要举措\n%[1]s全年共调解矛盾纠纷86件。\n%[1]s\n2023年1月10日\n"
	tests := []struct{ stated, question string }{
		{"银杏大街街道", "开发区银杏大街街道2022年调解了多少矛盾纠纷?"},
		{"银杏大街街道", "银杏大街2022年调解了多少矛盾纠纷?"},
		{"开发区银杏大街街道", "银杏大街街道2022年调解了多少矛盾纠纷?"},
		{"开发区银杏大街街道", "开发区银杏大街街道2022年调解了多少矛盾纠纷?"},
	}
	for _, tt := range tests {
		t.Run(tt.stated+"/"+tt.question, func(t *testing.T) {
			emb := rag.HashEmbedder(rag.DefaultDim)
			e, err := rag.NewEngine(ctx, mustOpenSQLite(t, t.TempDir(), emb), emb)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.IngestFile(ctx, "r.txt", []byte(tt.stated+fmt.Sprintf(body, tt.stated))); err != nil {
				t.Fatal(err)
			}
			reps, _ := e.Reports(ctx)
			if len(reps) != 1 || reps[0].Unit() != tt.stated || reps[0].DivisionCode != "410571564" {
				t.Fatalf("stored %+v, want %s linked to 410571564", reps, tt.stated)
			}
			towns, unknown, err := e.PlacesOf(ctx, tt.question)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(towns, []string{tt.stated}) {
				t.Errorf("places %v (unknown %q), want [%s]", towns, unknown, tt.stated)
			}
		})
	}
}
