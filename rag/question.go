package rag

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"

	"fazhi/divisions"
	"fazhi/ingest"
)

// Question kinds.
const (
	KindCount   = "count"   // 多少, how many
	KindRate    = "rate"    // 成功率, percentage
	KindWho     = "who"     // 谁
	KindWhen    = "when"    // 何时, 什么时候
	KindWhat    = "what"    // 什么, 哪些, list
	KindCompare = "compare" // 哪个镇最多, A和B分别
)

// Query is a question taken apart: where and when it asks about, what
// kind of answer it wants, and the Chinese terms to look for.
type Query struct {
	Text        string
	Lang        string   // "zh" or "en"
	Towns       []string // stored towns the question names
	UnknownTown string   // a place the question names that no stored report is about
	ReportIDs   []string // when set, the reports in scope (a place found only in titles)
	Area        bool     // Towns are every stored unit of a county, city or province the question names
	Near        []string // for an UnknownTown the gazetteer knows: the stored units nearest to it
	Year        int
	Kind        string
	Units       []string // acceptable units for the figure asked for; nil = any
	Groups      []TermGroup
	Aggregate   string // "", "max", "min", "list", "total"
	Meta        string // "", "date", "doc_number", "county", "title", "issuer", "addressee": asks about the report itself
	Metric      string // the domain metric the question asks for, when recognisable
}

// TermGroup is one thing the question mentions, with the Chinese forms it
// may take in a report; a text matches the group through its best form.
type TermGroup struct {
	Forms  []string
	From   string  // the question words it came from
	Weight float64 // relative importance; 0 means 1
	Focus  bool    // stands right next to the question word: what is counted or done
}

// unitWords are English glossary entries that mostly name the unit a
// figure is counted in.
var unitWords = map[string]bool{"case": true, "cases": true, "person": true, "people": true, "time": true, "times": true, "session": true, "sessions": true, "item": true, "items": true}

// townName pairs a stored town with the ways a question may name it.
type townName struct {
	full        string
	short       string   // without its 镇/乡/街道 suffix
	pinyins     []string // lower-case, no spaces: "yumen", "yumenzhen"
	county      string   // its county when a report states it: 永丰县 (also stripped from questions)
	city        string   // its city and province, from the gazetteer
	province    string
	code        string   // its division code when settled
	countyLevel bool     // a county's or district's own report
	aliases     []string // short forms its reports' own texts use: 广内街道 for 广安门内街道
}

// ethnicRe matches the ethnic groups named in a 民族乡's name.
var ethnicRe = regexp.MustCompile(`(?:(?:蒙古|维吾尔|土家|哈萨克|傈僳|拉祜|东乡|纳西|景颇|柯尔克孜|布依|达斡尔|仫佬|仡佬|锡伯|鄂温克|鄂伦春|赫哲|[彝藏回苗壮满侗瑶白傣黎佤畲水羌土朝])族)+$`)

var (
	yearInQ = regexp.MustCompile(`((?:19|20)\d{2})\s*年?`)
	// scopeWords say which towns a question ranges over, not what it
	// asks about: "所有镇", "各街道", "哪个乡镇", "全县各镇（街道）". Kept as
	// terms they would ask every sentence for 所有 or 镇调 ("哪个镇调解").
	scopeWords = regexp.MustCompile(`(?:全[县区市省])?(?:各个|各|所有|每个|每一个|哪个|哪一个|哪些)(?:乡镇|镇街|镇|乡|街道)(?:[（(]街道[)）])?`)
	unknownZh  = regexp.MustCompile(`([\p{Han}]{2,4}?)(镇|乡|街道)`)
	latinWord  = regexp.MustCompile(`[A-Za-z]+(?:['’][A-Za-z]*)?`)
)

var notTownPrefix = map[string]bool{"各": true, "哪个": true, "哪": true, "全": true, "本": true, "我": true, "该": true, "每个": true, "所有": true, "城": true, "乡": true, "村": true, "两个": true, "几个": true, "那个": true, "这个": true, "其他": true, "其它": true}

