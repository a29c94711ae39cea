package ingest

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Meta is what DetectMeta finds in a report's text. Unknown fields stay
// empty (or zero) rather than guessed.
type Meta struct {
	Title        string
	Place        string // the reporting unit as the report names itself: town, subdistrict, township, or county
	Level        string // LevelTownship or LevelCounty; "" when no unit is found
	Town         string // = Place for a township-level report, "" for a county-level one
	County       string // the county or district (the unit itself for a county-level report)
	City         string // the prefecture (the municipality for its districts), from the gazetteer
	Province     string
	DivisionCode string // the unit's division code when the gazetteer entry is settled
	Year         int
	Date         string // YYYY-MM-DD
	DocNumber    string
	// Aliases are the short forms of Place the report's own text uses
	// for it (广内街道 for 广安门内街道), so that a question using them
	// reaches the report; see abbreviations.
	Aliases []string
}

// DetectMeta finds the reporting unit (镇, 乡, 街道, or a county or
// district for a county-level report), where it lies, the year the report
// covers, the title, the issue date and the document number in cleaned
// report text. It is rule-based: no model.
func DetectMeta(text string) Meta { return DetectMetaFile(text, "") }

// DetectMetaFile is DetectMeta for a report read from a file of this
// name: when the text names its unit only as 我街道 or 县人民政府, a name
// the file name spells in pinyin ("huangshi") is preferred.
//
// The unit comes from the gazetteer of divisions first: every division
// name the text states is weighed by where it stands (title block, page
// metadata, first sentence, signature, organs such as 人民政府 after it,
// how often); a name several units share is settled by the counties,
// cities and provinces the text names. Units the gazetteer lacks are found
// by the text rules, which keep only names stated where a unit names
// itself.
func DetectMetaFile(text, fileName string) Meta {
	lines := nonEmptyLines(text)
	var m Meta
	m.DocNumber = detectDocNumber(lines)
	titleIdx := detectTitle(lines)
	if titleIdx >= 0 {
		m.Title = lines[titleIdx]
		if titleIdx > 0 && strings.HasSuffix(lines[titleIdx-1], "人民政府") && utf8.RuneCountInString(lines[titleIdx-1]) <= 20 {
			m.Title = lines[titleIdx-1] + m.Title
		}
	}
	p := detectPlace(strings.Join(lines, "\n"), titleIdx, fileName, m.DocNumber)
	m.Place, m.Level, m.County, m.City, m.Province, m.DivisionCode = p.name, p.level, p.county, p.city, p.province, p.code
	m.Aliases = p.aliases
	if p.level == LevelTownship {
		m.Town = p.name
		if m.County == "" {
			m.County = detectCounty(text, m.Town)
		}
	} else if p.level == LevelCounty && m.County == "" {
		m.County = p.name
	}
	m.Date = detectDate(lines)
	m.Year = detectYear(text, m.Title, m.Date)
	return m
}

func nonEmptyLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

var docNumberRe = regexp.MustCompile(`^[\p{Han}]{1,10}[〔\[［(（]\s*(19|20)\d{2}\s*[〕\]］)）]\s*\d{1,5}\s*号$`)

// detectDocNumber returns a document number standing alone on a line near
// the top, as printed under the issuing unit's banner. A number cited in
// the body (in parentheses, after 《…》) is not the report's own.
func detectDocNumber(lines []string) string {
	for i, l := range lines {
		if i >= 20 {
			break
		}
		if docNumberRe.MatchString(l) {
			return strings.Join(strings.Fields(l), "")
		}
	}
	return ""
}

var titleWords = []string{"报告", "总结", "情况汇报"}

// detectTitle finds the title line: a short line near the top that names a
// report (报告/总结) and is not a sentence of the body.
func detectTitle(lines []string) int {
	for i, l := range lines {
		if i >= 15 {
			break
		}
		n := utf8.RuneCountInString(l)
		if n < 6 || n > 60 || strings.ContainsAny(l, "。，,：:；;") {
			continue
		}
		for _, w := range titleWords {
			if strings.Contains(l, w) {
				return i
			}
		}
	}
	return -1
}

// unitSuffixes are the kinds of unit a report is written for, longest first.
var unitSuffixes = []string{"街道办事处", "街道", "镇", "乡"}

