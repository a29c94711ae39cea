package rag

import (
	"sort"
	"strings"
	"sync"

	"fazhi/divisions"
)

// Places in questions. A question's place is resolved against the stored
// reports' units first (full and short names, pinyin; see analyse), then
// against the gazetteer of divisions: a county, city or province names a
// scope ("綦江区各镇…", "重庆市哪个镇…最多", "Which towns in Wuxi county…"),
// and a unit the gazetteer knows but the store lacks is named, with where
// it lies, in the refusal.

// areaWords ask about every unit of an area rather than the area's own report.
var areaWords = []string{"各镇", "各乡", "各街道", "各乡镇", "各镇街", "各个镇", "各个乡", "各个街道", "各单位", "所有镇", "所有乡", "所有街道", "所有乡镇",
	"哪个镇", "哪个乡", "哪个街道", "哪些镇", "哪些乡", "哪些街道", "哪个单位", "每个镇", "每个乡", "每个街道", "镇街"}

var areaWordsEn = []string{"towns", "townships", "subdistricts", "which town", "which township", "which subdistrict", "each town", "every town", "each subdistrict", "every subdistrict"}

// areaAsked reports whether a question asks across the units of an area.
func areaAsked(text string) bool {
	return containsAny(text, areaWords...) || containsAny(strings.ToLower(text), areaWordsEn...)
}