func makeTownNames(towns []string) []townName {
	out := make([]townName, 0, len(towns))
	for _, t := range towns {
		if t == "" {
			continue
		}
		tn := townName{full: t, short: t}
		for _, suf := range []string{"街道办事处", "街道", "镇", "乡"} {
			if strings.HasSuffix(t, suf) && len([]rune(t)) > len([]rune(suf))+1 {
				tn.short = strings.TrimSuffix(t, suf)
				break
			}
		}
		if tn.short == t {
			// A county-level report's unit: 海淀区 → 海淀, 浚县 stays whole.
			if s := divisions.ShortName(t, divisions.County); s != "" {
				tn.short = s
			}
		}
		// A 民族乡 goes by its place name alone: 普坪彝族乡 → 普坪.
		if m := ethnicRe.FindStringIndex(tn.short); m != nil && m[0] >= 6 && m[1] == len(tn.short) {
			tn.short = tn.short[:m[0]]
		}
		for _, p := range pinyinForms(tn.short) {
			tn.pinyins = append(tn.pinyins, p)
		}
		for _, p := range pinyinForms(t) {
			tn.pinyins = append(tn.pinyins, p)
		}
		// A one-character county goes by its character and its kind in
		// English: 浚县 is "Xun county", 城区 "Cheng district".
		if rs := []rune(t); len(rs) == 2 && tn.short == t && (rs[1] == '县' || rs[1] == '区') {
			kind := map[rune]string{'县': "county", '区': "district"}[rs[1]]
			for _, p := range pinyinForms(string(rs[0])) {
				tn.pinyins = append(tn.pinyins, p+kind)
			}
		}
		out = append(out, tn)
	}
	return out
}

// pinyinForms lists the toneless pinyin spellings of a Han name, one per
// combination of readings of heteronyms (bounded).
func pinyinForms(s string) []string {
	a := pinyin.NewArgs()
	a.Heteronym = true
	forms := []string{""}
	for _, readings := range pinyin.Pinyin(s, a) {
		if len(readings) == 0 {
			return nil
		}
		var next []string
		for _, f := range forms {
			for i, r := range readings {
				if i >= 3 {
					break
				}
				next = append(next, f+r)
			}
		}
		if len(next) > 32 {
			next = next[:32]
		}
		forms = next
	}
	return forms
}

func detectLang(s string) string {
	han := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			han++
		}
	}
	// A Latin word carries about as much as two Han characters.
	if words := len(latinWord.FindAllString(s, -1)); words >= 2 && 2*words > han {
		return "en"
	}
	return "zh"
}

