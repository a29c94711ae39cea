package ingest

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Metric is one row of the domain table that normalises what a figure
// counts across reports. Keywords are alternatives: each is one or more
// terms joined by "+" that must all occur in the subject, and a term
// starting with "!" must not occur. Units lists the units a figure of the
// metric is written in; empty means any.
type Metric struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	English  string   `json:"english"`
	Keywords []string `json:"keywords"`
	Units    []string `json:"units"`
}

//go:embed metrics.tsv
var metricsTSV string

// metricTerm is one term of a keyword alternative.
type metricTerm struct {
	text string
	neg  bool
}

// metricRule is a Metric compiled for matching.
type metricRule struct {
	metric Metric
	alts   [][]metricTerm
}

// metricTable parses metrics.tsv once. The file is embedded, so an error
// is a programming error caught by the tests.
var metricTable = sync.OnceValue(func() []metricRule {
	rules, err := parseMetricTable(metricsTSV)
	if err != nil {
		panic(err)
	}
	return rules
})

// parseMetricTable reads the metric table format described in metrics.tsv.
func parseMetricTable(src string) ([]metricRule, error) {
	var rules []metricRule
	seen := map[string]bool{}
	for n, line := range strings.Split(src, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 5 {
			return nil, fmt.Errorf("metrics.tsv line %d: %d columns, want 5", n+1, len(cols))
		}
		m := Metric{Key: cols[0], Label: cols[1], English: cols[2]}
		if m.Key == "" || seen[m.Key] {
			return nil, fmt.Errorf("metrics.tsv line %d: empty or duplicate key %q", n+1, m.Key)
		}
		seen[m.Key] = true
		r := metricRule{}
		for _, alt := range strings.Split(cols[3], "|") {
			if alt == "" {
				continue
			}
			var terms []metricTerm
			positive := false
			for _, t := range strings.Split(alt, "+") {
				neg := strings.HasPrefix(t, "!")
				t = strings.TrimPrefix(t, "!")
				if t == "" {
					return nil, fmt.Errorf("metrics.tsv line %d: empty term in %q", n+1, alt)
				}
				positive = positive || !neg
				terms = append(terms, metricTerm{text: t, neg: neg})
			}
			if !positive {
				return nil, fmt.Errorf("metrics.tsv line %d: alternative %q has only negative terms", n+1, alt)
			}
			m.Keywords = append(m.Keywords, alt)
			r.alts = append(r.alts, terms)
		}
		if len(r.alts) == 0 {
			return nil, fmt.Errorf("metrics.tsv line %d: no keywords", n+1)
		}
		for _, u := range strings.Split(cols[4], "|") {
			if u != "" {
				m.Units = append(m.Units, u)
			}
		}
		r.metric = m
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("metrics.tsv: no metrics")
	}
	return rules, nil
}

// Metrics lists the metric table in matching order, for docs and UIs.
func Metrics() []Metric {
	rules := metricTable()
	out := make([]Metric, len(rules))
	for i, r := range rules {
		m := r.metric
		m.Keywords = slices.Clone(m.Keywords)
		m.Units = slices.Clone(m.Units)
		out[i] = m
	}
	return out
}

// MetricFor maps a subject, or a question phrase such as "调解了多少矛盾纠纷"
// or "受理信访案件多少宗", onto a metric key, or "" when none fits. A unit
// asked for after 多少 or 几 ("多少人次", "几个") narrows the choice.
func MetricFor(subject string) string {
	s := metricNormalize(subject)
	if s == "" {
		return ""
	}
	unit := questionUnit(s)
	if k := metricForUnit(s, unit); k != "" || unit == "" {
		return k
	}
	return metricForUnit(s, "")
}

// metricForUnit returns the first metric whose keywords match s and whose
// units include unit; an empty unit matches any.
func metricForUnit(s, unit string) string {
	for _, r := range metricTable() {
		if unit != "" && len(r.metric.Units) > 0 && !slices.Contains(r.metric.Units, unit) {
			continue
		}
		for _, alt := range r.alts {
			if metricAltMatches(s, alt) {
				return r.metric.Key
			}
		}
	}
	return ""
}

