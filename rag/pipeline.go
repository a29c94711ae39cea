package rag

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// extractiveExcept runs the extractive answerer's stages: the question is
// understood (follow-up, parts, places, years, kind), its scope settled
// (the reports of those places and years, or a refusal naming what the
// store has), candidates gathered from the scope, and the best one chosen
// by a fitted model, or a refusal when none is good enough. Figures in
// used are not chosen again. Each stage records into the context's trace.
func (e *Engine) extractiveExcept(ctx context.Context, question Question, used usedFacts) (Answer, error) {
	c, err := e.catalog(ctx)
	if err != nil {
		return Answer{}, err
	}
	tr := traceFrom(ctx)
	text := e.understand(c, question.Text, question.History)
	if used == nil {
		isPlace := func(s string) bool {
			q := analyse(s, c.towns, e.gloss)
			return len(q.Towns) > 0 || q.UnknownTown != ""
		}
		parts, soft := splitQuestion(text, isPlace)
		if len(parts) > maxQuestionParts {
			return Answer{}, &LimitError{What: "question", Limit: maxQuestionParts, Unit: "parts"}
		}
		if len(parts) > 1 {
			a, complete, err := e.multiAnswer(ctx, text, parts)
			if err != nil || complete || !soft {
				return a, err
			}
			if tr != nil {
				tr.Parts = nil // answered whole after all
			}
		}
	}
	q := analyse(text, c.towns, e.gloss)
	tr.query(text, q)
	a := Answer{Mode: "extractive", Citations: []Citation{}}
	if len(c.reports) == 0 {
		a.Answer = say(q.Lang, "报告库中还没有报告。", "No reports have been ingested yet.")
		tr.decide("refusal", "the store is empty")
		return a, nil
	}
	q, scope, allow, refusal := e.scopeStage(ctx, c, q)
	tr.scope(scope)
	if refusal != "" {
		a.Answer = refusal
		tr.decide("refusal", "no report of the place or year asked about")
		return a, nil
	}
	switch ans, route, why := e.ruleStage(ctx, q, scope, allow); route {
	case routeAggregate:
		tr.decide(route, "%s", why)
		if len(scope) > maxScopeReports {
			ctx, release, err := e.enterGate(ctx)
			if err != nil {
				return Answer{}, err
			}
			defer release()
			return e.aggregate(ctx, q, scope)
		}
		return e.aggregate(ctx, q, scope)
	case routeMeta, routeSection:
		tr.decide(route, "%s", why)
		return ans, nil
	}
	sents, m, err := e.gatherStage(ctx, c, q, scope, allow)
	if err != nil {
		return Answer{}, err
	}
	if m.empty() {
		if allow != nil && q.Kind == KindWhat && len(sents) > 0 {
			// "2023年有啥打算？": the plans for that year are the answer.
			tr.decide(routeSection, "the plans of another year's report answer")
			return passageAnswer(q, sents[0].report, sents[0].section, sents), nil
		}
		a.Answer = notStated(q, scope)
		tr.decide("refusal", "no term of the question occurs in the scope")
		return a, nil
	}
	switch ans, route := choiceRoute(q, m, sents); route {
	case routeFigure:
		return e.figureStage(ctx, q, m, scope, sents, allow, used)
	case routeList:
		tr.decide(route, "the question asks which reports state it")
		return listAnswer(q, m, sents, scope), nil
	case routeSection:
		tr.decide(route, "a section heading matches the question")
		return ans, nil
	}
	return sentenceStage(tr, q, m, sents, scope), nil
}

// understand reads a question in its conversation: a follow-up takes the
// place, year and subject of the turn before ("那三川镇呢？"), and relative
// years (今年, 去年) become the years they stand for.
func (e *Engine) understand(c *catalog, text string, history []Turn) string {
	return resolveRelativeYears(resolveFollowUp(text, history, c.towns, e.gloss), e.now(), e.yearsOfPlaces(c))
}

// The routes a question takes once its scope is settled: rules answer
// questions about the report itself, its numbered parts, lists and
// section headings; aggregates read several reports; the fitted models
// choose a figure or a sentence for the rest.
const (
	routeMeta      = "meta"
	routeSection   = "section"
	routeAggregate = "aggregate"
	routeList      = "list"
	routeFigure    = "figure"
	routeSentence  = "sentence"
)