// analyse takes a question apart against the towns present in the store.
func analyse(text string, towns []townName, g *Glossary) Query {
	q := Query{Text: text, Lang: detectLang(text)}
	lower := strings.ToLower(text)
	// Towns: full or short Chinese name, or a pinyin spelling.
	seen := map[string]bool{}
	addTown := func(t string) {
		if !seen[t] {
			seen[t] = true
			q.Towns = append(q.Towns, t)
		}
	}
	type pos struct {
		at   int
		town string
	}
	var found []pos
	for _, tn := range towns {
		if i := strings.Index(text, tn.full); i >= 0 {
			found = append(found, pos{i, tn.full})
		} else if len([]rune(tn.short)) >= 2 && tn.short != tn.full && strings.Contains(text, tn.short) {
			found = append(found, pos{strings.Index(text, tn.short), tn.full})
		} else {
			for _, a := range tn.aliases {
				if i := strings.Index(text, a); i >= 0 {
					found = append(found, pos{i, tn.full})
					break
				}
			}
		}
	}
	words := latinWord.FindAllStringIndex(text, -1)
	for i := range words {
		for n := 1; n <= 3 && i+n <= len(words); n++ {
			var joined strings.Builder
			for _, w := range words[i : i+n] {
				joined.WriteString(strings.ToLower(trimPossessive(text[w[0]:w[1]])))
			}
			j := joined.String()
			for _, tn := range towns {
				for _, p := range tn.pinyins {
					if j == p {
						found = append(found, pos{words[i][0], tn.full})
					}
				}
			}
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].at < found[j].at })
	for _, f := range found {
		addTown(f.town)
	}
	if len(q.Towns) > 1 {
		q.Towns = byCounty(text, q.Towns, towns)
	}
	if scope, ok := areaScope(text, towns); ok && !namesTownOutside(q.Towns, towns) {
		// "綦江区各镇…", "重庆市哪个镇…最多": every stored unit of the area.
		q.Towns, q.Area = scope, true
		if len(scope) == 0 {
			q.UnknownTown, _ = gazetteerArea(text, q.Lang)
		}
	}
	if len(q.Towns) == 0 && q.UnknownTown == "" {
		if p, codes, ok := gazetteerPlace(text, q.Lang); ok {
			if t, ok := storedByCode(towns, codes); ok {
				// The report names its unit otherwise than the gazetteer
				// (北城街街道 for 北城街道, 银杏大街街道 for
				// 开发区银杏大街街道): the same unit by its code.
				q.Towns = []string{t}
			} else {
				q.UnknownTown, q.Near = p, nearTowns(towns, codes)
			}
		} else {
			q.UnknownTown = unknownPlace(text, q.Lang, g)
		}
	}
	if m := yearInQ.FindStringSubmatch(text); m != nil {
		q.Year, _ = strconv.Atoi(m[1])
	}
	q.Kind, q.Units = kindOf(text, lower, q.Lang)
	q.Aggregate = aggregateOf(text, lower, len(q.Towns))
	if q.Aggregate == "" && len(q.Towns) == 1 && q.Year == 0 && (q.Kind == KindCount || q.Kind == KindRate) && acrossYears(text, lower) {
		q.Aggregate = "list" // "渔门镇历年普法活动场次": the town's figure in each year
	}
	if q.Aggregate != "" && q.Kind != KindCount && q.Kind != KindRate && (q.Aggregate != "list" || containsAny(text, "数量", "数字", "多少", "几") || containsAny(lower, "number", "figure", "how many", "how much")) {
		q.Kind = KindCount
	}
	q.Meta = metaOf(text, lower)
	q.Groups = termGroups(text, q, towns, g)
	if q.Kind == KindCount || q.Kind == KindRate {
		mt := stripTowns(text, towns)
		if q.Lang == "en" {
			var b strings.Builder
			for _, g := range q.Groups {
				b.WriteString(g.Forms[0])
			}
			mt = b.String()
		}
		q.Metric = ingest.MetricFor(mt)
	}
	return q
}

// byCounty narrows towns that share a name ("Qingxi": 青溪乡 and 清溪镇)
// to those whose county the question names, in Chinese or pinyin
// ("永丰清溪镇", "Qingxi Town in Yongfeng"). With no county named, or none
// matching, all stay.
func byCounty(text string, names []string, towns []townName) []string {
	lower := strings.ToLower(text)
	var kept []string
	for _, n := range names {
		for _, tn := range towns {
			if tn.full != n || tn.county == "" {
				continue
			}
			short := tn.county
			for _, suf := range []string{"自治县", "县", "区", "市", "旗"} {
				if strings.HasSuffix(short, suf) && len([]rune(short)) > len([]rune(suf)) {
					short = strings.TrimSuffix(short, suf)
					break
				}
			}
			named := strings.Contains(text, tn.county) || (len([]rune(short)) >= 2 && strings.Contains(text, short))
			for _, p := range pinyinForms(short) {
				if len(p) >= 4 && containsWord(lower, p) {
					named = true
				}
			}
			if named {
				kept = append(kept, n)
			}
		}
	}
	if len(kept) == 0 {
		return names
	}
	return kept
}

// unknownPlace returns a place name the question asks about that is not
// a stored town: "黄桷镇", or a capitalised English word that is no
// domain term ("Huangjue").
func unknownPlace(text, lang string, g *Glossary) string {
	for _, m := range unknownZh.FindAllStringSubmatch(text, -1) {
		name := m[1]
		// Trim leading function words and the end of a date: "在黄桷镇"
		// → "黄桷", "2021年鱼复街道" → "鱼复".
		for _, p := range []string{"在", "对", "于", "和", "与", "及", "为", "是", "那", "年", "度", "月", "日"} {
			name = strings.TrimPrefix(name, p)
		}
		if len([]rune(name)) < 2 || notTownPrefix[name] {
			continue
		}
		if strings.ContainsAny(name, "各哪全本我该每所其") || !ingest.LooksLikeUnitName(name+m[2]) {
			continue // "不断强化镇" is no place
		}
		return name + m[2]
	}
	if lang != "en" {
		return ""
	}
	words := latinWord.FindAllStringIndex(text, -1)
	for i, w := range words {
		word := trimPossessive(text[w[0]:w[1]])
		if i == 0 || word == "" || !unicode.IsUpper([]rune(word)[0]) {
			continue
		}
		lw := strings.ToLower(word)
		if englishStop[lw] || (g != nil && len(g.Terms(lw)) > 0) {
			continue
		}
		return word
	}
	return ""
}

