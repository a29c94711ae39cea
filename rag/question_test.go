package rag

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestAnalyse(t *testing.T) {
	towns := makeTownNames([]string{"渔门镇", "大钟庄镇", "泉掌镇", "城关镇", "拾万镇", "玉门镇"})
	g := DefaultGlossary()
	tests := []struct {
		q         string
		towns     []string
		unknown   string
		year      int
		kind      string
		lang      string
		aggregate string
	}{
		{"渔门镇2020年调解了多少矛盾纠纷？", []string{"渔门镇"}, "", 2020, KindCount, "zh", ""},
		{"渔门2020年调解了多少矛盾纠纷？", []string{"渔门镇"}, "", 2020, KindCount, "zh", ""},
		// "Yumen" fits 渔门 and 玉门: both are considered, side by side.
		{"How many disputes did Yumen mediate in 2020?", []string{"渔门镇", "玉门镇"}, "", 2020, KindCount, "en", "list"},
		{"What was Chengguan's dispute mediation success rate in 2020?", []string{"城关镇"}, "", 2020, KindRate, "en", ""},
		{"How many villages in Dazhongzhuang set up villagers' councils?", []string{"大钟庄镇"}, "", 0, KindCount, "en", ""},
		{"黄桷镇2021年调解了多少起矛盾纠纷？", nil, "黄桷镇", 2021, KindCount, "zh", ""},
		{"How many disputes did Huangjue mediate in 2021?", nil, "Huangjue", 2021, KindCount, "en", ""},
		{"城关镇法治政府建设领导小组的组长是谁？", []string{"城关镇"}, "", 0, KindWho, "zh", ""},
		{"哪个镇调解的矛盾纠纷最多？", nil, "", 0, KindCount, "zh", "max"},
		{"渔门镇和城关镇2020年调解矛盾纠纷分别是多少？", []string{"渔门镇", "城关镇"}, "", 2020, KindCount, "zh", "list"},
		{"渔门镇矛盾纠纷调解成功率是多少？", []string{"渔门镇"}, "", 0, KindRate, "zh", ""},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			q := analyse(tt.q, towns, g)
			if !reflect.DeepEqual(q.Towns, tt.towns) {
				t.Errorf("towns: got %v, want %v", q.Towns, tt.towns)
			}
			if q.UnknownTown != tt.unknown {
				t.Errorf("unknown town: got %q, want %q", q.UnknownTown, tt.unknown)
			}
			if q.Year != tt.year {
				t.Errorf("year: got %d, want %d", q.Year, tt.year)
			}
			if q.Kind != tt.kind {
				t.Errorf("kind: got %s, want %s", q.Kind, tt.kind)
			}
			if q.Lang != tt.lang {
				t.Errorf("lang: got %s, want %s", q.Lang, tt.lang)
			}
			if q.Aggregate != tt.aggregate {
				t.Errorf("aggregate: got %q, want %q", q.Aggregate, tt.aggregate)
			}
		})
	}
}