func metricAltMatches(s string, alt []metricTerm) bool {
	for _, t := range alt {
		if strings.Contains(s, t.text) == t.neg {
			return false
		}
	}
	return true
}

// metricNormalize removes spaces and maps full-width digits so that
// "12345" matches however it was typed.
func metricNormalize(s string) string {
	var b strings.Builder
	for _, r := range s {
		r = numNormRune(r)
		if r == ' ' || unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// questionUnit finds the unit a question asks for: "多少件", "几个", "多少人次".
func questionUnit(s string) string {
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		var j int
		switch {
		case hasRunePrefixAt(rs, i, "多少"):
			j = i + 2
		case rs[i] == '几':
			j = i + 1
		default:
			continue
		}
		if u, _ := factUnitAt(rs, j); u != "" {
			return u
		}
	}
	return ""
}

// factUnits are the units a counted figure may carry, longest first so
// that 人次 wins over 人.
var factUnits = func() []string {
	us := []string{
		"平方米", "件次", "场次", "户次", "人次", "家次", "批次", "期次", "课时", "学时", "小时", "公里",
		"件", "起", "宗", "次", "场", "期", "人", "名", "位", "个", "项", "份", "条", "幅",
		"元", "%", "村", "户", "家", "所", "块", "篇", "册", "本", "台", "辆", "处", "座",
		"张", "天", "班", "套", "支", "米", "亩", "吨", "堂", "封",
	}
	slices.SortStableFunc(us, func(a, b string) int {
		return utf8.RuneCountInString(b) - utf8.RuneCountInString(a)
	})
	return us
}()

// factUnitNotBefore lists, per unit, the characters that turn the unit
// character into the start of another word: 人民, 场所, 条例, 村民 …
var factUnitNotBefore = map[string]string{
	"人": "民大口",
	"名": "单称义额录誉片",
	"个": "性体别案",
	"次": "性日年",
	"期": "间限望待末",
	"场": "所镇地景合面",
	"项": "目",
	"家": "庭属族长乡风园",
	"户": "籍口外型",
	"处": "理罚置分室长于",
	"所": "有以属在谓得需",
	"本": "地镇村人级单职身着次市县区",
	"座": "谈",
	"班": "子长组",
	"条": "例件款线规",
	"台": "账帐",
	"元": "旦月素宵",
	"村": "民委级务干庄居社组两集内里容规",
	"份": "额子",
	"张": "贴挂",
	"幅": "度",
	"支": "持付出部援",
	"米": "面",
	"起": "来草点步到码始",
	"宗": "教旨族",
	"位": "于置",
	"天": "然数津",
	"封": "面锁存",
}

// factUnitNotBeforeWords lists words that make "N个" a duration or a
// difference rather than a count: 3个月, 5个工作日, 2个百分点.
var factUnitNotBeforeWords = map[string][]string{
	"个": {"月", "工作日", "小时", "星期", "季度", "百分点", "多月", "半月"},
}

// factOneUnits are the units after which a bare Chinese 一 is a count
// ("聘请一名法律顾问", "每周排查一次"); with others it is mostly a word
// (一个良好的环境, 一起, 一项长期任务).
var factOneUnits = []string{"名", "位", "人", "次", "场", "场次", "件", "宗", "件次", "份", "块", "户", "村", "人次"}

// factIdioms are set phrases that start with a numeral but count nothing.
var factIdioms = []string{
	"两张皮", "一张图", "一张网", "一张蓝图", "一盘棋", "一条龙", "一站式", "一次性",
	"一揽子", "一把手", "两手抓", "三张清单", "一件事", "一条心", "一个样", "一家人",
	"一本账", "两本账", "一台戏", "百家", "千家", "万家", "万人", "千人一面",
}

// factUnitAt returns the unit starting at rs[i], or "".
func factUnitAt(rs []rune, i int) (string, int) {
	for _, u := range factUnits {
		if hasRunePrefixAt(rs, i, u) {
			return u, i + utf8.RuneCountInString(u)
		}
	}
	return "", i
}

func hasRunePrefixAt(rs []rune, i int, p string) bool {
	if i < 0 || i > len(rs) {
		return false
	}
	return hasRunePrefix(rs[i:], p)
}

// isFactHardBoundary reports whether r ends a clause. 、 is not one: it
// joins list items inside a subject ("排查、调解各类矛盾纠纷").
func isFactHardBoundary(r rune) bool {
	switch r {
	case '，', ',', '；', ';', '：', ':', '。', '！', '？', '!', '?', '\n', '\r', '…':
		return true
	}
	return false
}

func isFactOpenParen(r rune) bool  { return r == '（' || r == '(' || r == '【' || r == '[' }
func isFactCloseParen(r rune) bool { return r == '）' || r == ')' || r == '】' || r == ']' }

// factSentence is a sentence prepared for extraction.
type factSentence struct {
	rs   []rune
	hard []bool // clause boundaries, ignoring those inside 《…》
}

// ExtractFacts returns every quantity stated in one sentence. It fills
// Subject, Metric, Value, Unit, Approx and Quote (the trimmed sentence);
// the caller fills Source, Town, Year and Section. The goldens in
// testdata/facts pin down these conventions:
//
//   - A figure is a fact only when a unit (件, 人次, 元, % …) follows it.
//     Bare numbers, years, dates, document numbers, ordinals (第一),
//     enumerations (一是), holidays ("3.15", "12.4"), plan names (七五普法,
//     十四五), numbers inside names (12345热线), durations (3个月) and
//     slogans (一村一法律顾问, “四个意识”, 100%排查) are not facts.
//   - Subject is what is counted, as written: the phrase before the number
//     within its clause, less time words and fillers (2020年, 今年以来, 共,
//     累计, 其中, 我镇 …), plus the counted noun when it follows the unit
//     ("区为我镇聘用10名法律顾问" → "区为我镇聘用法律顾问").
//   - Money is kept in yuan: "10多万元" is Value 100000, Unit "元", so sums
//     written in 元 and 万元 compare. Likewise "4万人次" is 40000 人次.
//   - Approx holds the qualifier as written: 余, 多, 约, 近, 不少于, 至少,
//     超过, 不到, 以上, 左右 …, joined in reading order when there are two.
//     达到, 达, 共, 为 are exact and dropped.
//   - A range ("3-5名", "1至2名") keeps its lower bound as Value and the
//     range as written ("3-5") in Approx.
//   - Rates per period or per unit ("每月不少于2次", "每村聘任调解员3-5名")
//     are facts but get no Metric: they are rules, not totals, and must not
//     be compared with totals.
func ExtractFacts(sentence string) []Fact {
	quote := strings.TrimSpace(sentence)
	if !factHasCandidate(quote) {
		return nil
	}
	s := factSentence{rs: []rune(quote)}
	s.hard = make([]bool, len(s.rs))
	depth := 0
	for i, r := range s.rs {
		s.rs[i] = numNormRune(r)
		switch r {
		case '《':
			depth++
		case '》':
			if depth > 0 {
				depth--
			}
		}
		s.hard[i] = depth == 0 && isFactHardBoundary(s.rs[i])
	}
	var facts []Fact
	lastEnd := 0
	prevBare := "" // the subject of the last fact when nothing followed its unit
	for i := 0; i < len(s.rs); {
		r := s.rs[i]
		if !isASCIIDigit(r) && !isCNNumeral(r) {
			i++
			continue
		}
		f, skip, end, bare, ok := s.factAt(i, lastEnd, prevBare)
		if ok {
			f.Quote = quote
			facts = append(facts, f)
			lastEnd, i = end, end
			prevBare = ""
			if bare {
				prevBare = f.Subject
			}
			continue
		}
		i = max(skip, i+1)
	}
	return facts
}

// factHasCandidate is a cheap test for a digit or Chinese numeral, so that
// sentences without any number cost almost nothing.
func factHasCandidate(s string) bool {
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' || r >= 0x4e00 && isCNNumeral(r) {
			return true
		}
	}
	return false
}