// trimPossessive drops an English possessive: "Yumen's" → "Yumen".
func trimPossessive(w string) string {
	for _, suf := range []string{"'s", "’s", "'"} {
		if strings.HasSuffix(strings.ToLower(w), suf) {
			return w[:len(w)-len(suf)]
		}
	}
	return strings.ReplaceAll(w, "'", "")
}

var englishStop = map[string]bool{
	"i": true, "what": true, "how": true, "which": true, "who": true, "when": true, "where": true, "why": true,
	"town": true, "township": true, "county": true, "district": true, "village": true, "subdistrict": true, "street": true,
	"china": true, "chinese": true, "party": true, "cpc": true, "communist": true, "people's": true, "peoples": true,
	"government": true, "report": true, "the": true, "in": true, "did": true, "does": true, "do": true,
	"constitution": true, "civil": true, "code": true, "january": true, "february": true, "march": true, "april": true,
	"may": true, "june": true, "july": true, "august": true, "september": true, "october": true, "november": true, "december": true,
}

func kindOf(text, lower, lang string) (string, []string) {
	if asksFrequency(text, lower) || asksWeekday(text, lower) || asksOrdinal(text, lower) {
		return KindWhat, nil // "多长时间…一次": 每半年, "第几次": 第18次; a phrase, not a count
	}
	units := unitsAsked(text, lower)
	switch {
	case strings.Contains(text, "率") && containsAny(text, "多少", "是多少", "几"), containsAny(lower, "rate", "percentage", "percent", "proportion", "ratio", "what coverage", "what share"):
		return KindRate, []string{"%"}
	case containsAny(text, "多少", "几个", "几名", "几次", "几场", "几项", "几件", "几位", "几人", "几家", "几所"), containsAny(lower, "how many", "how much", "number of", "how long", "minimum", "maximum", "total"):
		return KindCount, units
	case containsAny(text, "谁", "哪位", "什么人", "姓名", "名字"), containsAny(lower, "who ", "who's", "whom", "name of the"):
		return KindWho, nil
	case containsAny(text, "何时", "什么时候", "哪一天", "哪天", "时间是"), containsAny(strings.ReplaceAll(text, "日期间", ""), "日期"), strings.HasPrefix(lower, "when"), containsAny(lower, " date", "what day", "when does", "when did", "when do ", "when is", "when was", "when were", "when are", "when will"):
		return KindWhen, nil
	}
	// A unit without a question word asks a figure in Chinese ("罚款金额",
	// "多少"-less "人数" forms) and in English only for sums, hours and
	// changes ("What was the amount of fines…", "By how much…"): an English
	// noun such as "cadres" or "meetings" names what a question is about,
	// not that it asks for a count.
	if units != nil && (lang != "en" || contains(units, "元") || contains(units, "小时") || contains(units, "%")) {
		return KindCount, units
	}
	if t := strings.TrimRight(text, "？?。 "); containsAny(t, "数量", "总数", "人数", "次数", "件数", "场次数") || strings.HasSuffix(t, "数") {
		return KindCount, nil // "12345工单数": a figure, though no 多少
	}
	return KindWhat, nil
}

