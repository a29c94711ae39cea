package rag

import (
	"regexp"
	"strings"
)

// What a question asks for beyond its terms, read once per question: the
// sentence scorer prefers sentences that have the kind of thing asked for.
type sentenceWants struct {
	person    bool // 谁, who
	date      bool // 何时, when
	plan      bool // 计划, 打算: plans may answer
	namedDoc  bool // 哪项规定/哪个方案/which plan: a 《title》 answers
	name      bool // 叫什么/名称/品牌/what is the name: a “quoted name” answers
	frequency bool // 多长时间…一次/多久/how often: 每季度, 每半年 answer
	weekday   bool // 每周哪一天/星期几: 周五 answers
	where     bool // 设在哪里/where: a place answers
	method    bool // 哪些方式/通过什么形式/in what ways: "…等方式" answers
	ordinal   bool // 第几次/第几届: "第18次" answers
}

var (
	docNouns      = []string{"规定", "办法", "细则", "计划", "方案", "条例", "纲要", "制度", "意见", "规划", "要点", "法》", "准则", "规则", "清单"}
	docNounsEn    = []string{"plan", "rules", "regulation", "regulations", "outline", "measures", "programme", "program", "scheme", "provisions", "guideline", "guidelines"}
	whichWordsZh  = []string{"哪项", "哪个", "哪部", "哪份", "哪些", "什么", "哪一", "何种", "名称"}
	nameWordsZh   = []string{"叫什么", "名称", "名字", "品牌", "称号", "命名", "什么名"}
	freqWordsZh   = []string{"多长时间", "多久", "频次", "频率", "每隔", "隔多"}
	weekdayWordZh = []string{"哪一天", "哪天", "星期几", "周几", "哪个工作日"}
	whereWordsZh  = []string{"哪里", "在哪", "何处", "设在", "哪儿"}

	titleRe     = regexp.MustCompile(`《[^》]{2,60}》`)
	quotedRe    = regexp.MustCompile(`“[^”]{2,30}”`)
	frequencyRe = regexp.MustCompile(`每(?:周|月|季度|季|半年|年|两月|两个月|双月|旬|天|日)|定期|半年一次|一季度一次|一月一次`)
	weekdayRe   = regexp.MustCompile(`(?:周|星期|礼拜)[一二三四五六日天]`)
	// newPointRe starts a new point ("二是", "（三）", "2、"): such a
	// sentence does not go on about the sentence before it.
	newPointRe = regexp.MustCompile(`^\s*(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．]|[一二三四五六七八九十]+、|首先|其次|再次|最后|同时)`)
	whereRe    = regexp.MustCompile(`设在|设于|下设[^，。,]{0,8}在|位于|驻[^，。,]{1,8}(?:中心|所|站)`)
	ordinalRe  = regexp.MustCompile(`第[0-9一二三四五六七八九十百零〇]+(?:次|届|个|批|期|轮|号|名)`)
	methodRe   = regexp.MustCompile(`等(?:方式|形式|途径|渠道|载体|手段)|(?:方式|形式|途径|渠道)[^，。,]{0,4}[:：]`)
)

func wantsOf(q Query) sentenceWants {
	lower := strings.ToLower(q.Text)
	w := sentenceWants{
		person: q.Kind == KindWho,
		date:   q.Kind == KindWhen,
		plan:   asksPlan(q.Text),
	}
	which := containsAny(q.Text, whichWordsZh...) || containsAny(lower, "which", "what is the name", "what was the name", "what ")
	w.namedDoc = which && (containsAny(q.Text, docNouns...) || containsAnyWord(lower, docNounsEn))
	w.name = containsAny(q.Text, nameWordsZh...) || containsAny(lower, "name of", "what is the name", "called", "brand", "title of")
	w.frequency = asksFrequency(q.Text, lower)
	w.weekday = asksWeekday(q.Text, lower)
	w.where = containsAny(q.Text, whereWordsZh...) || containsAny(lower, "where ")
	w.method = containsAny(q.Text, "方式", "形式", "途径", "渠道", "载体", "手段") && containsAny(q.Text, "哪些", "什么", "哪种", "何种", "怎样", "如何") ||
		containsAny(lower, "in what ways", "in which ways", "what ways", "what means", "what forms", "which forms", "what methods", "which methods", "how did")
	w.ordinal = asksOrdinal(q.Text, lower)
	return w
}

// asksOrdinal: "第几次", "第几届", "which session".
func asksOrdinal(text, lower string) bool {
	return strings.Contains(text, "第几") || containsAny(lower, "which session", "which edition", "what session", "what edition")
}

// asksFrequency: "多长时间召开一次", "多久", "how often".
func asksFrequency(text, lower string) bool {
	return containsAny(text, freqWordsZh...) || (strings.Contains(text, "一次") && containsAny(text, "多长", "多久", "隔几")) ||
		containsAny(lower, "how often", "how frequently", "frequency")
}

// asksWeekday: "每周哪一天", "which day of the week".
func asksWeekday(text, lower string) bool {
	return containsAny(text, weekdayWordZh...) && containsAny(text, "每周", "每星期") ||
		containsAny(lower, "which day of the week", "what day of the week", "which weekday", "which day each week", "what day each week")
}

func containsAnyWord(lower string, words []string) bool {
	for _, w := range words {
		if containsWord(lower, w) {
			return true
		}
	}
	return false
}

// sentenceFeatures name what is known of a sentence against a question:
// how much of the question it holds, alone and read with the sentence
// before it in its section (which often names what it goes on about),
// whether it starts a new point, and whether it holds the kind of thing
// the question asks for. The sentence model weighs them.
var sentenceFeatures = []string{
	"cover", "cover_with_previous", "log_cover", "log_cover_with_previous", "exact", "new_point",
	"person_named", "person_missing", "date_missing", "plan_unasked",
	"named_document", "quoted_name", "frequency", "weekday", "place", "method",
	"ordinal",
}

// sentenceFeatureValues computes sentenceFeatures; prev is the sentence
// before s in its section, or nil.
func sentenceFeatureValues(m *matcher, w sentenceWants, s sentence, prev *sentence) []float64 {
	cover := m.cover(s.grams)
	withPrev := cover
	newPoint := newPointRe.MatchString(s.text)
	if prev != nil && !newPoint {
		both := make(gramSet, len(s.grams)+len(prev.grams))
		for k := range prev.grams {
			both[k] = struct{}{}
		}
		for k := range s.grams {
			both[k] = struct{}{}
		}
		withPrev = max(cover, m.cover(both))
	}
	person := w.person && hasPersonHint(s.text)
	return []float64{
		cover, withPrev, logCover(cover), logCover(withPrev), m.coverExact(s.grams), b2f(newPoint),
		b2f(person), b2f(w.person && !person),
		b2f(w.date && !dateInText.MatchString(s.text)),
		b2f(planSection(s.section) && !w.plan),
		b2f(w.namedDoc && titleRe.MatchString(s.text)),
		b2f(w.name && (quotedRe.MatchString(s.text) || titleRe.MatchString(s.text))),
		b2f(w.frequency && frequencyRe.MatchString(s.text)),
		b2f(w.weekday && weekdayRe.MatchString(s.text)),
		b2f(w.where && whereRe.MatchString(s.text)),
		b2f(w.method && methodRe.MatchString(s.text)),
		b2f(w.ordinal && ordinalRe.MatchString(s.text)),
	}
}