// ruleStage answers, before any sentence is gathered, what a rule answers:
// a question about the report itself (routeMeta) or about one of its
// numbered parts (routeSection), with the answer and why. A figure over
// several reports is routeAggregate, not yet answered. "" leaves the
// question to the gathered sentences. The answerer and the fit of the
// models (TrainingRows) route through it alike.
func (e *Engine) ruleStage(ctx context.Context, q Query, scope []ReportInfo, allow func(text, section string) bool) (ans Answer, route, why string) {
	if q.Meta != "" && len(q.Towns) > 0 && allow == nil {
		if ans, ok := e.metaAnswer(ctx, q, scope); ok {
			return ans, routeMeta, fmt.Sprintf("the question asks about the report itself (%s)", q.Meta)
		}
	}
	if part := partAsked(q.Text); part != "" && len(scope) == 1 {
		if ans, ok := e.partAnswer(ctx, q, scope[0], part); ok {
			return ans, routeSection, fmt.Sprintf("the question asks what part %s of the report is about", part)
		}
	}
	if q.Aggregate != "" && (q.Kind == KindCount || q.Kind == KindRate) {
		return Answer{}, routeAggregate, fmt.Sprintf("the question asks for %s over %d reports", q.Aggregate, len(scope))
	}
	return Answer{}, "", ""
}

// choiceRoute says how the gathered sentences answer q: a figure chosen
// by the figure model (routeFigure), the reports that state it
// (routeList), a matching section heading (routeSection, with its
// answer), or a sentence chosen by the sentence model (routeSentence).
func choiceRoute(q Query, m *matcher, sents []sentence) (Answer, string) {
	switch {
	case q.Kind == KindCount || q.Kind == KindRate:
		return Answer{}, routeFigure
	case q.Kind == KindWhat && q.Aggregate == "list":
		return Answer{}, routeList
	case q.Kind == KindWhat:
		if ans, ok := sectionAnswer(q, m, sents); ok {
			return ans, routeSection
		}
	}
	return Answer{}, routeSentence
}

// scopeStage settles the reports a question is answered from: those of the
// places and year it names, the plans of another year's report for a year
// not covered, or none with a refusal that says what the store has.
func (e *Engine) scopeStage(ctx context.Context, c *catalog, q Query) (Query, []ReportInfo, func(text, section string) bool, string) {
	if q.UnknownTown != "" {
		// A report whose unit was not detected may still name the place in
		// its title: answer from those reports rather than refuse.
		if byTitle := reportsTitled(c, q.UnknownTown); len(byTitle) > 0 {
			for _, r := range byTitle {
				q.ReportIDs = append(q.ReportIDs, r.ID)
			}
			q.UnknownTown = ""
		}
	}
	if q.UnknownTown != "" {
		// A place the gazetteer knows is answered with the stored units
		// nearest to it; any other with every stored unit.
		if len(q.Near) > 0 {
			return q, nil, nil, say(q.Lang,
				fmt.Sprintf("报告库中没有%s的报告。附近有报告的单位：%s。其他报告：%s。", q.UnknownTown, listTowns(c, "zh", q.Near, nil), listTowns(c, "zh", nil, q.Near)),
				fmt.Sprintf("There is no report on %s. Stored reports nearby: %s. Others: %s.", q.UnknownTown, listTowns(c, "en", q.Near, nil), listTowns(c, "en", nil, q.Near)))
		}
		return q, nil, nil, say(q.Lang,
			fmt.Sprintf("报告库中没有%s的报告。现有报告：%s。", q.UnknownTown, listTowns(c, "zh", nil, nil)),
			fmt.Sprintf("There is no report on %s. Reports available: %s.", q.UnknownTown, listTowns(c, "en", nil, nil)))
	}
	scope := e.scopeReports(c, q)
	var allow func(text, section string) bool // nil: every sentence of the scope
	if len(scope) == 0 && q.Year != 0 {
		var plan bool
		scope, allow, plan = e.otherYearScope(ctx, c, q)
		if plan {
			// Within the plans, "计划/打算" is said by the section itself.
			stripped := q.Text
			for _, w := range planWords {
				stripped = strings.ReplaceAll(stripped, w, " ")
			}
			q.Groups = termGroups(stripped, q, c.towns, e.gloss)
		}
	}
	if len(scope) == 0 {
		return q, nil, nil, noYearAnswer(c, q)
	}
	return q, scope, allow, ""
}

