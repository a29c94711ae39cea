package rag

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"fazhi/ingest"
)

// factCandidate is a stated figure scored against a question.
type factCandidate struct {
	fact  ingest.Fact
	x     []float64 // figureFeatures; nil when only the score was kept
	score float64   // the figure model's probability
	rep   *ReportInfo
}

// scoreFacts scores the facts of the reports in scope, best first.
func (e *Engine) scoreFacts(ctx context.Context, q Query, m *matcher, scope []ReportInfo) ([]factCandidate, error) {
	model := &fitted().Figure
	var out []factCandidate
	for i := range scope {
		d, err := e.doc(ctx, scope[i])
		if err != nil {
			return nil, err
		}
		out = scoreDocFacts(out, q, figureAsks(q), m, model, &scope[i], d, nil)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out, nil
}

// scoreDocFacts appends to out the figures of report r (its doc d) scored
// by the figure model fm, those keep accepts (nil: all).
func scoreDocFacts(out []factCandidate, q Query, qf figureQuestion, m *matcher, fm *model, r *ReportInfo, d *reportDoc, keep func(factCandidate) bool) []factCandidate {
	for i := range d.facts {
		if c, ok := scoreFact(q, qf, m, fm, r, &d.facts[i], nil); ok && (keep == nil || keep(c)) {
			out = append(out, c)
		}
	}
	return out
}

// scoreFact scores figure f of report r by the figure model fm; ok is
// false for a figure quoted from page furniture, which never answers.
// With scratch (of len(figureFeatures)) the features are computed there
// and not kept: the candidate carries its score only.
func scoreFact(q Query, qf figureQuestion, m *matcher, fm *model, r *ReportInfo, f *docFact, scratch []float64) (factCandidate, bool) {
	if f.furniture {
		return factCandidate{}, false
	}
	x := figureFeatureValues(scratch, q, qf, m, f)
	c := factCandidate{fact: f.Fact, rep: r, score: fm.prob(x)}
	if scratch == nil {
		c.x = x
	}
	return c, true
}

// figureFeatures name what is known of a stated figure against a question:
// how much of the question its own clause, its sentence and the sentences
// before say, and what kind of figure it is (a change, another year's, a
// target, a total, in the unit asked or not). The figure model weighs them.
var figureFeatures = []string{
	"cover_subject", "cover_clause", "cover_inherited", "cover_sentence", "cover_context",
	"exact_clause", "exact_sentence",
	"log_cover_local", "log_cover_whole",
	"metric_match", "metric_conflict",
	"change_unasked", "year_asked", "year_other", "year_other_than_report",
	"target_unasked", "plan_mismatch", "new_unasked",
	"total_word", "total_asked",
	"change_q_not_percent", "change_q_change_word",
	"rate_q_not_percent", "percent_unasked", "money_or_hours_mismatch", "unit_mismatch",
	"cover_focus_clause", "value_in_question",
}

var changeWords = []string{"增加", "减少", "增长", "下降", "较上年", "与上年相比", "同比", "上升"}

// figureQuestion is what a question asks of figures, read once per question.
type figureQuestion struct {
	changeQ, asksTarget, asksNew, asksTotal, asksPlan bool
	year                                              string
	given                                             []float64 // figures the question itself states ("12名班子成员")
}

func figureAsks(q Query) figureQuestion {
	lower := strings.ToLower(q.Text)
	fq := figureQuestion{
		changeQ: len(q.Units) == 1 && q.Units[0] == "%" && q.Kind != KindRate,
		asksTarget: containsAny(q.Text, "至少", "不少于", "不低于", "最少", "要求", "每年", "每月", "每周", "目标") || asksPlan(q.Text) ||
			containsAny(lower, "at least", "minimum", "must", "required", "target"),
		asksNew:   containsAny(q.Text, "新增", "新培养", "新建", "新发展", "新聘") || containsAny(lower, " new ", "newly", "added"),
		asksTotal: containsAny(q.Text, "累计", "总共", "一共", "总数", "共有") || containsAny(lower, "in total", "total", "altogether", "cumulative"),
		asksPlan:  asksPlan(q.Text),
	}
	if q.Year != 0 {
		fq.year = strconv.Itoa(q.Year)
	}
	for _, m := range givenNumber.FindAllStringSubmatch(q.Text, -1) {
		if strings.HasPrefix(m[2], "年") || yearLike(m[1]) {
			continue
		}
		if v, err := strconv.ParseFloat(m[1], 64); err == nil {
			fq.given = append(fq.given, v)
		}
	}
	return fq
}

// givenNumber is a figure written in a question, with what follows it.
var givenNumber = regexp.MustCompile(`(\d+(?:\.\d+)?)(\S?)`)

// yearLike says whether digits read as a year (1990–2099).
func yearLike(digits string) bool {
	return len(digits) == 4 && (strings.HasPrefix(digits, "19") || strings.HasPrefix(digits, "20"))
}

// figureFeatureValues computes figureFeatures for a figure.
func figureFeatureValues(dst []float64, q Query, fq figureQuestion, m *matcher, f *docFact) []float64 {
	subject, clause := m.cover(f.subject), m.cover(f.local)
	inherited, context := 0.0, 0.0
	if f.inherited != nil {
		inherited = m.cover(f.inherited)
	}
	sentence := m.cover(f.quote)
	if f.context != nil {
		context = m.cover(f.context)
	}
	changeQ, asksTarget, asksNew := fq.changeQ, fq.asksTarget, fq.asksNew
	ys := f.years
	total := f.kind.total
	unitOK := q.Units == nil || contains(q.Units, f.Unit)
	return append(dst[:0],
		subject, clause, inherited, sentence, context,
		m.coverExact(f.local), m.coverExact(f.quote),
		logCover(max(subject, clause, inherited)), logCover(max(sentence, context)),
		b2f(q.Metric != "" && f.Metric == q.Metric),
		b2f(q.Metric != "" && f.Metric != "" && f.Metric != q.Metric && !fuzzyMetric[q.Metric] && !fuzzyMetric[f.Metric]),
		b2f(!changeQ && f.kind.change),
		b2f(q.Year != 0 && len(ys) == 1 && ys[0] == fq.year),
		b2f(q.Year != 0 && len(ys) > 0 && !contains(ys, fq.year)),
		b2f(q.Year == 0 && slices.ContainsFunc(f.years, func(y string) bool { return y != strconv.Itoa(f.Year) })),
		b2f(f.kind.target && !asksTarget),
		b2f(f.kind.plan != fq.asksPlan),
		b2f(!asksNew && f.kind.isNew),
		b2f(total),
		b2f(total && fq.asksTotal),
		b2f(changeQ && f.Unit != "%"),
		b2f(changeQ && f.Unit == "%" && f.kind.growth),
		b2f(q.Kind == KindRate && f.Unit != "%"),
		b2f(q.Kind != KindRate && f.Unit == "%" && q.Units != nil && !contains(q.Units, "%")),
		b2f(!unitOK && (contains(q.Units, "元") || contains(q.Units, "小时"))),
		b2f(!unitOK),
		m.coverFocus(f.local),
		b2f(slices.Contains(fq.given, f.Value)),
	)
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
			if (allow == nil || allow(c.fact.Quote, c.fact.Section)) && !used[keyOf(*c.rep, c.fact)] {
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	if tr := traceFrom(ctx); tr != nil {
		for _, c := range cands[:min(len(cands), maxTraceCandidates)] {
			tr.Candidates = append(tr.Candidates, TraceCandidate{Source: c.rep.Source, Text: c.fact.Quote, Value: formatValue(c.fact), Score: c.score, Features: namedFeatures(figureFeatures, c.x)})
		}
		tr.Threshold = fitted().Figure.Threshold
		switch {
		case err != nil || len(cands) == 0:
			tr.decide("refusal", "no figure in scope")
		case !confident(cands):
			tr.decide("refusal", "no figure reaches the figure model's threshold (best %.3f < %.3f)", cands[0].score, tr.Threshold)
		default:
			tr.decide("figure", "the best figure scores %.3f ≥ %.3f", cands[0].score, tr.Threshold)
		}
	}
	if err != nil || len(cands) == 0 || !confident(cands) {
		return ingest.Fact{}, sentence{}, nil, false
	}
	best := cands[0]
	seen := map[string]bool{best.rep.ID: true}
	for _, c := range cands[1:] {
		if !seen[c.rep.ID] && c.fact.Quote == best.fact.Quote && c.fact.Value == best.fact.Value {
			seen[c.rep.ID] = true
			twins = append(twins, *c.rep)
		}
	}
	return best.fact, sentence{text: best.fact.Quote, section: best.fact.Section, report: *best.rep}, twins, true
}

// fuzzyMetric are metrics whose wording overlaps (宣讲, 普法, 培训): a
// figure under one may well answer a question worded as another.
var fuzzyMetric = map[string]bool{
	"publicity_events": true, "law_lectures": true, "trainings": true, "people_trained": true,
	"materials_distributed": true, "banners": true, "meetings": true, "law_study_sessions": true,
	"group_study_sessions": true, "people_reached": true, "villages": true, "services_handled": true,
	"exams": true, "inspections": true, "legal_consultations": true, "disclosed_items": true,
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

func isBound(approx string) bool {
	switch approx {
	case "不少于", "至少", "不低于", "不超过", "以上":
		return true
	}
	return false
}

// confident says whether the best-scoring figure answers: the figure
// model's probability is over its fitted threshold.
func confident(cands []factCandidate) bool {
	return cands[0].score >= fitted().Figure.Threshold
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