// notNameChars end the leftward growth of a place name: pronouns,
// prepositions, function words and the marks of higher levels.
const notNameChars = "我本全该各每在于对将和与及把被向从为是的了年月日省市县区州盟旗共其此这之以由经据按至到给让使令请即并且或等个"

// leadingVerbs are two-character verbs and adverbs that come before a
// place name in these reports but never start one.
var leadingVerbs = map[string]bool{
	"依托": true, "依靠": true, "通过": true, "根据": true, "按照": true, "落实": true, "推动": true,
	"配合": true, "协助": true, "联合": true, "会同": true, "组织": true, "参加": true, "前往": true,
	"召开": true, "经过": true, "报送": true, "报请": true, "接受": true, "印发": true, "转发": true,
	"贯彻": true, "认真": true, "全面": true, "深入": true, "积极": true, "围绕": true, "结合": true,
	"服务": true, "支持": true, "指导": true, "领导": true, "推进": true, "开展": true, "建设": true,
	"完成": true, "实现": true, "加强": true, "做好": true, "确保": true, "主动": true, "及时": true,
	"不断": true, "强化": true, "持续": true, "切实": true, "扎实": true, "大力": true, "列入": true, "纳入": true,
	"完善": true, "主持": true, "立足": true, "健全": true, "优化": true, "提升": true,
}

// LooksLikeUnitName reports whether name (with its 镇/乡/街道 suffix) could
// be a unit's name as the text rules see it: no function word, verb or
// adverb inside ("不断强化镇", "建设列入镇" are not).
func LooksLikeUnitName(name string) bool {
	if commonUnitWords[name] {
		return false
	}
	rs := []rune(name)
	for i, r := range rs {
		if !unicode.Is(unicode.Han, r) || (strings.ContainsRune(notNameChars, r) && r != '于') {
			return false
		}
		if i+1 < len(rs) && leadingVerbs[string(rs[i:i+2])] {
			return false
		}
	}
	return true
}

// commonUnitWords are words ending in a unit suffix that are not names.
var commonUnitWords = map[string]bool{
	"乡镇": true, "城镇": true, "村镇": true, "集镇": true, "重镇": true, "市镇": true, "小镇": true,
	"强镇": true, "名镇": true, "治镇": true, "兴镇": true, "建镇": true, "撤镇": true, "城乡": true,
	"家乡": true, "下乡": true, "老乡": true, "返乡": true, "回乡": true, "故乡": true, "同乡": true,
	"异乡": true, "街道": true, "美丽乡": true, "进乡": true,
}

// unitNames lists the distinct candidate names in text that end in
// suffix: for every occurrence, each run of two to five Han characters
// before it that does not cross a function word ("现将渔门镇" gives
// "渔门镇"; "重视渔门镇" gives "视渔门镇" and "渔门镇").
func unitNames(text, suffix string) []string {
	seen := map[string]bool{}
	var order []string
	for i := 0; ; {
		j := strings.Index(text[i:], suffix)
		if j < 0 {
			break
		}
		at := i + j
		i = at + len(suffix)
		next, _ := utf8.DecodeRuneInString(text[i:])
		if suffix == "乡" && strings.ContainsRune("镇村土亲里愁音风贤情", next) {
			continue // "乡镇", "乡村" are words, not names
		}
		for _, name := range growNames(text[:at], suffix) {
			if !seen[name] {
				seen[name] = true
				order = append(order, name)
			}
		}
	}
	return order
}

// growNames returns the town names ending at the end of prefix plus
// suffix ("渔门镇", "视渔门镇" for "重视渔门镇").
func growNames(prefix, suffix string) []string {
	return placeNames(prefix, suffix, commonUnitWords, commonUnitWords)
}

// placeNames returns the names of two to five Han characters that end at
// the end of prefix, followed by suffix, growing leftwards until a
// character that cannot be part of a name. A run whose last character and
// suffix form a word in badEnd ("社区") gives none; a name in bad is left out.
func placeNames(prefix, suffix string, badEnd, bad map[string]bool) []string {
	var rs []rune
	for len(rs) < 5 && prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		// 于 starts names (于都县, 于家镇), so only "关于" stops here.
		if !unicode.Is(unicode.Han, r) || (strings.ContainsRune(notNameChars, r) && r != '于') || strings.HasSuffix(prefix, "关于") {
			break
		}
		rs = append(rs, r)
		prefix = prefix[:len(prefix)-size]
	}
	if len(rs) == 0 || badEnd[string(rs[0])+suffix] {
		return nil
	}
	// A verb before the name is not part of it: "依托岳西县", "贯彻落实县".
	for len(rs) >= 2 && leadingVerbs[string([]rune{rs[len(rs)-1], rs[len(rs)-2]})] {
		rs = rs[:len(rs)-2]
	}
	if len(rs) == 0 {
		return nil
	}
	var out []string
	for n := 2; n <= len(rs); n++ {
		b := make([]rune, n)
		for k := 0; k < n; k++ {
			b[k] = rs[n-1-k]
		}
		if name := string(b) + suffix; !bad[name] {
			out = append(out, name)
		}
	}
	return out
}

