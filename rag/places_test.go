package rag_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fazhi/rag"

	"github.com/mozillazg/go-pinyin"
)

// TestPlacesInQuestions asks about places on a store of the seeds and the
// real development set: short names and pinyin reach the right report, a
// district with 各街道 lists every stored unit of it, a unit the gazetteer
// knows but the store lacks is refused by name and place, a body phrase is
// no place, and a follow-up about an unknown place refuses.
func TestPlacesInQuestions(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests 45 reports")
	}
	ctx := context.Background()
	e := mustRealEngine(t)
	tests := []struct {
		name     string
		question string
		history  []rag.Turn
		cites    string   // a cited source that must be there
		has      []string // in the answer
		hasNot   []string
	}{
		{name: "short name", question: "桂花园2025年对多少项重大决策开展了合法性审查?", cites: "05_guihuayuan_2025.txt", has: []string{"12"}},
		{name: "pinyin", question: "What was the pass rate of Guihuayuan township's in-service cadres in the “如法网” study exam in 2025?", cites: "05_guihuayuan_2025.txt"},
		{name: "the short form the report's body uses", question: "广内街道2020年审查合同多少份?", cites: "43_guanganmennei_2020.txt", has: []string{"120"}},
		{name: "county-level report by short name", question: "海淀2020年法治政府建设情况报告的标题是什么?", cites: "07_haidianqu_2020.txt"},
		{name: "one-character county in pinyin", question: "In 2024, what was the compression ratio of processing time limits for administrative licensing items in Xun county?", cites: "35_xunxian_2024.txt", has: []string{"95%"}},
		{name: "district's subdistricts", question: "上城区各街道开展了哪些法治宣传?", has: []string{"南星街道", "四季青街道"}, hasNot: []string{"浦沿街道"}},
		{name: "city's units", question: "杭州市哪个街道审查合同最多?", has: []string{"南星街道", "四季青街道", "浦沿街道"}, hasNot: []string{"海淀区"}},
		{name: "year before the unit", question: "2021年鱼复街道调解了多少纠纷?", has: []string{"没有鱼复街道（重庆市奉节县）的报告"}, hasNot: []string{"年鱼复"}},
		{name: "namesakes told apart in English", question: "Dongxi town in Qijiang: how many disputes were mediated in 2021?", has: []string{"东溪镇（重庆市綦江区）"}, hasNot: []string{"忠县"}},
		{name: "namesakes listed", question: "东溪镇2021年调解了多少纠纷?", has: []string{"东溪镇（重庆市綦江区、重庆市忠县、四川省广元市苍溪县）"}},
		{name: "nearest stored units", question: "2024年杭州市西湖区北山街道调解了多少纠纷?", has: []string{"没有北山街道（浙江省杭州市西湖区）的报告", "附近有报告的单位：南星街道（2022）、四季青街道（2023）、浦沿街道（2024）。"}},
		{name: "a body phrase is no place", question: "不断强化镇2021年调解了多少纠纷?", hasNot: []string{"没有不断强化镇"}},
		{name: "follow-up about an unknown place", question: "那三川镇呢？", history: []rag.Turn{{Role: "user", Content: "万古镇2025年开展专题学习多少次?"}}, has: []string{"没有三川镇"}},
		{name: "refusal names units, none unidentified", question: "黄桷镇2021年调解了多少纠纷?", has: []string{"万古镇（2025）", "兴国县（2024）"}, hasNot: []string{"未识别单位"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := e.Ask(ctx, rag.Question{Text: tt.question, History: tt.history})
			if err != nil {
				t.Fatal(err)
			}
			if tt.cites != "" {
				found := false
				for _, c := range a.Citations {
					found = found || filepath.Base(c.Source) == tt.cites
				}
				if !found {
					t.Errorf("no citation of %s: %q", tt.cites, a.Answer)
				}
			}
			for _, s := range tt.has {
				if !strings.Contains(a.Answer, s) {
					t.Errorf("answer lacks %q:\n%s", s, a.Answer)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(a.Answer, s) {
					t.Errorf("answer has %q:\n%s", s, a.Answer)
				}
			}
		})
	}
}

// TestPinyinSyllables keeps the syllable list equal to the toneless
// readings go-pinyin gives every Han character it knows, and checks that
// place names in pinyin read as syllables and English words mostly not.
func TestPinyinSyllables(t *testing.T) {
	want := map[string]bool{}
	args := pinyin.NewArgs()
	for r := range pinyin.PinyinDict {
		for _, p := range pinyin.SinglePinyin(rune(r), args) {
			want[p] = true
		}
	}
	got := rag.PinyinSyllables()
	for s := range want {
		if !got[s] {
			t.Errorf("syllable %q of go-pinyin is not in the list", s)
		}
	}
	for s := range got {
		if !want[s] {
			t.Errorf("syllable %q of the list is not go-pinyin's", s)
		}
	}
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"yumen", true}, {"dazhongzhuang", true}, {"quanzhang", true}, {"guanganmennei", true}, {"xian", true}, {"shiwan", true},
		{"which", false}, {"each", false}, {"every", false}, {"all", false}, {"the", false}, {"this", false}, {"what", false},
		{"xi’an", true}, // not letters only: left to the index
	} {
		if got := rag.MayBePinyin(tt.s); got != tt.want {
			t.Errorf("MayBePinyin(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