// unitsAsked maps the measure word a question asks with onto the units a
// report may state the figure in.
func unitsAsked(text, lower string) []string {
	zh := []struct {
		words []string
		units []string
	}{
		{[]string{"多少元", "多少万元", "多少钱", "金额", "罚款多少", "多少资金"}, []string{"元", "万元"}},
		{[]string{"多少小时", "几个小时", "几小时"}, []string{"小时"}},
		{[]string{"多少件次"}, []string{"件次", "件", "起", "宗"}},
		{[]string{"多少件", "多少起", "多少宗", "几件", "几起", "几宗"}, []string{"件", "起", "宗", "件次", "批次"}},
		{[]string{"多少人次"}, []string{"人次", "人"}},
		{[]string{"多少人", "多少名", "多少位", "几名", "几人", "几位"}, []string{"人", "名", "位", "人次"}},
		{[]string{"多少场次"}, []string{"场次", "场", "次", "期"}},
		{[]string{"多少次", "多少场", "多少期", "几次", "几场", "几期", "多少回"}, []string{"次", "场", "期", "场次", "次数", "回"}},
		{[]string{"多少项", "几项"}, []string{"项", "个", "条", "件"}},
		{[]string{"多少份", "多少册", "多少本"}, []string{"份", "册", "本", "张"}},
		{[]string{"多少幅", "多少条", "多少张", "多少块"}, []string{"幅", "条", "张", "块", "处"}},
		{[]string{"多少户"}, []string{"户", "户次"}},
		{[]string{"多少个", "几个", "多少家", "几家", "多少所", "几所"}, []string{"个", "家", "所", "村", "处", "支", "名", "人", "项"}},
	}
	for _, u := range zh {
		if containsAny(text, u.words...) {
			return u.units
		}
	}
	switch {
	case containsAny(text, "欠薪", "工资", "资金", "经费", "金额", "罚没", "款项", "多少钱"):
		return []string{"元", "万元"}
	case containsAny(text, "同比", "增长", "下降", "提高", "减少", "上升", "增幅", "降幅") && containsAny(text, "多少", "几"):
		return []string{"%"} // "信访同比下降多少": a change, in percent
	}
	en := []struct {
		words []string
		units []string
	}{
		{[]string{"hour"}, []string{"小时"}},
		{[]string{"yuan", "rmb", "fine", "fines", "how much money", "amount", "spend", "spent", "cost", "expenditure", "budget", "funding", "wage", "arrears", "compensation", "losses", "recovered"}, []string{"元", "万元"}},
		{[]string{"people", "persons", "person", "mediators", "advisers", "advisors", "lawyers", "staff", "employees", "officials", "cadres", "members", "holders", "participants", "attendees"}, []string{"人", "名", "位", "人次"}},
		{[]string{"times", "sessions", "lectures", "meetings", "trainings", "events", "activities", "courses", "classes"}, []string{"次", "场", "期", "场次", "回"}},
		{[]string{"cases", "disputes", "petitions", "conflicts", "calls", "violations", "complaints", "letters", "matters"}, []string{"件", "起", "宗", "件次", "批次"}},
		{[]string{"copies", "leaflets", "materials", "brochures"}, []string{"份", "册", "本", "张"}},
		{[]string{"banners", "slogans", "posters"}, []string{"幅", "条", "张"}},
		{[]string{"items", "procedures", "processes"}, []string{"项", "个", "条"}},
		{[]string{"villages", "communities", "organizations", "organisations", "rooms", "stations", "centres", "centers"}, []string{"个", "村", "家", "处"}},
	}
	if containsAny(lower, "by how much", "by what percentage", "by what percent") || (containsAny(lower, "grow", "increase", "decrease", "decline", "drop", "fall", "fell", "rise", "rose") && containsAny(lower, "how much", "what percentage", "percent")) {
		return []string{"%"} // a change, in percent
	}
	for _, u := range en {
		for _, w := range u.words {
			if containsWord(lower, w) {
				return u.units
			}
		}
	}
	return nil
}

// containsWord reports whether phrase stands in text as whole words:
// "yuan" is not in "Weiyuan". A phrase's own leading or trailing space
// already marks the boundary there.
func containsWord(text, phrase string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], phrase)
		if j < 0 {
			return false
		}
		at := i + j
		end := at + len(phrase)
		before := at == 0 || !isLatinLetter(text[at-1]) || phrase[0] == ' '
		after := end == len(text) || !isLatinLetter(text[end]) || phrase[len(phrase)-1] == ' ' ||
			// plural or inflected forms of a stem: "hours", "disputes"
			(end < len(text) && (text[end] == 's' || text[end] == 'e'))
		if before && after {
			return true
		}
		i = at + 1
	}
}

func isLatinLetter(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }

func aggregateOf(text, lower string, towns int) string {
	switch {
	case containsAny(text, "最多", "最高", "最大", "最长", "哪个高", "哪个多", "谁高", "谁多", "更高", "更多", "较高", "较多"), containsAny(lower, "the most", "the highest", "the largest", "most ", "highest", "higher", "more "):
		if towns != 1 {
			return "max"
		}
	case containsAny(text, "最少", "最低", "最小", "最短", "哪个低", "哪个少", "更低", "更少", "较低", "较少"), containsAny(lower, "the fewest", "the least", "the lowest", "fewest", "lowest", "lower", "fewer"):
		if towns != 1 {
			return "min"
		}
	}
	if towns == 1 {
		return ""
	}
	switch {
	case containsAny(text, "合计", "一共", "总共", "总计", "加起来", "共计", "总数", "总和"), containsAny(lower, "in total", "altogether", "combined", "total", "sum"):
		if towns != 1 {
			return "total"
		}
	case towns >= 2, containsAny(text, "各镇", "各乡", "各街道", "每个镇", "每个乡", "所有镇", "各个镇", "分别", "对比", "比较", "列出", "哪些镇", "哪个镇", "哪个乡", "各地"), containsAny(lower, "each town", "every town", "all towns", "each township", "compare", "list ", "which town", "which township", "respectively", "per town"):
		return "list"
	}
	return ""
}

// acrossYears says whether a question follows a figure over the years
// ("历年", "各年", "每一年", "over the years").
func acrossYears(text, lower string) bool {
	return containsAny(text, "历年", "各年", "逐年", "每一年", "各个年度", "各年度", "这几年", "近几年") ||
		containsAny(lower, "over the years", "year by year", "by year")
}