// factAt tries to read a fact whose number starts at i. prevSubject is
// the subject of the figure just before when nothing followed its unit. skip is where the
// scan resumes when there is none (past the whole number, so the digits of
// "12345" are not read again one by one); end is where the fact's text,
// including a counted noun after the unit, ends; bare says nothing
// followed the unit.
func (s factSentence) factAt(i, lastEnd int, prevSubject string) (f Fact, skip, end int, bare, ok bool) {
	rs := s.rs
	percentWord := hasRunePrefixAt(rs, i, "百分之")
	numStart := i
	if percentWord {
		numStart = numSkipSpaces(rs, i+3)
	}
	tok, ok := numScan(rs, numStart)
	skip = numSkipRun(rs, i)
	if !ok {
		return f, skip, 0, false, false
	}
	skip = max(skip, tok.end)
	if !s.numberStartOK(i, tok) {
		return f, skip, 0, false, false
	}
	// The unit.
	var unit string
	var unitEnd int
	if percentWord {
		unit, unitEnd = "%", tok.end
	} else {
		unit, unitEnd = factUnitAt(rs, numSkipSpaces(rs, tok.end))
		if unit == "" {
			return f, skip, 0, false, false
		}
		if unitEnd < len(rs) && strings.ContainsRune(factUnitNotBefore[unit], rs[unitEnd]) {
			return f, skip, 0, false, false
		}
		for _, w := range factUnitNotBeforeWords[unit] {
			if hasRunePrefixAt(rs, unitEnd, w) {
				return f, skip, 0, false, false
			}
		}
	}
	if tok.chinese && !s.chineseCountOK(i, tok, unit, unitEnd) {
		return f, skip, 0, false, false
	}
	// A qualifier after the unit: 以上, 左右 …
	end = unitEnd
	post := ""
	if q := numSkipSpaces(rs, unitEnd); q < len(rs) {
		for _, p := range numPostQualifiers {
			if hasRunePrefixAt(rs, q, p) {
				post, end = p, q+utf8.RuneCountInString(p)
				break
			}
		}
	}
	// "100%排查、100%化解" is a slogan, not a measured rate.
	if unit == "%" && end < len(rs) && unicode.Is(unicode.Han, rs[end]) && rs[end] != '的' {
		return f, skip, 0, false, false
	}

	clause := s.clauseStart(i, max(0, i-factMaxLookback))
	preStart := max(clause, lastEnd)
	if preStart == lastEnd && lastEnd > 0 {
		// After a figure: "信件8件、省信访局转办3件", "4名…和31名…".
		preStart = factSkipSeparators(rs, preStart, i)
	}
	preEnd, preQual := factStripPreQualifiers(rs, preStart, i)
	tailEnd, tail := s.tail(end)
	if tok.chinese && unit == "个" && factSloganTail(rs, tail, tailEnd) {
		return f, skip, 0, false, false
	}

	subject := factCleanSubject(string(rs[preStart:preEnd]), tail)
	if prevSubject != "" && lastEnd > 0 && preStart == preEnd && tail == "" && numSkipSpaces(rs, lastEnd) == i {
		// "来信来访46批次98人次": a second measure of the same thing.
		subject = prevSubject
	}
	if factWeakSubject(subject) {
		// "其中镇政府1名，45个行政村9名": fall back to the whole clause, then
		// to the clause before ("中心组学习…，每年不少于三次").
		subject = factCleanSubject(string(rs[clause:preEnd]), tail)
		if factWeakSubject(subject) && clause > 0 {
			prev := s.clauseStart(clause-1, max(0, clause-1-factMaxLookback))
			subject = factCleanSubject(string(rs[prev:preEnd]), tail)
		}
	}

	f = Fact{
		Subject: subject,
		Value:   tok.value,
		Unit:    unit,
		Approx:  preQual + tok.rangeText + tok.approx + post,
	}
	if !slices.Contains(rs[clause:i], '每') {
		match := metricNormalize(subject)
		if unit == "村" {
			// The unit is the counted noun: "完善了45村法治阵地建设".
			match = unit + match
		}
		f.Metric = metricForUnit(match, f.Unit)
	}
	return f, skip, tailEnd, tail == "" && tailEnd == end, true
}