// detectCounty finds the county or district the town belongs to when the
// text states it: directly before the town's name ("濮阳县城关镇"), or as
// the name of a county body ("盐边县委", "大足区政府").
func detectCounty(text, town string) string {
	counts := map[string]float64{}
	for _, suf := range []string{"县", "区", "旗", "市"} {
		for i := 0; ; {
			j := strings.Index(text[i:], suf)
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(suf)
			rest := text[i:]
			w := 0.0
			switch {
			case town != "" && strings.HasPrefix(rest, town):
				w = 3
			case suf == "市":
				// A city counts only right before the town: "靖江市江滨街道";
				// otherwise it is usually the prefecture above the county.
			case hasAnyPrefix(rest, "委", "人民政府", "人民法院", "法院", "司法局", "党委", "纪委", "人大"):
				w = 1
			case hasAnyPrefix(rest, "政府"):
				w = 0.5 // "依托区政府门户网站": weak alone
			}
			if w == 0 {
				continue
			}
			for _, name := range countyNames(text[:at], suf) {
				counts[name] += w
			}
		}
	}
	// A one-character county stands right before its town: 珙县罗渡湾镇.
	if town != "" && strings.Contains(text, "县"+town) {
		for _, m := range oneCharCountyRe.FindAllStringSubmatchIndex(text, -1) {
			if strings.HasPrefix(text[m[1]:], town) {
				counts[text[m[2]:m[3]]] += 3
			}
		}
	}
	// Autonomous counties and banners have long names: 琼中黎族苗族自治县.
	var autonomous [][]int
	if strings.Contains(text, "自治县") || strings.Contains(text, "自治旗") {
		autonomous = autonomousRe.FindAllStringSubmatchIndex(text, -1)
	}
	for _, m := range autonomous {
		name := text[m[2]:m[3]]
		rest := text[m[1]:]
		switch {
		case town != "" && strings.HasPrefix(rest, town):
			counts[name] += 3
		case hasAnyPrefix(rest, "委", "人民政府", "人民法院", "法院", "司法局", "党委", "纪委", "人大"):
			counts[name]++
		}
	}
	best, bestN := "", 0.0
	for name, n := range counts {
		longer := len([]rune(name)) > len([]rune(best))
		if n > bestN || (n == bestN && (longer || (len(name) == len(best) && name < best))) {
			best, bestN = name, n
		}
	}
	if bestN < 1 {
		return ""
	}
	return best
}

// autonomousRe matches an autonomous county or banner: a two-character
// place name, one to three ethnic groups, 自治县 or 自治旗.
var autonomousRe = regexp.MustCompile(`([\p{Han}]{2}(?:(?:[\p{Han}]{1,3}族){1,3})?自治[县旗])`)

// oneCharCountyRe is a one-character county name at a boundary: 珙县.
var oneCharCountyRe = regexp.MustCompile(`(?:^|[^\p{Han}]|[市省州])(\p{Han}县)`)

// notCountyEnd are words that end many longer names which are not
// counties: "幸福社区党委", "高新园区管委会".
var notCountyEnd = map[string]bool{
	"社区": true, "辖区": true, "街区": true, "校区": true, "园区": true, "小区": true, "景区": true,
	"片区": true, "发区": true, "范区": true, "护区": true, "能区": true, "验区": true, "治县": true,
	"治区": true, "全区": true, "全县": true, "各区": true, "各县": true, "本区": true, "本县": true,
}