func metaOf(text, lower string) string {
	asksReport := containsAny(text, "报告", "文件", "落款", "印发", "发布", "成文") || containsAny(lower, "report", "issued", "document")
	if containsAny(text, "通知", "依据", "根据", "引用", "规定", "意见", "方案", "纲要", "计划", "细则", "办法") || containsAny(lower, "notice", "cited", "based on", "according to") || containsAnyWord(lower, docNounsEn) {
		return "" // about a document the report cites, not the report
	}
	switch {
	case containsAny(text, "名义", "联名", "哪两个机关", "哪两个机构", "哪个机关", "发文机关", "署名", "落款单位") || asksReport && containsAny(text, "由谁", "谁提交", "谁报送", "谁发布", "谁印发") ||
		containsAny(lower, "in the name of", "on behalf of", "issued by", "jointly", "which organs", "which bodies", "who submitted", "who issued"):
		return "issuer"
	case asksReport && containsAny(text, "呈报给", "报送给", "报给谁", "向谁报告", "呈送", "主送", "报告对象", "提交给", "报送对象") ||
		containsAny(lower, "submitted to", "addressed to", "sent to", "reported to") || containsAny(lower, "to whom", "addressee") && containsAny(lower, "report", "addressed", "submitted"):
		return "addressee"
	case containsAny(text, "文号", "发文字号", "文件编号", "签发人") || containsAny(lower, "document number", "reference number", "doc number"):
		return "doc_number"
	case asksReport && (containsAny(text, "什么时候", "何时", "哪天", "哪一天", "时间") || containsAny(strings.ReplaceAll(text, "日期间", ""), "日期") || containsAny(lower, "when", " date")):
		return "date"
	case containsAny(text, "哪个县", "哪个区", "所属县", "所属区", "属于哪", "隶属") || containsAny(lower, "which county", "which district", "what county", "what district"):
		return "county"
	case containsAny(text, "标题", "题目") || containsAny(lower, "title"):
		return "title"
	}
	return ""
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// zhFiller are question words and fillers removed before terms are made.
var zhFiller = []string{
	"请问", "啥", "咋", "叫什么名字", "叫什么", "名字", "姓名", "是多少", "有多少", "多少", "是什么", "什么", "有哪些", "哪些", "哪个", "哪里", "哪", "是谁", "谁",
	"怎么样", "怎样", "如何", "是否", "有没有", "几个", "几", "吗", "呢", "呀", "啊", "么",
	"一共", "总共", "共计", "合计", "分别", "那么", "那", "请", "给出", "告诉我", "列出",
	"全年", "年度", "今年", "一年来", "期间", "以来", "的", "了", "过", "在", "有", "是", "共", "和", "与", "及", "都",
	"最多", "最少", "最高", "最低", "对比", "比较", "相比", "哪个高", "哪个多", "哪个低", "哪个少", "更高", "更多", "更低", "更少", "较高", "较低",
	"什么程度", "程度", "方面", "情况", "需要", "应当", "应该", "至少要", "要", "由", "被", "把", "将",
	// Every report is about this: it tells no passage from another.
	"法治政府建设", "法治建设", "法治政府",
}

// keepWords hold a filler character but are words of their own: removing
// 在 must not turn 存在 into 存.
var keepWords = []string{
	"存在", "所在", "正在", "现在", "在职", "有关", "有效", "所有", "没有", "具有", "持有", "拥有", "享有",
	"共同", "公共", "和谐", "和解", "及时", "以及", "要求", "重要", "主要", "必要", "要点", "由于", "自由",
	"被告", "将来", "把关", "目的", "的确", "是否", "但是", "还是", "就是", "了解", "为了", "除了", "有序",
	"有力", "有待", "都市", "首都", "共建", "共享", "总共", "中共", "共青团", "涉及", "以及",
	"聘请", "申请", "邀请", "提请", "请示", "请求", "报请",
}

// removeFillers blanks out question words and fillers, sparing the words
// that merely contain one. It is linear in the text: each kept word is
// swapped for a mark of its own in one pass, and back at the end.
func removeFillers(s string) string {
	const mark = '\uE000' // private use: never in a report
	for i, w := range keepWords {
		s = strings.ReplaceAll(s, w, string(mark+rune(i)))
	}
	for _, f := range zhFiller {
		s = strings.ReplaceAll(s, f, " ")
	}
	for i, w := range keepWords {
		s = strings.ReplaceAll(s, string(mark+rune(i)), w)
	}
	return s
}

// termGroups makes the term groups of a question: for a Chinese question
// the runs of Han characters left after town names, years and question
// words are removed; for an English one the glossary's Chinese forms of
// the domain phrases it contains.
func termGroups(text string, q Query, towns []townName, g *Glossary) []TermGroup {
	if q.Lang == "en" {
		var out []TermGroup
		if g != nil {
			focusAt := englishAskEnd(text)
			for _, m := range g.Terms(text) {
				var forms []string
				for _, f := range m.Chinese {
					if len([]rune(f)) > 1 && !genericForms[f] {
						forms = append(forms, f)
					}
				}
				if len(forms) > 0 {
					w := 1.0
					if unitWords[m.English] {
						w = 0.3 // "cases", "people": mostly says what is counted in
					}
					tg := TermGroup{Forms: forms, From: m.English, Weight: w}
					if focusAt >= 0 && m.Start >= focusAt && !unitWords[m.English] && countedNext(text[focusAt:m.Start]) {
						tg.Focus, focusAt = true, -1 // the first thing counted after "how many"
					}
					out = append(out, tg)
				}
			}
		}
		// Han text inside an English question counts too.
		for _, seg := range hanSegments(stripTowns(text, towns)) {
			out = append(out, TermGroup{Forms: []string{seg}, From: seg})
		}
		return out
	}
	s := stripTowns(text, towns)
	s = scopeWords.ReplaceAllString(s, " ")
	s = yearInQ.ReplaceAllString(s, " ")
	s = howManyRe.ReplaceAllString(s, string(askMark))
	s = removeFillers(s)
	// Measure words right after 多少 were removed with it; a lone
	// character left is a function word or a measure word.
	var out []TermGroup
	var cur []rune
	lastAsk, broken := -1, true // index of the group before which the question word stands
	flush := func() {
		if len(cur) > 1 {
			tg := TermGroup{Forms: []string{string(cur)}, From: string(cur)}
			if lastAsk >= 0 && !broken {
				tg.Focus = true // right after the question word: 多少[矛盾纠纷]
			}
			out = append(out, tg)
			lastAsk = -1
		}
		cur = cur[:0]
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			if len(cur) == 0 && lastAsk < 0 {
				broken = false
			}
			cur = append(cur, r)
		case r == askMark:
			flush()
			if n := len(out); n > 0 && !broken {
				out[n-1].Focus = true // right before it: [覆盖]多少人次
			}
			lastAsk, broken = len(out), false
		case strings.ContainsRune(clauseBreaks, r):
			flush()
			lastAsk, broken = -1, true
		default:
			flush()
		}
	}
	flush()
	return out
}