// numSkipRun returns the end of the run of digits or Chinese numerals
// starting at i.
func numSkipRun(rs []rune, i int) int {
	j := i
	if j < len(rs) && isASCIIDigit(rs[j]) {
		for j < len(rs) && (isASCIIDigit(rs[j]) || rs[j] == '.' || rs[j] == ',') {
			j++
		}
		return j
	}
	for j < len(rs) && isCNNumeral(rs[j]) {
		j++
	}
	return j
}

// numberStartOK rejects numbers whose left context makes them part of
// something else: model names (G20), ordinals (第三), weekdays (周四),
// and names in quotes (“四个意识”).
func (s factSentence) numberStartOK(i int, tok numTok) bool {
	rs := s.rs
	if i == 0 {
		return true
	}
	prev := rs[i-1]
	if isASCIILetter(prev) || isASCIIDigit(prev) || prev == '.' || prev == '-' || prev == '_' || prev == '/' {
		return false
	}
	if tok.chinese && strings.ContainsRune("周初", prev) {
		return false
	}
	if tok.chinese && i >= 2 && (hasRunePrefixAt(rs, i-2, "星期") || hasRunePrefixAt(rs, i-2, "礼拜")) {
		return false
	}
	p := i - 1
	for p > 0 && rs[p] == ' ' {
		p--
	}
	if strings.ContainsRune("“「『‘\"第", rs[p]) {
		return false
	}
	return true
}

