package rag

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"fazhi/ingest"
)

// factCandidate is a stated figure scored against a question.
type factCandidate struct {
	fact  ingest.Fact
	score float64
	rep   ReportInfo
}

// scoreFacts scores the facts of the reports in scope.
func (e *Engine) scoreFacts(ctx context.Context, q Query, m *matcher, scope []ReportInfo) ([]factCandidate, error) {
	var out []factCandidate
	for _, r := range scope {
		d, err := e.doc(ctx, r)
		if err != nil {
			return nil, err
		}
		for i := range d.facts {
			out = append(out, factCandidate{fact: d.facts[i].Fact, rep: r, score: scoreFact(q, m, &d.facts[i])})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out, nil
}

// scoreFact scores a stated figure against a question: mostly by what its
// own clause says it counts, then by its sentence, then by the sentences
// before (which often name the campaign the figure belongs to).
func scoreFact(q Query, m *matcher, f *docFact) float64 {
	// The subject decides first: in "婚姻家庭纠纷41件、邻里纠纷52件、山林
	// 土地权属纠纷38件" every figure shares the clause.
	local := max(m.cover(f.subject), 0.85*m.cover(f.local))
	if f.inherited != nil {
		local = max(local, 0.8*m.cover(f.inherited))
	}
	whole := m.cover(f.quote)
	if f.context != nil {
		whole = max(whole, 0.9*m.cover(f.context))
	}
	sc := 0.6*local + 0.4*whole
	switch {
	case q.Metric != "" && f.Metric == q.Metric:
		sc += 0.15 // the figure counts what the question asks for
	case q.Metric != "" && f.Metric != "" && !fuzzyMetric[q.Metric] && !fuzzyMetric[f.Metric]:
		sc *= 0.7 // it is known to count something else (行政诉讼 for 行政复议)
	}
	changeQ := len(q.Units) == 1 && q.Units[0] == "%" && q.Kind != KindRate
	if !changeQ && containsAny(f.clause, "增加", "减少", "增长", "下降", "较上年", "与上年相比", "同比", "上升") {
		sc *= 0.7 // "总量增加53件" is a change, not the figure
	}
	switch ys := yearsIn(f.clause); {
	case q.Year != 0 && contains(ys, strconv.Itoa(q.Year)) && len(ys) == 1:
		sc += 0.1 // the clause names the very year asked about ("2022年164件")
	case q.Year != 0 && len(ys) > 0:
		sc *= 0.7 // it names another year than the one asked about
	case q.Year == 0 && otherYearIn(f.clause, f.Year) != 0:
		sc *= 0.7 // "（2022年受理365件）" in a 2023 report speaks of another year
	}
	if isTarget(f) && !containsAny(q.Text, "至少", "不少于", "不低于", "最少", "要求", "每年", "每月", "每周", "目标") && !asksPlan(q.Text) && !containsAny(strings.ToLower(q.Text), "at least", "minimum", "must", "required", "target") {
		sc *= 0.7 // a target ("不少于30场次", "力争达到97%以上") is not what was done
	}
	if planSection(f.Section) != asksPlan(q.Text) {
		sc *= 0.85 // targets answer plan questions; achievements the others
	}
	asksNew := containsAny(q.Text, "新增", "新培养", "新建", "新发展", "新聘") || containsAny(strings.ToLower(q.Text), " new ", "newly", "added")
	if !asksNew && containsAny(f.clause, "新增", "新培养", "新建", "新发展", "新聘") {
		sc *= 0.85 // what was added this year is not how many there are
	}
	if containsAny(f.clause, "全镇", "全乡", "全街道", "全年", "累计", "共", "总", "合计") {
		sc += 0.03 // a total answers "how many" before a part does
		if containsAny(q.Text, "累计", "总共", "一共", "总数", "共有") || containsAny(strings.ToLower(q.Text), "in total", "total", "altogether", "cumulative") {
			sc += 0.07
		}
	}
	if len(q.Units) == 1 && q.Units[0] == "%" && q.Kind != KindRate {
		// "同比下降多少", "by how much did … grow": a change, in percent.
		if f.Unit != "%" {
			sc *= 0.5
		} else if containsAny(f.clause, "增长", "下降", "提高", "减少", "上升", "同比", "较上年", "增幅", "降幅") {
			sc += 0.15
		}
	}
	switch {
	case q.Kind == KindRate && f.Unit != "%":
		sc *= 0.3
	case q.Kind != KindRate && f.Unit == "%" && q.Units != nil && !contains(q.Units, "%"):
		sc *= 0.3
	case q.Units != nil && !contains(q.Units, f.Unit) && (contains(q.Units, "元") || contains(q.Units, "小时")):
		sc *= 0.3 // asked for money or hours: a count is no answer
	case q.Units != nil && !contains(q.Units, f.Unit):
		sc *= 0.6
	}
	return sc
}

// bestFact picks the figure that answers a numeric question.
//
// twins are the other reports in scope that state the same figure in the
// same words (the same report ingested as .txt and .pdf, say): the answer
// cites them too.
func (e *Engine) bestFact(ctx context.Context, q Query, m *matcher, scope []ReportInfo, allow func(text, section string) bool, used usedFacts) (f ingest.Fact, s sentence, twins []ReportInfo, ok bool) {
	cands, err := e.scoreFacts(ctx, q, m, scope)
	if allow != nil || len(used) > 0 {
		kept := cands[:0:0]
		for _, c := range cands {
			if (allow == nil || allow(c.fact.Quote, c.fact.Section)) && !used[keyOf(c.rep, c.fact)] {
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	if err != nil || len(cands) == 0 || !confident(cands) {
		return ingest.Fact{}, sentence{}, nil, false
	}
	best := cands[0]
	seen := map[string]bool{best.rep.ID: true}
	for _, c := range cands[1:] {
		if !seen[c.rep.ID] && c.fact.Quote == best.fact.Quote && c.fact.Value == best.fact.Value {
			seen[c.rep.ID] = true
			twins = append(twins, c.rep)
		}
	}
	return best.fact, sentence{text: best.fact.Quote, section: best.fact.Section, report: best.rep}, twins, true
}

// fuzzyMetric are metrics whose wording overlaps (宣讲, 普法, 培训): a
// figure under one may well answer a question worded as another.
var fuzzyMetric = map[string]bool{
	"publicity_events": true, "law_lectures": true, "trainings": true, "people_trained": true,
	"materials_distributed": true, "banners": true, "meetings": true, "law_study_sessions": true,
	"group_study_sessions": true, "people_reached": true, "villages": true, "services_handled": true,
	"exams": true, "inspections": true, "legal_consultations": true, "disclosed_items": true,
}

// otherYearIn returns a year other than the report's that a clause names
// ("2022年受理365件"), or 0.
func otherYearIn(clause string, year int) int {
	for _, m := range yearInClause.FindAllStringSubmatch(clause, -1) {
		if y, _ := strconv.Atoi(m[1]); y != year {
			return y
		}
	}
	return 0
}

// yearsIn lists the years a clause names.
func yearsIn(clause string) []string {
	var out []string
	for _, m := range yearInClause.FindAllStringSubmatch(clause, -1) {
		out = append(out, m[1])
	}
	return out
}

var yearInClause = regexp.MustCompile(`((?:19|20)\d{2})年`)

// isTarget says whether a figure is a target or a rule rather than a
// result: a bound, or a clause that aims ("力争", "确保", "保持在").
func isTarget(f *docFact) bool {
	return isBound(f.Approx) || containsAny(f.clause, "力争", "争取", "确保", "保持在", "目标", "力求", "计划")
}

func isBound(approx string) bool {
	switch approx {
	case "不少于", "至少", "不低于", "不超过", "以上":
		return true
	}
	return false
}

// confident says whether the best-scoring figure answers: its score is
// over the bar, or a little under it but far ahead of every figure from
// another sentence (the question matches one sentence and nothing else).
func confident(cands []factCandidate) bool {
	top := cands[0]
	if top.score >= minFactScore {
		return true
	}
	if top.score < minFactScoreAlone {
		return false
	}
	for _, c := range cands[1:] {
		if c.fact.Quote != top.fact.Quote {
			return c.score*2.5 <= top.score
		}
	}
	return true
}

// formatValue writes a figure as the reports do: "368件", "98%",
// "70余次", "约53起", "不少于40小时".
func formatValue(f ingest.Fact) string {
	v := strconv.FormatFloat(f.Value, 'f', -1, 64)
	if f.Value == math.Trunc(f.Value) && math.Abs(f.Value) < 1e15 {
		v = strconv.FormatInt(int64(f.Value), 10)
	}
	if f.Unit == "元" && f.Value >= 10000 {
		// Reports state large sums in 万元: say it their way too.
		return formatValue(ingest.Fact{Value: f.Value / 10000, Unit: "万元", Approx: f.Approx}) + "（" + v + "元）"
	}
	switch f.Approx {
	case "":
		return v + f.Unit
	case "余", "多", "余次":
		return v + f.Approx + f.Unit // 70余次
	case "以上", "左右", "以下":
		return v + f.Unit + f.Approx // 98%以上
	default:
		return f.Approx + v + f.Unit // 约53起, 不少于40小时
	}
}

func factAnswer(q Query, f ingest.Fact, s sentence) Answer {
	r := s.report
	a := Answer{Found: true, Mode: "extractive", Citations: []Citation{citation(r, f.Section, f.Quote)}}
	subject := strings.TrimSpace(f.Subject)
	a.Answer = say(q.Lang,
		fmt.Sprintf("%s：%s%s。\n\n原文：“%s”", reportLabel(r, "zh"), subject, formatValue(f), f.Quote),
		fmt.Sprintf("%s: %s (%s).\n\nSource: “%s”", reportLabel(r, "en"), formatValue(f), englishSubject(f), f.Quote))
	return a
}

// metricEnglish maps metric keys to their English labels.
var metricEnglish = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for _, m := range ingest.Metrics() {
		out[m.Key] = m.English
	}
	return out
})

// englishSubject says what a figure counts for an English answer: the
// metric's English label where it has one, and the Chinese as written.
func englishSubject(f ingest.Fact) string {
	subject := strings.TrimSpace(f.Subject)
	if en := metricEnglish()[f.Metric]; en != "" {
		return en + ": " + subject
	}
	return subject
}