// gatherStage collects the candidate sentences of the scope (every
// sentence, or those of the chunks retrieval finds when the scope is
// large) and a matcher weighing the question's terms by their rarity in
// them.
func (e *Engine) gatherStage(ctx context.Context, c *catalog, q Query, scope []ReportInfo, allow func(text, section string) bool) ([]sentence, *matcher, error) {
	sents, err := e.candidates(ctx, c, q, scope)
	if err != nil {
		return nil, nil, err
	}
	kept := sents[:0:0]
	for _, s := range sents {
		if s.furniture {
			// The page's own lines run together with the report's first
			// sentence: keep the sentence without them.
			t := stripFurniture(s.text)
			if t == "" || isFurniture(t) {
				continue
			}
			s.text, s.grams, s.furniture = t, gramsOf(t), false
		}
		if allow == nil || allow(s.text, s.section) {
			kept = append(kept, s)
		}
	}
	return kept, matcherFor(q.Groups, kept), nil
}

// figureStage answers a count or rate question with the figure the figure
// model likes best, or refuses.
func (e *Engine) figureStage(ctx context.Context, q Query, m *matcher, scope []ReportInfo, sents []sentence, allow func(text, section string) bool, used usedFacts) (Answer, error) {
	factScope := scope
	if !readWhole(q, scope) {
		// Too many reports to read every figure: those retrieval found.
		factScope = reportsOf(sents)
	}
	if f, s, twins, ok := e.bestFact(ctx, q, m, factScope, allow, used); ok {
		if used != nil {
			used[keyOf(s.report, f)] = true
		}
		a := factAnswer(q, f, s)
		for _, r := range twins {
			a.Citations = append(a.Citations, citation(r, f.Section, f.Quote))
		}
		return a, nil
	}
	return Answer{Mode: "extractive", Citations: []Citation{}, Answer: notStated(q, scope)}, nil
}

// sentenceStage answers with the sentence the sentence model likes best,
// or refuses.
func sentenceStage(tr *Trace, q Query, m *matcher, sents []sentence, scope []ReportInfo) Answer {
	a := Answer{Mode: "extractive", Citations: []Citation{}}
	model := &fitted().Sentence
	wants := wantsOf(q)
	type scored struct {
		i     int
		x     []float64
		score float64
	}
	var top []scored // the best few, for the trace
	best, score := -1, 0.0
	for i, s := range sents {
		var prev *sentence
		if i > 0 && sents[i-1].report.ID == s.report.ID && sents[i-1].section == s.section {
			prev = &sents[i-1]
		}
		x := sentenceFeatureValues(m, wants, s, prev)
		sc := model.prob(x)
		if sc > score {
			best, score = i, sc
		}
		if tr != nil {
			top = append(top, scored{i, x, sc})
		}
	}
	if tr != nil {
		sortBy(top, func(a, b scored) bool { return a.score > b.score })
		for _, c := range top[:min(len(top), maxTraceCandidates)] {
			tr.Candidates = append(tr.Candidates, TraceCandidate{Source: sents[c.i].report.Source, Text: sents[c.i].text, Score: c.score, Features: namedFeatures(sentenceFeatures, c.x)})
		}
		tr.Threshold = model.Threshold
	}
	if best < 0 || score < model.Threshold {
		a.Answer = notStated(q, scope)
		tr.decide("refusal", "no sentence reaches the sentence model's threshold (best %.3f < %.3f)", score, model.Threshold)
		return a
	}
	s := sents[best]
	// A short sentence ("三是行政执法人员力量有待进一步加强。") is often a
	// topic line that the next sentence of its section makes concrete.
	if utf8.RuneCountInString(s.text) < 40 && best+1 < len(sents) {
		if n := sents[best+1]; n.report.ID == s.report.ID && n.section == s.section {
			s.text += n.text
		}
	}
	tr.decide("sentence", "the best sentence scores %.3f ≥ %.3f", score, model.Threshold)
	a.Found = true
	a.Citations = []Citation{citation(s.report, s.section, s.text)}
	// The same sentence in other reports in scope (one report in several
	// formats) is cited too.
	cited := map[string]bool{s.report.ID: true}
	for _, o := range sents {
		if !cited[o.report.ID] && o.text == sents[best].text {
			cited[o.report.ID] = true
			a.Citations = append(a.Citations, citation(o.report, o.section, s.text))
		}
	}
	a.Answer = say(q.Lang,
		fmt.Sprintf("据%s：%s", reportLabel(s.report, "zh"), s.text),
		fmt.Sprintf("According to %s: “%s”", reportLabel(s.report, "en"), s.text))
	return a
}