func TestResolveFollowUp(t *testing.T) {
	towns := makeTownNames([]string{"渔门镇", "城关镇", "拾万镇"})
	g := DefaultGlossary()
	hist := []Turn{{Role: "user", Content: "渔门镇2020年调解了多少矛盾纠纷？"}, {Role: "assistant", Content: "368件"}}
	tests := []struct {
		q, want string
	}{
		{"那城关镇呢？", "城关镇2020年调解了多少矛盾纠纷？"},
		{"2019年呢？", "渔门镇2019年调解了多少矛盾纠纷？"},
		{"调解成功率是多少？", "渔门镇2020年调解成功率是多少？"},
		{"拾万镇2021年共受理信访案件多少宗？", "拾万镇2021年共受理信访案件多少宗？"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			if got := resolveFollowUp(tt.q, hist, towns, g); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := resolveFollowUp("那城关镇呢？", nil, towns, g); got != "那城关镇呢？" {
		t.Errorf("without history: got %q, want the question unchanged", got)
	}
}

func TestPinyinForms(t *testing.T) {
	for _, tt := range []struct{ han, want string }{{"渔门", "yumen"}, {"大钟庄", "dazhongzhuang"}, {"拾万", "shiwan"}, {"泉掌", "quanzhang"}} {
		found := false
		for _, f := range pinyinForms(tt.han) {
			if f == tt.want {
				found = true
			}
		}
		if !found {
			t.Errorf("pinyinForms(%s) = %v, want it to hold %s", tt.han, pinyinForms(tt.han), tt.want)
		}
	}
}

func TestEthnicTownShortName(t *testing.T) {
	tn := makeTownNames([]string{"普坪彝族乡", "石关乡"})
	if tn[0].short != "普坪" {
		t.Errorf("short name of 普坪彝族乡: got %q, want 普坪", tn[0].short)
	}
	for _, q := range []string{"普坪乡2023年调解了多少纠纷？", "How many disputes did Puping settle in 2023?"} {
		if got := analyse(q, tn, DefaultGlossary()).Towns; len(got) != 1 || got[0] != "普坪彝族乡" {
			t.Errorf("%s: got towns %v, want [普坪彝族乡]", q, got)
		}
	}
}

func TestFollowUpAfterEnglishQuestion(t *testing.T) {
	towns := makeTownNames([]string{"渔门镇", "城关镇"})
	hist := []Turn{{Role: "user", Content: "How many disputes did Yumen mediate in 2020?"}}
	got := resolveFollowUp("那城关镇呢？", hist, towns, DefaultGlossary())
	q := analyse(got, towns, DefaultGlossary())
	if len(q.Towns) != 1 || q.Towns[0] != "城关镇" || q.Year != 2020 {
		t.Errorf("resolved %q: towns %v year %d, want [城关镇] 2020", got, q.Towns, q.Year)
	}
}

func TestSameNameTownsByCounty(t *testing.T) {
	towns := makeTownNames([]string{"青溪乡", "清溪镇"})
	towns[0].county, towns[1].county = "渭源县", "永丰县"
	g := DefaultGlossary()
	tests := []struct {
		q    string
		want []string
	}{
		{"How many legal aid cases did Qingxi Township in Weiyuan handle in 2022?", []string{"青溪乡"}},
		{"永丰清溪镇法治建设存在哪些不足？", []string{"清溪镇"}},
		{"How many disputes did Qingxi mediate?", []string{"青溪乡", "清溪镇"}},
	}
	for _, tt := range tests {
		if got := analyse(tt.q, towns, g).Towns; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got towns %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestSplitQuestion(t *testing.T) {
	isPlace := func(s string) bool { return strings.HasSuffix(s, "镇") }
	tests := []struct {
		q    string
		want []string
		soft bool
	}{
		{"万古镇2025年已开展专题学习多少次?研讨交流又有几次?", []string{"万古镇2025年已开展专题学习多少次", "研讨交流又有几次"}, false},
		{"立案查处了多少件违法案件，罚没了多少钱？", []string{"立案查处了多少件违法案件", "罚没了多少钱"}, false},
		{"截至2020年底,广内街道法律顾问团有几名律师参与?审查合同多少份?", []string{"截至2020年底，广内街道法律顾问团有几名律师参与", "审查合同多少份"}, false},
		{"下蜀镇梳理的基本清单、配合清单、收回清单各有多少项?", []string{"下蜀镇梳理的基本清单有多少项", "配合清单有多少项", "收回清单有多少项"}, false},
		{"渔门镇和城关镇分别调解了多少纠纷？", nil, false},
		{"渔门镇2020年调解了多少矛盾纠纷？", nil, false},
		{"How many judicial suggestions and how many procuratorial suggestions did Langxi county receive?", []string{"How many judicial suggestions", "how many procuratorial suggestions did Langxi county receive?"}, false},
		{"How many events were held, and what coverage did they reach?", []string{"How many events were held", "what coverage did they reach?"}, false},
		{"How many disputes did Yumen mediate in 2020?", nil, false},
		// A joiner right before a question word ends a part.
		{"兴国县2024年组织多少个乡镇区、多少个单位的主要负责同志进行现场法治述职?", []string{"兴国县2024年组织多少个乡镇区", "多少个单位的主要负责同志进行现场法治述职"}, false},
		{"全年受理多少件和办结多少件?", []string{"全年受理多少件", "办结多少件"}, false},
		// One question word over two things: soft parts.
		{"广安门内街道2020年共召开多少次主任办公会和工委会?", []string{"广安门内街道2020年共召开多少次主任办公会", "广安门内街道2020年共召开多少次工委会"}, true},
		{"调解了多少起矛盾纠纷和信访案件？", []string{"调解了多少起矛盾纠纷", "调解了多少起信访案件"}, true},
		{"多少人参加了渔门镇和城关镇的培训？", nil, false},
		{"哪个镇和城关镇调解了多少纠纷？", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got, soft := splitQuestion(tt.q, isPlace)
			if !slices.Equal(got, tt.want) || soft != tt.soft {
				t.Errorf("got %q soft %v, want %q soft %v", got, soft, tt.want, tt.soft)
			}
		})
	}
}

func TestWantsOf(t *testing.T) {
	tests := []struct {
		q    string
		want sentenceWants
		kind string
	}{
		{"郑庄镇2025年多长时间召开一次党委会议听取法治建设情况汇报?", sentenceWants{frequency: true}, KindWhat},
		{"How often did the party committee hear reports on rule-of-law work?", sentenceWants{frequency: true}, KindWhat},
		{"2025年广顺街道干部每周哪一天参加集中学习?", sentenceWants{weekday: true}, KindWhat},
		{"坡头镇2019年依法治镇工作领导小组的办公室设在哪里?", sentenceWants{where: true}, KindWhat},
		{"Which district work plan did Xuzhuang town implement in 2025?", sentenceWants{namedDoc: true}, KindWhat},
		{"What is the name of Benniu town's mediation service brand?", sentenceWants{name: true}, KindWhat},
		{"渔门镇2020年调解了多少矛盾纠纷？", sentenceWants{}, KindCount},
		{"2020年召开的是第几次社区代表大会?", sentenceWants{ordinal: true}, KindWhat},
		{"Which session of the residents' congress was held in 2020?", sentenceWants{ordinal: true}, KindWhat},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			q := analyse(tt.q, nil, nil)
			got := wantsOf(q)
			got.person, got.date, got.plan = false, false, false
			if got != tt.want || q.Kind != tt.kind {
				t.Errorf("got %+v kind %s, want %+v kind %s", got, q.Kind, tt.want, tt.kind)
			}
		})
	}
}

func TestTermGroupFocus(t *testing.T) {
	g := DefaultGlossary()
	tests := []struct {
		q    string
		want []string // the groups marked as the focus, by the words they came from
	}{
		{"组织乡干部、村“两委”成员法治培训,覆盖多少人次?", []string{"覆盖"}},
		{"2020年调解了多少矛盾纠纷？", []string{"调解", "矛盾纠纷"}},
		{"组织多少个乡镇区的负责同志述职?", []string{"组织", "乡镇区"}},
		{"成员法治培训,多少人参加?", []string{"参加"}},
		{"How many fields did the discretion benchmark table cover in 2022?", []string{"field"}},
		{"How many times did the party committee study law?", nil},
		{"What did the town do about disputes?", nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			var got []string
			for _, tg := range termGroups(tt.q, Query{Lang: detectLang(tt.q)}, nil, g) {
				if tg.Focus {
					got = append(got, tg.From)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("focus %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKindEnglishNounsAreNotCounts(t *testing.T) {
	tests := []struct{ q, kind string }{
		{"What change in cadres' working style did the subdistrict aim at through law study?", KindWhat},
		{"What did the town do for its mediators?", KindWhat},
		{"How many cadres attended law training?", KindCount},
		{"What was the amount of fines collected in 2021?", KindCount},
		{"By how much did petitions decline?", KindCount},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			if got := analyse(tt.q, nil, nil).Kind; got != tt.kind {
				t.Errorf("kind %s, want %s", got, tt.kind)
			}
		})
	}
}

// The towns a question ranges over ("所有镇", "各街道", "哪个镇") are its
// scope, not its subject: they make no term. Words holding a filler
// character ("聘请", "申请") stay whole.
func TestTermGroupsLeaveScopeWords(t *testing.T) {
	g := DefaultGlossary()
	tests := []struct {
		q    string
		want []string // the groups, by the words they came from
	}{
		{"所有镇2021年一共调处了多少矛盾纠纷？", []string{"调处", "矛盾纠纷"}},
		{"哪个镇调解的矛盾纠纷最多？", []string{"调解", "矛盾纠纷"}},
		{"各镇聘请了多少名法律顾问？", []string{"聘请", "法律顾问"}},
		{"全县各镇（街道）开展普法宣传活动多少场？", []string{"开展普法宣传活动"}},
		{"哪个街道的法律顾问最多？", []string{"法律顾问"}},
		{"每个乡镇受理了多少件行政复议申请？", []string{"受理", "行政复议申请"}},
		{"哪些镇街邀请律师开展讲座？", []string{"邀请律师开展讲座"}},
		// Not a scope: the whole town (a report's own total) and every village.
		{"全镇调解矛盾纠纷多少件？", []string{"全镇调解矛盾纠纷"}},
		{"每个村都配备了法律顾问吗？", []string{"每个村", "配备", "法律顾问"}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			var got []string
			for _, tg := range termGroups(tt.q, Query{Lang: detectLang(tt.q)}, nil, g) {
				got = append(got, tg.From)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("groups %q, want %q", got, tt.want)
			}
		})
	}
}

// stripTownsPlain is stripTowns without its check that a town is named at
// all: every town's replacements run.
func stripTownsPlain(text string, towns []townName) string {
	for _, tn := range towns {
		text = stripTown(text, tn)
	}
	return text
}

// TestStripTownsSkipsUnnamed checks that skipping the towns a question
// does not name strips exactly what stripping every town does, with
// counties before towns, short names, aliases and one-character names.
func TestStripTownsSkipsUnnamed(t *testing.T) {
	towns := []townName{
		{full: "渔门镇", short: "渔门", county: "盐边县"},
		{full: "清溪镇", short: "清溪", county: "永丰县"},
		{full: "广安门内街道", short: "广安门内", county: "西城区", aliases: []string{"广内街道"}},
		{full: "槐峪乡", short: "槐峪", county: "浮山县"},
		{full: "东镇", short: "东", county: "綦江区"},
		{full: "城关镇", short: "城关"},
		{full: "门镇", short: "门", county: "盐边县"},
	}
	questions := []string{
		"盐边县渔门镇2020年调解了多少矛盾纠纷？", "盐边渔门调解了多少？", "永丰清溪镇和渔门镇哪个多？",
		"广内街道有几名法律顾问？", "西城区广安门内街道2022年的文号？", "浮山县槐峪乡、綦江区东镇、城关镇分别多少件？",
		"所有镇一共调解了多少件矛盾纠纷？", "门镇和东镇", "", "Yumen town",
	}
	for _, q := range questions {
		if got, want := stripTowns(q, towns), stripTownsPlain(q, towns); got != want {
			t.Errorf("stripTowns(%q) = %q, want %q", q, got, want)
		}
	}
}