// chineseCountOK applies the extra checks for numbers written in Chinese,
// which are often parts of words: 千家万户, 一村一法律顾问, 两张皮, 同一件.
func (s factSentence) chineseCountOK(i int, tok numTok, unit string, unitEnd int) bool {
	rs := s.rs
	for _, idiom := range factIdioms {
		if hasRunePrefixAt(rs, i, idiom) {
			return false
		}
	}
	var plain []rune
	for _, r := range tok.text {
		if isCNNumeral(r) {
			plain = append(plain, r)
		}
	}
	if tok.rangeText == "" && numIsBareMultiplier(string(plain)) && tok.approx == "" {
		return false
	}
	if string(plain) != "一" || tok.rangeText != "" || tok.approx != "" {
		return true
	}
	if !slices.Contains(factOneUnits, unit) {
		return false
	}
	if i > 0 && strings.ContainsRune("统唯同单万专逐划整合均如归始之其任某另无", rs[i-1]) {
		return false
	}
	// 一X一Y slogans: 一村（社区）一法律顾问, 一户一档, 一人一策.
	for j := unitEnd; j < len(rs) && j < unitEnd+8 && !s.hard[j]; j++ {
		if rs[j] == '一' {
			return false
		}
	}
	return true
}

// factMaxLookback bounds how far back a clause is searched, so that text
// without punctuation (a table flattened into one line) stays linear.
const factMaxLookback = 120

// clauseStart returns where the clause containing position i starts: just
// after the last clause boundary before i, or after an unclosed opening
// bracket ("排查(每月不少于2次)"), but never before floor.
func (s factSentence) clauseStart(i, floor int) int {
	depth := 0
	for j := i - 1; j >= floor; j-- {
		r := s.rs[j]
		switch {
		case s.hard[j]:
			return j + 1
		case isFactCloseParen(r):
			depth++
		case isFactOpenParen(r):
			if depth == 0 {
				return j + 1
			}
			depth--
		}
	}
	return floor
}

// factTailStops end the counted noun written after a unit: in
// "300余名旁听人员进行了…教育" the noun is 旁听人员.
var factTailStops = []string{
	"进行", "参与", "开展", "集中", "作为", "提供", "提出", "实现", "无漏管", "均", "全部",
	"正在", "已经", "已", "完成", "得到", "受到", "参加", "组成", "负责",
}