// notCounty are words that are never a county's name.
var notCounty = map[string]bool{
	"社区": true, "辖区": true, "城区": true, "景区": true, "园区": true, "片区": true, "老区": true,
	"地区": true, "小区": true, "库区": true, "山区": true, "牧区": true, "街区": true, "校区": true,
	"矿区": true, "市区": true, "镇区": true, "全区": true, "本区": true, "我区": true, "各区": true,
	"该区": true, "全县": true, "本县": true, "我县": true, "各县": true, "该县": true, "郊区": true,
	"灾区": true, "误区": true, "盲区": true, "禁区": true, "分区": true, "专区": true, "新区": true,
	"治县": true, "治区": true, "开发区": true, "示范区": true, "保护区": true, "功能区": true, "试验区": true,
}

// countyNames returns the county names ending at the end of prefix plus
// suffix.
//
// A county's name stands whole between a boundary (a mark, a line start,
// a function word such as 在 or 中共's 共, or a higher unit such as 市) and
// its suffix: only that whole run counts, and only when it is short
// ("泗洪县委" gives 泗洪县; "县乡两级干部赴县委" and "认真贯彻落实县委"
// give nothing).
func countyNames(prefix, suffix string) []string {
	names := placeNames(prefix, suffix, notCountyEnd, notCounty)
	if len(names) == 0 {
		return nil
	}
	whole := names[len(names)-1]
	limit := 4 // characters before 县/区/市
	if suffix == "旗" {
		limit = 5
	}
	n := len([]rune(whole)) - len([]rune(suffix))
	if n > limit || !bounded(prefix, n) {
		return nil
	}
	return names
}

// bounded reports whether the n runes at the end of prefix are preceded by
// something that cannot continue a name (or by nothing).
func bounded(prefix string, n int) bool {
	rs := []rune(prefix)
	if len(rs) <= n {
		return true
	}
	r := rs[len(rs)-n-1]
	if !unicode.Is(unicode.Han, r) || (strings.ContainsRune(notNameChars, r) && r != '于') || (r == '于' && len(rs) > n+1 && rs[len(rs)-n-2] == '关') {
		return true
	}
	// A verb stripped from the front of the run is a boundary too.
	return len(rs) > n+1 && leadingVerbs[string(rs[len(rs)-n-2:len(rs)-n])]
}