func sortBy[T any](xs []T, less func(a, b T) bool) {
	sort.SliceStable(xs, func(i, j int) bool { return less(xs[i], xs[j]) })
}

// furnitureRe matches what a web page puts around a report: its source
// line, navigation, index-number table, publication line, view counter and
// buttons. Such a sentence is never quoted as an answer.
var furnitureRe = regexp.MustCompile(`https?://|www\.|(?:^|\s)(?:来源|信息来源|当前位置|您的位置|索引号|发布时间|发布日期|发布机构|发文机关|成文日期|主题分类|浏览次数|访问次数|点击数)[:：]|【字体|打印本页|关闭窗口|分享到|文件已失效|首页\s*>`)

// furnitureMarks are strings of which every furniture match holds one: a
// sentence with none of them is body text, found without the regexp.
var furnitureMarks = []string{":", "：", "http", "www.", "【字体", "打印本页", "关闭窗口", "分享到", "文件已失效", "首页"}

func isFurniture(s string) bool {
	for _, m := range furnitureMarks {
		if strings.Contains(s, m) {
			return furnitureRe.MatchString(s)
		}
	}
	return false
}

// furnitureSpans are the page's lines as they run into a sentence: the
// source line with its address, the site's name and address, the
// publication time.
var furnitureSpans = regexp.MustCompile(`(?:来源|信息来源)[:：]\s*https?://[\x21-\x7e]*|https?://[\x21-\x7e]*|(?:门户网站|政府网站)\s*(?:www\.[\x21-\x7e]*)?|www\.[\x21-\x7e]*|(?:发布时间|发布日期|日期|时间)[:：]\s*\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?|文件已失效`)

// tableKeyRe is the key of a page's metadata entry: "索 引 号:", "发布机构:".
var tableKeyRe = regexp.MustCompile(`^\s*(?:\p{Han}\s*){2,6}[:：]`)

// stripFurniture removes the page's lines from a sentence, or returns ""
// when too little of a sentence is left.
func stripFurniture(s string) string {
	// A page's metadata table run together: "• 索 引 号:…• 发布机构:徐庄镇•
	// 效力状态:有效山亭区徐庄镇…报告今年以来,…". Entries go; of the last,
	// which runs into the report, only its key.
	if parts := strings.Split(s, "•"); len(parts) > 1 {
		var kept []string
		for i, p := range parts {
			key := tableKeyRe.FindString(p)
			switch {
			case key == "":
				kept = append(kept, p)
			case i == len(parts)-1:
				kept = append(kept, p[len(key):])
			}
		}
		s = strings.Join(kept, " ")
	}
	t := strings.TrimSpace(furnitureSpans.ReplaceAllString(s, " "))
	han := 0
	for _, r := range t {
		if unicode.Is(unicode.Han, r) {
			han++
		}
	}
	if han < 8 {
		return ""
	}
	return t
}

// partRe is a question about a numbered part of a report: "第(三)部分",
// "第三部分", "第3部分".
var partRe = regexp.MustCompile(`第\s*[(（]?([一二三四五六七八九十]{1,3}|\d{1,2})[)）]?\s*(?:部分|节)`)

// partAsked returns the number of the part a question asks about, or "".
func partAsked(text string) string {
	if m := partRe.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// partAnswer answers "第(三)部分讲的是什么" with the heading of that part,
// the first heading of the report numbered so: "(三)…", "（三）…", "三、…".
func (e *Engine) partAnswer(ctx context.Context, q Query, r ReportInfo, part string) (Answer, bool) {
	d, err := e.doc(ctx, r)
	if err != nil {
		return Answer{}, false
	}
	marks := []string{"(" + part + ")", "（" + part + "）", part + "、", part + "."}
	for _, path := range d.headings {
		for _, h := range strings.Split(path, " > ") {
			for _, mk := range marks {
				if strings.HasPrefix(strings.TrimSpace(h), mk) {
					a := Answer{Found: true, Mode: "extractive", Citations: []Citation{citation(r, path, h)}}
					a.Answer = say(q.Lang,
						fmt.Sprintf("据%s，第%s部分是：%s", reportLabel(r, "zh"), part, h),
						fmt.Sprintf("According to %s, part %s is: %s", reportLabel(r, "en"), part, h))
					return a, true
				}
			}
		}
	}
	return Answer{}, false
}