// tail reads the counted noun written after the unit ("聘用10名法律顾问"):
// up to a clause boundary, a closing bracket, or the next figure (also
// when joined by 、 和 及 与). It returns where the tail ends and the text
// that belongs to the subject.
func (s factSentence) tail(start int) (int, string) {
	rs := s.rs
	if start < len(rs) && strings.ContainsRune("、和及与的", rs[start]) {
		return start, ""
	}
	j := start
	depth := 0
	for j < len(rs) && !s.hard[j] {
		r := rs[j]
		if isFactOpenParen(r) {
			depth++
		} else if isFactCloseParen(r) {
			if depth == 0 {
				break
			}
			depth--
		}
		if (isASCIIDigit(r) || isCNNumeral(r)) && s.figureAhead(j) {
			break
		}
		if strings.ContainsRune("、和及与", r) {
			k := numSkipSpaces(rs, j+1)
			if hasRunePrefixAt(rs, k, "以及") {
				k = numSkipSpaces(rs, k+2)
			}
			if k < len(rs) && (isASCIIDigit(rs[k]) || isCNNumeral(rs[k])) && s.figureAhead(k) {
				break
			}
		}
		j++
	}
	end := j
	text := rs[start:j]
	// Keep the noun phrase, unless the tail is itself the predicate
	// ("2个创建成为民主法治示范村").
	if len(text) > 0 {
		lead := false
		for _, stop := range factTailStops {
			if hasRunePrefix(text, stop) {
				lead = true
				break
			}
		}
		if !lead {
			cut := len(text)
			for k := 1; k < len(text); k++ {
				for _, stop := range factTailStops {
					if hasRunePrefixAt(text, k, stop) {
						cut = min(cut, k)
					}
				}
			}
			text = text[:cut]
		}
	}
	if len(text) > 20 {
		text = text[:20]
	}
	return end, string(text)
}

// factSkipSeparators skips the list separators (、 和 及 与 以及) that
// join figures, starting at i and not beyond limit.
func factSkipSeparators(rs []rune, i, limit int) int {
	for i < limit {
		switch {
		case rs[i] == ' ' || strings.ContainsRune("、和及与", rs[i]):
			i++
		case hasRunePrefixAt(rs, i, "以及"):
			i += 2
		default:
			return min(i, limit)
		}
	}
	return limit
}

// factSloganTail reports whether a Chinese "N个" is a slogan name rather
// than a count: a short noun right before a colon, quote or list mark, as
// in "做到两个到位：", "三个代表、".
func factSloganTail(rs []rune, tail string, tailEnd int) bool {
	n := utf8.RuneCountInString(tail)
	if n < 2 || n > 4 {
		return false
	}
	if tailEnd >= len(rs) {
		return true
	}
	return strings.ContainsRune("：:”’」、", rs[tailEnd])
}

// figureAhead reports whether a number followed by a unit starts at j.
func (s factSentence) figureAhead(j int) bool {
	tok, ok := numScan(s.rs, j)
	if !ok {
		return false
	}
	u, _ := factUnitAt(s.rs, numSkipSpaces(s.rs, tok.end))
	return u != ""
}

// factStripPreQualifiers removes qualifiers and filler verbs written just
// before the number ("约53起", "达到 132 人", "不少于40小时") from the
// prefix rs[start:end]. It returns the new end and the inexact qualifiers
// in reading order.
func factStripPreQualifiers(rs []rune, start, end int) (int, string) {
	quals := ""
	for range 3 {
		for end > start && rs[end-1] == ' ' {
			end--
		}
		found := false
		for _, q := range numPreQualifiers {
			n := utf8.RuneCountInString(q.text)
			if end-n < start || !hasRunePrefixAt(rs, end-n, q.text) {
				continue
			}
			if end-n-1 >= start && !factQualifierStands(q.text, rs[end-n-1]) {
				continue
			}
			end -= n
			if q.approx {
				quals = q.text + quals
			}
			found = true
			break
		}
		if !found {
			break
		}
	}
	return end, quals
}