// askMark stands for a question word while a Chinese question is cut into
// terms (private use: never in a question).
const askMark = '\uF8FF'

// clauseBreaks end a clause of a question: the words on either side do
// not belong together.
const clauseBreaks = "，,；;？?。：:、！!（）()"

// countedNext says whether the words between "how many" and a term leave
// the term as the thing counted: a few words, none a verb that starts the
// rest of the question ("how many times did the committee…").
func countedNext(between string) bool {
	words := strings.Fields(strings.ToLower(between))
	if len(words) > 3 {
		return false
	}
	for _, w := range words {
		switch w {
		case "did", "does", "do", "was", "were", "is", "are", "has", "have", "had", "will", "can":
			return false
		}
	}
	return true
}

// englishAskEnd is where the thing counted may start in an English
// question: right after "how many"/"how much"; -1 when neither is asked.
func englishAskEnd(text string) int {
	lower := strings.ToLower(text)
	for _, w := range []string{"how many", "how much"} {
		if i := strings.Index(lower, w); i >= 0 {
			return i + len(w)
		}
	}
	return -1
}

// howManyRe is "多少"/"几" with the measure word that follows it.
var howManyRe = regexp.MustCompile(`(是多少|有多少|多少|几)` + measureWords + `?`)

// genericForms are glossary forms too common in these reports to tell
// anything apart ("town" → 乡镇, "report" → 工作报告: the report itself).
var genericForms = map[string]bool{"乡镇": true, "街道": true, "街道办事处": true, "办事处": true, "报告": true, "工作报告": true, "工作": true, "政府": true, "人民政府": true, "镇政府": true,
	// "the county government" asked of a county's own report is the
	// reporting unit itself, which every sentence is about.
	"县政府": true, "县人民政府": true, "区政府": true, "区人民政府": true}

// stripTowns removes the stored towns text names (stripTown), looking
// only at those it names: a store has thousands of towns.
func stripTowns(text string, towns []townName) string {
	for _, tn := range towns {
		if namedIn(text, tn) {
			text = stripTown(text, tn)
		}
	}
	return text
}

// stripTown removes town tn from text: its name with the county before
// it, its full name, its aliases and its short name of two characters or
// more.
func stripTown(text string, tn townName) string {
	text = stripCounty(text, tn)
	text = strings.ReplaceAll(text, tn.full, " ")
	for _, a := range tn.aliases {
		text = strings.ReplaceAll(text, a, " ")
	}
	if len([]rune(tn.short)) >= 2 {
		text = strings.ReplaceAll(text, tn.short, " ")
	}
	return text
}

// namedIn says whether text holds a name stripTowns removes for tn: its
// full or short name (what its county is stripped before) or an alias.
func namedIn(text string, tn townName) bool {
	if strings.Contains(text, tn.full) || tn.short != "" && strings.Contains(text, tn.short) {
		return true
	}
	for _, a := range tn.aliases {
		if strings.Contains(text, a) {
			return true
		}
	}
	return false
}

// stripCounty removes a town's county where it stands right before the
// town's name.
func stripCounty(text string, tn townName) string {
	if tn.county == "" {
		return text
	}
	// A county named right before its town ("永丰清溪镇", "浮山县槐峪乡")
	// only says which town; elsewhere it may be what the question is
	// about (大足区政府办公室).
	counties := []string{tn.county}
	if c := []rune(tn.county); len(c) >= 3 {
		counties = append(counties, string(c[:len(c)-1])) // 永丰县 → 永丰
	}
	for _, c := range counties {
		for _, t := range []string{tn.full, tn.short} {
			text = strings.ReplaceAll(text, c+t, " ")
		}
	}
	return text
}

func hanSegments(s string) []string {
	var out []string
	var cur []rune
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			cur = append(cur, r)
			continue
		}
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}