func hasAnyPrefix(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

var (
	dateRe   = regexp.MustCompile(`((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日`)
	cnDateRe = regexp.MustCompile(`([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日`)
)

// detectDate finds the issue date: the last full date in the closing lines
// (signature block), written in Arabic or Chinese numerals.
func detectDate(lines []string) string {
	start := len(lines) - 8
	if start < 0 {
		start = 0
	}
	for i := len(lines) - 1; i >= start; i-- {
		l := lines[i]
		if utf8.RuneCountInString(l) > 40 {
			continue
		}
		if m := dateRe.FindStringSubmatch(l); m != nil {
			if d := formatDate(m[1], m[2], m[3]); d != "" {
				return d
			}
		}
		if m := cnDateRe.FindStringSubmatch(l); m != nil {
			y := cnDigits(m[1])
			mo, d := cnSmall(m[2]), cnSmall(m[3])
			if y != "" && mo > 0 && d > 0 {
				if s := formatDate(y, strconv.Itoa(mo), strconv.Itoa(d)); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

func formatDate(y, m, d string) string {
	yi, _ := strconv.Atoi(y)
	mi, _ := strconv.Atoi(m)
	di, _ := strconv.Atoi(d)
	if yi < 1990 || yi > 2100 || mi < 1 || mi > 12 || di < 1 || di > 31 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", yi, mi, di)
}

func cnDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		i := strings.IndexRune("〇一二三四五六七八九", r)
		switch {
		case r == '○' || r == '零':
			b.WriteByte('0')
		case i >= 0:
			b.WriteByte(byte('0' + utf8.RuneCountInString("〇一二三四五六七八九"[:i])))
		default:
			return ""
		}
	}
	return b.String()
}

// cnSmall parses a Chinese numeral from 1 to 99 as used in dates.
func cnSmall(s string) int {
	const digits = "一二三四五六七八九"
	val := func(r rune) int { return strings.IndexRune(digits, r)/3 + 1 }
	rs := []rune(s)
	switch {
	case len(rs) == 1 && rs[0] == '十':
		return 10
	case len(rs) == 1 && strings.ContainsRune(digits, rs[0]):
		return val(rs[0])
	case len(rs) == 2 && rs[0] == '十' && strings.ContainsRune(digits, rs[1]):
		return 10 + val(rs[1])
	case len(rs) == 2 && rs[1] == '十' && strings.ContainsRune(digits, rs[0]):
		return 10 * val(rs[0])
	case len(rs) == 3 && rs[1] == '十' && strings.ContainsRune(digits, rs[0]) && strings.ContainsRune(digits, rs[2]):
		return 10*val(rs[0]) + val(rs[2])
	}
	return 0
}

var (
	yearRe      = regexp.MustCompile(`((?:19|20)\d{2})\s*(?:年(度)?|以来)`)
	yearRangeRe = regexp.MustCompile(`(?:19|20)\d{2}\s*[-—–~至到]\s*(?:19|20)?\d{2,4}`)
)

// bookSpans returns the byte spans of the titles in 《…》 and the numbers
// in 〔…〕 of text, as the regular expression 《[^》]*》|〔[^〕]*〕 finds
// them (leftmost first, not overlapping) but without running one over
// every report.
func bookSpans(text string) [][2]int {
	var out [][2]int
	for i := 0; i < len(text); {
		j := strings.IndexAny(text[i:], "《〔")
		if j < 0 {
			break
		}
		at := i + j
		open, end := "《", "》"
		if strings.HasPrefix(text[at:], "〔") {
			open, end = "〔", "〕"
		}
		k := strings.Index(text[at+len(open):], end)
		if k < 0 {
			i = at + len(open)
			continue
		}
		i = at + len(open) + k + len(end)
		out = append(out, [2]int{at, i})
	}
	return out
}

// dropBooks returns text without its bookSpans.
func dropBooks(text string) string {
	spans := bookSpans(text)
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, sp := range spans {
		b.WriteString(text[last:sp[0]])
		last = sp[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// detectYear returns the year the report covers. A year in the title
// decides. Otherwise years mentioned in the body vote ("2021年度" counts
// double); years after the issue date's year and years inside 《…》, 〔…〕
// or ranges do not count. With no vote, a report issued in the first four
// months of a year covers the year before.
func detectYear(text, title, date string) int {
	if m := yearRe.FindStringSubmatch(title); m != nil {
		y, _ := strconv.Atoi(m[1])
		return y
	}
	issued := 0
	if date != "" {
		issued, _ = strconv.Atoi(date[:4])
	}
	body := dropBooks(text)
	body = yearRangeRe.ReplaceAllString(body, "")
	votes := map[int]int{}
	for _, m := range yearRe.FindAllStringSubmatch(body, -1) {
		y, _ := strconv.Atoi(m[1])
		if issued > 0 && y > issued {
			continue
		}
		votes[y]++
		if m[2] != "" {
			votes[y]++
		}
	}
	if len(votes) > 0 {
		type yv struct{ y, v int }
		var all []yv
		for y, v := range votes {
			all = append(all, yv{y, v})
		}
		sort.Slice(all, func(i, j int) bool {
			if all[i].v != all[j].v {
				return all[i].v > all[j].v
			}
			return all[i].y > all[j].y
		})
		// A report issued early in a year about the year before mentions
		// the issue year in its plans; the covered year still wins on votes.
		return all[0].y
	}
	if issued > 0 {
		if mo, _ := strconv.Atoi(date[5:7]); mo <= 4 {
			return issued - 1
		}
		return issued
	}
	return 0
}

// pageDateRe is the publication date a web page states in its header line
// ("来源:龙华街道办 日期:2023年12月25日", "发布时间：2021-02-05").
var pageDateRe = regexp.MustCompile(`(?:日期|发布时间|发布日期|成文日期|发文日期)[:：]\s*((?:19|20)\d{2})(?:\s*年\s*|[-/.])(\d{1,2})(?:\s*月\s*|[-/.])(\d{1,2})`)

// PageDate returns the publication date (YYYY-MM-DD) that the header of a
// fetched web page states, read from the raw text before cleaning drops
// that line as page furniture; "" when the first lines state none. It
// stands in for the report's date when the report itself has no dated
// signature.
func PageDate(raw string) string {
	for i, l := range strings.SplitN(raw, "\n", 41) {
		if i == 40 {
			break
		}
		// Every label pageDateRe knows holds 日期 or is 发布时间: a line
		// without either is not run through the expression.
		if !strings.Contains(l, "日期") && !strings.Contains(l, "发布时间") {
			continue
		}
		if m := pageDateRe.FindStringSubmatch(l); m != nil {
			if d := formatDate(m[1], m[2], m[3]); d != "" {
				return d
			}
		}
	}
	return ""
}