// factQualifierStands reports whether qualifier q, preceded by prev, is a
// word of its own rather than the end of another word (签约, 就近, 传达).
func factQualifierStands(q string, prev rune) bool {
	switch q {
	case "约":
		return !strings.ContainsRune("签合公节制契预履违条成", prev)
	case "近":
		return !strings.ContainsRune("就附接最亲将临贴", prev)
	case "达":
		return !strings.ContainsRune("传表发抵下送直通到雷转", prev)
	case "计":
		return !strings.ContainsRune("设统会审合共总累估预核", prev)
	case "共":
		return !strings.ContainsRune("公总一", prev)
	case "就":
		return !strings.ContainsRune("成造迁将", prev)
	case "逾":
		return !strings.ContainsRune("超", prev)
	case "为", "是":
		// Only after a measure: 满意度为98%, 人数是30人; not 作为, 认为, 就是.
		return strings.ContainsRune("数量率度额计共均积值总", prev)
	}
	return true
}

// factLeadFillers are stripped from the start of a subject: time phrases,
// adverbs and the reporting unit itself.
var factLeadFillers = []string{
	"今年以来", "一年来", "年内", "全年累计", "全年共", "全年", "今年", "同期", "其中", "先后", "累计",
	"共计", "合计", "总计", "共有", "共", "仅", "同时", "并且", "并", "此外", "另外", "截至目前",
	"截止目前", "目前", "已经", "已", "还", "又", "均", "都", "通过", "我镇", "本镇", "我乡", "本乡",
	"我街道", "本街道", "我们", "我单位", "确保", "要求", "现有", "截至", "截止",
}

// factLeadFillerNotBefore guards one-character fillers that also start
// words: 共享, 还原, 均衡, 都市.
var factLeadFillerNotBefore = map[string]string{
	"共": "同享产建治青性识赢商振鸣处存事",
	"还": "原有款",
	"均": "衡等",
	"都": "市",
	"并": "购",
}

// factCutMarkers are adverbs after which the counted thing starts, also in
// the middle of a subject: "镇村两级共排查调处矛盾纠纷" → "排查调处矛盾纠纷",
// "渔门镇党委会就专题学法" → "专题学法".
var factCutMarkers = []string{"共有", "共计", "累计", "先后", "共", "就"}

// factCleanSubject builds a subject from the text before the number and
// the counted noun after it.
func factCleanSubject(pre, tail string) string {
	var b strings.Builder
	for _, r := range pre + tail {
		if strings.ContainsRune("“”‘’\"'「」『』*#`", r) || r == ' ' || unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(r)
	}
	rs := factStripTimes([]rune(b.String()))
	// Cut at the last adverb that introduces the counted thing.
	for k := len(rs) - 2; k > 0; k-- {
		cut := false
		for _, m := range factCutMarkers {
			n := utf8.RuneCountInString(m)
			if !hasRunePrefixAt(rs, k, m) || len(rs)-k-n < 2 {
				continue
			}
			if m == "共" && (!factQualifierStands("共", rs[k-1]) || k+1 < len(rs) && strings.ContainsRune("同享产建治青性识赢商振鸣处存事", rs[k+1])) {
				continue
			}
			if m == "就" && (!factQualifierStands("就", rs[k-1]) || k+1 < len(rs) && strings.ContainsRune("业医学近地诊餐读职任是算绪", rs[k+1])) {
				continue
			}
			rs, cut = rs[k+n:], true
			break
		}
		if cut {
			break
		}
	}
	for changed := true; changed && len(rs) > 0; {
		changed = false
		rs = factTrimPunct(rs)
		if n := factEnumerator(rs); n > 0 {
			rs, changed = rs[n:], true
			continue
		}
		for _, f := range factLeadFillers {
			n := utf8.RuneCountInString(f)
			if hasRunePrefix(rs, f) && len(rs) > n && !strings.ContainsRune(factLeadFillerNotBefore[f], rs[n]) {
				rs, changed = rs[n:], true
				break
			}
		}
	}
	rs = factTrimPunct(rs)
	for len(rs) > 0 && strings.ContainsRune("的和及与、", rs[len(rs)-1]) {
		rs = factTrimPunct(rs[:len(rs)-1])
	}
	return string(factShorten(rs))
}