// areaNamed returns the counties, cities and provinces a question names in
// Chinese (full or short name) or in pinyin followed by county, district,
// city or province ("Wuxi county").
func areaNamed(text string) []divisions.Unit {
	g := divisions.Default()
	var out []divisions.Unit
	seen := map[int32]bool{}
	add := func(u divisions.Unit) {
		if !seen[u.ID] {
			seen[u.ID] = true
			out = append(out, u)
		}
	}
	found := g.Find(text)
	for i, f := range found {
		if insideLonger(found, i) {
			continue // 河南 in 河南省, 安阳 in 安阳市, 河口 in 河口镇
		}
		for _, id := range f.Name.Units {
			if u := g.Unit(id); u.Level != divisions.Township && (f.Name.Form == divisions.FullName || f.Name.Form == divisions.Variant || len([]rune(f.Name.Text)) >= 2) {
				add(u)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	words := latinWord.FindAllStringIndex(text, -1)
	for i := range words {
		for n := 1; n <= 2 && i+n < len(words); n++ {
			kind := strings.ToLower(text[words[i+n][0]:words[i+n][1]])
			lv := divisions.Level(0)
			switch kind {
			case "county", "district", "counties", "districts":
				lv = divisions.County
			case "city", "prefecture":
				lv = divisions.City
			case "province":
				lv = divisions.Province
			}
			if lv == 0 {
				continue
			}
			var py strings.Builder
			for _, w := range words[i : i+n] {
				py.WriteString(strings.ToLower(trimPossessive(text[w[0]:w[1]])))
			}
			for _, u := range g.Pinyin(py.String()) {
				if u.Level == lv || (lv == divisions.City && u.Level == divisions.County && strings.HasSuffix(u.Name, "市")) {
					add(u)
				}
			}
		}
	}
	return out
}

// insideLonger reports whether found[i] lies inside a longer name found.
func insideLonger(found []divisions.Found, i int) bool {
	f := found[i]
	for j, o := range found {
		if j != i && o.Start <= f.Start && f.End <= o.End && o.End-o.Start > f.End-f.Start {
			return true
		}
	}
	return false
}

// inArea reports whether a stored unit lies in area, by its division code
// or, for a unit the gazetteer did not settle, by the county, city or
// province its report states.
func inArea(tn townName, area divisions.Unit) bool {
	if tn.code != "" {
		return strings.HasPrefix(tn.code, area.Code) && tn.code != area.Code
	}
	switch area.Level {
	case divisions.County:
		return tn.county == area.Name && tn.full != area.Name
	case divisions.City:
		return tn.city == area.Name
	case divisions.Province:
		return tn.province == area.Name
	}
	return false
}

// areaScope returns the stored units in the areas a question names when it
// asks across an area's units, in stored order.
func areaScope(text string, towns []townName) ([]string, bool) {
	if !areaAsked(text) {
		return nil, false
	}
	areas := areaNamed(text)
	if len(areas) == 0 {
		return nil, false
	}
	// The narrowest area named decides: 重庆市綦江区各镇 is 綦江区.
	sort.SliceStable(areas, func(i, j int) bool { return areas[i].Level > areas[j].Level })
	// 各镇, 各街道, which towns ask about townships: a county's own
	// report is none of them (各单位 asks about every unit).
	townsOnly := !containsAny(text, "各单位", "哪个单位", "所有单位")
	var out []string
	for _, tn := range towns {
		if townsOnly && tn.countyLevel {
			continue
		}
		if inArea(tn, areas[0]) {
			out = append(out, tn.full)
		}
	}
	return out, true
}

// gazetteerPlace returns a unit the question names that the gazetteer
// knows, as the refusal names it: "东溪镇（重庆市綦江区）", or with several
// namesakes "东溪镇（重庆市綦江区、重庆市忠县、四川省苍溪县）". Areas the
// question also names narrow namesakes down. ok is false when the
// question names no gazetteer unit.
func gazetteerPlace(text, lang string) (string, []string, bool) {
	g := divisions.Default()
	var cands []divisions.Unit
	name := ""
	for _, f := range g.Find(text) {
		if f.Name.Form == divisions.ShortForm || f.Name.Form == divisions.Weak {
			continue
		}
		u := g.Unit(f.Name.Units[0])
		if u.Level != divisions.Township && u.Level != divisions.County {
			continue
		}
		if name == "" || len(f.Name.Text) > len(name) || (u.Level == divisions.Township && g.Unit(cands[0].ID).Level != divisions.Township) {
			name, cands = f.Name.Text, g.Named(f.Name.Text)
		}
	}
	if name == "" && lang == "en" {
		name, cands = pinyinPlace(text)
	}
	if name == "" {
		return "", nil, false
	}
	var kept []divisions.Unit
	for _, u := range cands {
		if u.Level == divisions.Township || u.Level == divisions.County {
			kept = append(kept, u)
		}
	}
	if areas := areaNamed(strings.ReplaceAll(text, name, " ")); len(areas) > 0 {
		var in []divisions.Unit
		for _, u := range kept {
			for _, a := range areas {
				if g.Within(u, a) && u.ID != a.ID {
					in = append(in, u)
					break
				}
			}
		}
		if len(in) > 0 {
			kept = in
		}
	}
	if lang == "en" && len(kept) > 1 {
		lower := strings.ToLower(text)
		var in []divisions.Unit
	units:
		for _, u := range kept {
			p := g.PathOf(u)
			for _, a := range []string{p.County, p.City} {
				for _, au := range g.Named(a) {
					if py := pinyinForms(au.Short); au.Short != "" && len(py) > 0 && len(py[0]) >= 4 && containsWord(lower, py[0]) {
						in = append(in, u)
						continue units
					}
				}
			}
		}
		if len(in) > 0 {
			kept = in
		}
	}
	var codes []string
	for _, u := range kept {
		codes = append(codes, u.Code)
	}
	var where []string
	for i, u := range kept {
		if i == 4 {
			where = append(where, say(lang, "等", "…"))
			break
		}
		p := g.PathOf(u)
		w := p.Province
		if p.City != p.Province {
			w += p.City
		}
		if u.Level == divisions.Township {
			w += p.County
		}
		where = append(where, w)
	}
	if len(where) == 0 {
		return name, codes, true
	}
	return name + "（" + strings.Join(where, "、") + "）", codes, true
}

// pinyinPlace reads a unit named in pinyin and an English kind word:
// "Dongxi town" (镇), "Lizi township" (乡), "Jinlong subdistrict" (街道),
// "Haidian district" (区), "Xun county" (县).
func pinyinPlace(text string) (string, []divisions.Unit) {
	g := divisions.Default()
	words := latinWord.FindAllStringIndex(text, -1)
	for i := range words {
		for n := 1; n <= 3 && i+n < len(words); n++ {
			kind := strings.ToLower(text[words[i+n][0]:words[i+n][1]])
			var sufs []string
			switch kind {
			case "town":
				sufs = []string{"镇"}
			case "township":
				sufs = []string{"乡"}
			case "subdistrict", "street":
				sufs = []string{"街道"}
			case "district":
				sufs = []string{"区"}
			case "county":
				sufs = []string{"县", "自治县"}
			default:
				continue
			}
			var py strings.Builder
			for _, w := range words[i : i+n] {
				py.WriteString(strings.ToLower(trimPossessive(text[w[0]:w[1]])))
			}
			if !mayBePinyin(py.String()) {
				continue // "which town", "each town": no place's pinyin
			}
			var hits []divisions.Unit
			for _, u := range g.Pinyin(py.String()) {
				for _, s := range sufs {
					if strings.HasSuffix(u.Name, s) && (u.Level == divisions.Township || u.Level == divisions.County) {
						hits = append(hits, u)
						break
					}
				}
			}
			if len(hits) > 0 {
				name := hits[0].Name
				var same []divisions.Unit
				for _, u := range hits {
					if u.Name == name {
						same = append(same, u)
					}
				}
				return name, same
			}
		}
	}
	return "", nil
}

// storedByCode returns the one stored unit linked to one of these
// gazetteer codes.
func storedByCode(towns []townName, codes []string) (string, bool) {
	hit := ""
	for _, tn := range towns {
		if tn.code != "" && contains(codes, tn.code) {
			if hit != "" && hit != tn.full {
				return "", false
			}
			hit = tn.full
		}
	}
	return hit, hit != ""
}

// namesTownOutside reports whether the question named a stored unit of
// township level: then it asks about that unit, not across an area.
func namesTownOutside(named []string, towns []townName) bool {
	for _, n := range named {
		for _, tn := range towns {
			if tn.full == n && !isCountyName(n) {
				return true
			}
		}
	}
	return false
}

func isCountyName(n string) bool {
	for _, u := range divisions.Default().Named(n) {
		if u.Name == n && u.Level == divisions.County {
			return true
		}
	}
	return false
}

// gazetteerArea names the narrowest area a question names, for a refusal.
func gazetteerArea(text, lang string) (string, bool) {
	areas := areaNamed(text)
	if len(areas) == 0 {
		return "", false
	}
	sort.SliceStable(areas, func(i, j int) bool { return areas[i].Level > areas[j].Level })
	return areas[0].Name, true
}

// nearTowns returns the stored units nearest to the gazetteer units with
// these codes: those of the same county, else of the same city, else of
// the same province; nil when none is that near.
func nearTowns(towns []townName, codes []string) []string {
	for _, n := range []int{6, 4, 2} {
		var out []string
		for _, tn := range towns {
			for _, code := range codes {
				if len(code) >= n && len(tn.code) >= n && tn.code[:n] == code[:n] && tn.code != code {
					out = append(out, tn.full)
					break
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// mayBePinyin says whether s, lower-case letters, can be read as toneless
// pinyin syllables one after another ("yumen", "dazhongzhuang"): a word
// that cannot ("which", "each") names no place in pinyin, and looking it
// up would build the gazetteer's pinyin index for nothing. A string with
// other characters may be pinyin as far as this knows.
func mayBePinyin(s string) bool {
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return true
		}
	}
	syl := pinyinSyllables()
	// can[i]: s[:i] is syllables one after another.
	can := make([]bool, len(s)+1)
	can[0] = true
	for i := 1; i <= len(s); i++ {
		for j := max(0, i-maxSyllable); j < i && !can[i]; j++ {
			can[i] = can[j] && syl[s[j:i]]
		}
	}
	return can[len(s)]
}

// maxSyllable is the length of the longest pinyin syllable ("chuang").
const maxSyllable = 6

// pinyinSyllables are the toneless syllables go-pinyin reads Han
// characters as (TestPinyinSyllables keeps the list equal to them).
var pinyinSyllables = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, s := range strings.Fields(pinyinSyllableList) {
		out[s] = true
	}
	return out
})

const pinyinSyllableList = `
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie
bin bing bo bong bu ca cai can cang cao ce cei cen ceng cha chai chan
chang chao che chen cheng chi chong chou chu chua chuai chuan chuang
chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de
den deng di dian diao die din ding diu dong dou du duan dui dun duo e
ei en eng er fa fan fang fei fen feng fiao fo fou fu ga gai gan gang
gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai
han hang hao he hei hen heng hm hong hou hu hua huai huan huang hui
hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun
ka kai kan kang kao ke ken keng kong kou ku kua kuai kuan kuang kui
kun kuo la lai lan lang lao le lei leng li lia lian liang liao lie lin
ling liu lo long lou lu luan lun luo lv lve m ma mai man mang mao me
mei men meng mi mian miao mie min ming miu mo mou mu n na nai nan nang
nao ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu
nuan nun nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao
pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu
qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui
run ruo sa sai san sang sao se sen seng sha shai shan shang shao she
shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song
sou su suan sui sun suo ta tai tan tang tao te teng ti tian tiao tie
ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wong
wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya
yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan
zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhen zheng zhi
zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu
zuan zui zun zuo
`