// factShorten keeps a long subject readable: the leading verb phrase and
// the words nearest the number, joined by "…", each cut at a list mark
// where there is one: "入户发放《疫情控制明白纸》…《新型冠状病毒防控应知应会知识》".
func factShorten(rs []rune) []rune {
	const limit, headMax, tailMax = 40, 14, 24
	if len(rs) <= limit {
		return rs
	}
	head := rs[:headMax]
	depth := 0
	for k := 0; k < headMax; k++ {
		switch rs[k] {
		case '《':
			depth++
		case '》':
			depth--
		case '、', ',', '，':
			if depth == 0 && k >= 2 {
				head = rs[:k]
				k = headMax
			}
		}
	}
	tail := rs[len(rs)-tailMax:]
	for k := 0; k < tailMax-4; k++ {
		if tail[k] == '、' || tail[k] == ',' || tail[k] == '，' {
			tail = tail[k+1:]
			break
		}
	}
	out := make([]rune, 0, len(head)+1+len(tail))
	out = append(out, head...)
	out = append(out, '…')
	return append(out, tail...)
}

// factTrimPunct trims punctuation and brackets that belong to no subject.
func factTrimPunct(rs []rune) []rune {
	for len(rs) > 0 {
		r := rs[0]
		if unicode.IsPunct(r) && r != '《' && r != '（' && r != '(' || r == '-' || r == '>' || r == '•' {
			rs = rs[1:]
			continue
		}
		break
	}
	for len(rs) > 0 {
		r := rs[len(rs)-1]
		if unicode.IsPunct(r) && r != '》' && r != '）' && r != ')' && r != '%' || unicode.IsPunct(r) && factUnbalanced(rs) {
			rs = rs[:len(rs)-1]
			continue
		}
		break
	}
	return rs
}

// factUnbalanced reports whether the last rune of rs is a closing bracket
// without its opening one.
func factUnbalanced(rs []rune) bool {
	last := rs[len(rs)-1]
	var open rune
	switch last {
	case '》':
		open = '《'
	case '）':
		open = '（'
	case ')':
		open = '('
	default:
		return false
	}
	return !slices.Contains(rs[:len(rs)-1], open)
}

// factEnumerator returns the length of a list marker at the start of rs:
// "一是", "二要", "1、", "2.", "（三）", "其一".
func factEnumerator(rs []rune) int {
	j := 0
	for j < len(rs) && (isASCIIDigit(rs[j]) || isCNNumeral(rs[j])) {
		j++
	}
	if j > 0 && j < len(rs) && j <= 3 {
		switch rs[j] {
		case '是', '要', '、', '.', '．':
			if j+1 < len(rs) {
				return j + 1
			}
		}
	}
	if hasRunePrefix(rs, "其一") || hasRunePrefix(rs, "首先") || hasRunePrefix(rs, "其次") {
		return 2
	}
	return 0
}

// factStripTimes removes time phrases anywhere in a subject: "2020年",
// "2021年度", "2020年以来", "今年", "9月15日".
func factStripTimes(rs []rune) []rune {
	out := rs[:0:0]
	for i := 0; i < len(rs); {
		if isASCIIDigit(rs[i]) && (i == 0 || !isASCIIDigit(rs[i-1])) {
			j := i
			for j < len(rs) && isASCIIDigit(rs[j]) {
				j++
			}
			if j < len(rs) && (rs[j] == '年' && j-i == 4 || (rs[j] == '月' || rs[j] == '日') && j-i <= 2) {
				j++
				for _, suf := range []string{"度以来", "以来", "度", "底", "初", "末"} {
					if hasRunePrefixAt(rs, j, suf) {
						j += utf8.RuneCountInString(suf)
						break
					}
				}
				i = j
				continue
			}
		}
		matched := false
		for _, w := range []string{"今年以来", "一年来", "今年"} {
			if hasRunePrefixAt(rs, i, w) {
				i += utf8.RuneCountInString(w)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		out = append(out, rs[i])
		i++
	}
	return out
}

// factWeakSubject reports whether a subject says too little on its own:
// empty, one character, or only a period such as 每年.
func factWeakSubject(s string) bool {
	n := utf8.RuneCountInString(s)
	if n < 2 {
		return true
	}
	return strings.HasPrefix(s, "每") && n <= 3
}
