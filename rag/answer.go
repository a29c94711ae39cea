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
	"unicode/utf8"

	"fazhi/ingest"
)

// Thresholds of the extractive answerer, settled on the evaluation sets
// in testdata/eval: below them the reports are taken not to say.
const (
	minFactScore      = 0.42
	minFactScoreAlone = 0.34 // with no close rival from another sentence
	minSentenceScore  = 0.55
	minSectionScore   = 0.6
	maxScopeReports   = 12 // beyond this many reports in scope, retrieval narrows the sentences
	maxTownReports    = 60 // … unless the question names its towns: their reports are read whole
)

// sentence is one sentence of a stored report.
type sentence struct {
	text    string
	section string
	report  ReportInfo
	grams   gramSet
}

// reportDoc is a report's sentences, built from its chunks once.
type reportDoc struct {
	facts     []docFact // the report's stated figures, with their grams
	sentences []sentence
	headings  []string          // distinct section paths in order
	prev      map[string]string // sentence → the sentence before it in its section
}

func (e *Engine) doc(ctx context.Context, ri ReportInfo) (*reportDoc, error) {
	e.cacheMu.Lock()
	d := e.docs[ri.ID]
	e.cacheMu.Unlock()
	if d != nil {
		return d, nil
	}
	hits, err := e.store.Chunks(ctx, Scope{Towns: []string{ri.Town}, Year: ri.Year})
	if err != nil {
		return nil, err
	}
	d = &reportDoc{prev: map[string]string{}}
	seen := map[string]bool{}
	lastSection := "\x00"
	for _, h := range hits {
		if h.ReportID != ri.ID {
			continue
		}
		if h.Section != lastSection {
			d.headings = append(d.headings, h.Section)
			lastSection = h.Section
		}
		for _, s := range ingest.Sentences(h.Text) {
			if seen[s] {
				continue
			}
			seen[s] = true
			if n := len(d.sentences); n > 0 && d.sentences[n-1].section == h.Section {
				d.prev[s] = d.sentences[n-1].text
				if n > 1 && d.sentences[n-2].section == h.Section {
					d.prev[s] = d.sentences[n-2].text + d.sentences[n-1].text
				}
			}
			d.sentences = append(d.sentences, sentence{text: s, section: h.Section, report: ri, grams: gramsOf(s)})
		}
	}
	facts, err := e.store.Facts(ctx, FactFilter{Source: ri.Source})
	if err != nil {
		return nil, err
	}
	for _, f := range facts {
		df := docFact{Fact: f, clause: f.Subject}
		if at := strings.Index(f.Quote, f.Subject); at >= 0 {
			df.clause = clauseAround(f.Quote, at+len(f.Subject)/2)
		}
		df.local = gramsOf(f.Subject + " " + df.clause)
		df.quote = gramsOf(f.Quote)
		if p := d.prev[f.Quote]; p != "" {
			df.context = gramsOf(p + f.Quote)
		}
		d.facts = append(d.facts, df)
	}
	e.cacheMu.Lock()
	if len(e.docs) > 8192 {
		for k := range e.docs {
			delete(e.docs, k)
			break
		}
	}
	e.docs[ri.ID] = d
	e.cacheMu.Unlock()
	return d, nil
}

// docFact is a stated figure with the gram sets scoring reads.
type docFact struct {
	ingest.Fact
	local, quote, context gramSet // its clause, its sentence, with the sentences before
	clause                string
}

// Ask answers a question from the stored reports.
func (e *Engine) Ask(ctx context.Context, q Question) (Answer, error) {
	return e.AskStream(ctx, q, nil)
}

// AskStream answers like Ask and passes the answer's text to onChunk as
// it is produced (nil: no streaming).
func (e *Engine) AskStream(ctx context.Context, q Question, onChunk func(string) error) (Answer, error) {
	if strings.TrimSpace(q.Text) == "" {
		return Answer{}, fmt.Errorf("question: %w", ErrEmptyQuestion)
	}
	if e.llm != nil {
		c, err := e.catalog(ctx)
		if err != nil {
			return Answer{}, err
		}
		// Condensing a follow-up is the chain's job; the offline carry-over
		// of slots gives it a standalone question to start from.
		q.Text = resolveFollowUp(q.Text, q.History, c.towns, e.gloss)
		return e.llm.Answer(ctx, q, onChunk)
	}
	a, err := e.extractive(ctx, q)
	if err != nil {
		return a, err
	}
	if onChunk != nil {
		if err := onChunk(a.Answer); err != nil {
			return a, err
		}
	}
	return a, nil
}

// ErrEmptyQuestion is returned for a question with no text.
var ErrEmptyQuestion = fmt.Errorf("empty question")

// extractive is the offline answerer: it finds the figure or sentences
// that answer and quotes them, or says the reports do not state it.
func (e *Engine) extractive(ctx context.Context, question Question) (Answer, error) {
	c, err := e.catalog(ctx)
	if err != nil {
		return Answer{}, err
	}
	text := resolveFollowUp(question.Text, question.History, c.towns, e.gloss)
	if parts := splitQuestion(text); len(parts) > 1 {
		return e.multiAnswer(ctx, parts, c)
	}
	q := analyse(text, c.towns, e.gloss)
	a := Answer{Mode: "extractive", Citations: []Citation{}}

	if len(c.reports) == 0 {
		a.Answer = say(q.Lang, "报告库中还没有报告。", "No reports have been ingested yet.")
		return a, nil
	}
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
		a.Answer = say(q.Lang,
			fmt.Sprintf("报告库中没有%s的报告。现有报告：%s。", q.UnknownTown, listTowns(c, "zh")),
			fmt.Sprintf("There is no report on %s. Reports available: %s.", q.UnknownTown, listTowns(c, "en")))
		return a, nil
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
		a.Answer = noYearAnswer(c, q)
		return a, nil
	}
	if q.Meta != "" && len(q.Towns) > 0 && allow == nil {
		if ans, ok := e.metaAnswer(ctx, q, scope); ok {
			return ans, nil
		}
	}
	if q.Aggregate != "" && (q.Kind == KindCount || q.Kind == KindRate) {
		return e.aggregate(ctx, q, scope)
	}
	sents, err := e.candidates(ctx, q, scope)
	if err != nil {
		return Answer{}, err
	}
	if allow != nil {
		var kept []sentence
		for _, s := range sents {
			if allow(s.text, s.section) {
				kept = append(kept, s)
			}
		}
		sents = kept
	}
	sets := make([]gramSet, len(sents))
	for i, s := range sents {
		sets[i] = s.grams
	}
	m := newMatcher(q.Groups, newIDF(sets))
	if m.empty() {
		if allow != nil && q.Kind == KindWhat && len(sents) > 0 {
			// "2023年有啥打算？": the plans for that year are the answer.
			return passageAnswer(q, sents[0].report, sents[0].section, sents), nil
		}
		a.Answer = notStated(q, scope)
		return a, nil
	}
	if q.Kind == KindCount || q.Kind == KindRate {
		factScope := scope
		if !readWhole(q, scope) {
			// Too many reports to read every figure: those retrieval found.
			factScope = reportsOf(sents)
		}
		if f, s, ok := e.bestFact(ctx, q, m, factScope, allow); ok {
			return factAnswer(q, f, s), nil
		}
		a.Answer = notStated(q, scope)
		return a, nil
	}
	if q.Kind == KindWhat && q.Aggregate == "list" {
		return listAnswer(q, m, sents, scope), nil
	}
	if q.Kind == KindWhat {
		if ans, ok := sectionAnswer(q, m, sents); ok {
			return ans, nil
		}
	}
	best, score := -1, 0.0
	for i, s := range sents {
		sc := m.cover(s.grams)
		if q.Kind == KindWho && hasPersonHint(s.text) {
			sc += 0.1 // a sentence that names the person beats "以党委书记为组长"
		}
		if q.Kind == KindWhen && !dateInText.MatchString(s.text) {
			sc *= 0.7
		}
		if sc > score {
			best, score = i, sc
		}
	}
	if best < 0 || score < minSentenceScore {
		a.Answer = notStated(q, scope)
		return a, nil
	}
	s := sents[best]
	// A short sentence ("三是行政执法人员力量有待进一步加强。") is often a
	// topic line that the next sentence of its section makes concrete.
	if utf8.RuneCountInString(s.text) < 40 && best+1 < len(sents) {
		if n := sents[best+1]; n.report.ID == s.report.ID && n.section == s.section {
			s.text += n.text
		}
	}
	a.Found = true
	a.Citations = []Citation{citation(s.report, s.section, s.text)}
	a.Answer = say(q.Lang,
		fmt.Sprintf("据%s：%s", reportLabel(s.report, "zh"), s.text),
		fmt.Sprintf("According to %s: “%s”", reportLabel(s.report, "en"), s.text))
	return a, nil
}

// otherYearScope finds where a question about a year no report covers
// may still be answered: a plan question reads the plans for that year in
// the report of the year before ("四、2021年推进法治政府建设的主要措施");
// any question reads what the report of the year after states about that
// year ("2019年调处纠纷141宗"). allow keeps only those passages.
func (e *Engine) otherYearScope(ctx context.Context, c *catalog, q Query) ([]ReportInfo, func(text, section string) bool, bool) {
	mark := strconv.Itoa(q.Year) + "年"
	if containsAny(q.Text, planWords...) || containsAny(strings.ToLower(q.Text), "plan", "next year", "intend", "will ") {
		prev := q
		prev.Year = q.Year - 1
		var out []ReportInfo
		for _, r := range e.scopeReports(c, prev) {
			if d, err := e.doc(ctx, r); err == nil && anyContains(d.headings, mark) {
				out = append(out, r)
			}
		}
		if len(out) > 0 {
			return out, func(_, section string) bool { return strings.Contains(section, mark) }, true
		}
	}
	next := q
	next.Year = q.Year + 1
	var out []ReportInfo
	for _, r := range e.scopeReports(c, next) {
		d, err := e.doc(ctx, r)
		if err != nil {
			continue
		}
		for _, s := range d.sentences {
			if strings.Contains(s.text, mark) {
				out = append(out, r)
				break
			}
		}
	}
	return out, func(text, _ string) bool { return strings.Contains(text, mark) }, false
}

// planWords ask about what a report plans for the next year.
var planWords = []string{"计划", "安排", "打算", "措施", "下一步", "下一年", "思路", "将要", "规划"}

func anyContains(xs []string, sub string) bool {
	for _, x := range xs {
		if strings.Contains(x, sub) {
			return true
		}
	}
	return false
}

// splitQuestion splits a question that asks for two figures ("立案查处了
// 多少件违法案件，罚没了多少钱？") into its parts; the later parts inherit
// the place and time of the first through follow-up resolution.
func splitQuestion(text string) []string {
	if strings.Count(text, "多少")+strings.Count(text, "几") < 2 {
		return nil
	}
	var parts []string
	for _, p := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune("，,；;", r) }) {
		if strings.TrimSpace(p) != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) < 2 {
		return nil
	}
	for _, p := range parts {
		if !containsAny(p, "多少", "几") {
			return nil
		}
	}
	return parts
}

// multiAnswer answers each part of a split question and joins the answers.
func (e *Engine) multiAnswer(ctx context.Context, parts []string, c *catalog) (Answer, error) {
	out := Answer{Mode: "extractive", Citations: []Citation{}}
	var texts []string
	for i, p := range parts {
		var hist []Turn
		if i > 0 {
			hist = []Turn{{Role: "user", Content: parts[0]}}
		}
		a, err := e.extractive(ctx, Question{Text: p, History: hist})
		if err != nil {
			return out, err
		}
		out.Found = out.Found || a.Found
		out.Citations = append(out.Citations, a.Citations...)
		texts = append(texts, a.Answer)
	}
	out.Answer = strings.Join(texts, "\n\n")
	return out, nil
}

var dateInText = regexp.MustCompile(`\d{1,2}月\d{1,2}日|\d{4}年\d{1,2}月`)

func hasPersonHint(s string) bool {
	return personName.MatchString(s)
}

// personName is a name as reports write one: "于传安同志", "镇长于传安",
// "党委书记张明".
var personName = regexp.MustCompile(`[\p{Han}]{2,3}同志|(?:书记|镇长|乡长|主任|局长|所长|街道办主任)[\p{Han}]{2,3}(?:同志|任|为|担任|，|、)`)

// planSection says whether a section sets out plans ("四、2022年度推进法治
// 政府建设的主要安排", "三、下一步工作打算").
func planSection(section string) bool {
	return containsAny(section, "安排", "打算", "计划", "思路", "下一步", "明年", "展望")
}

// asksPlan says whether a question asks about plans or targets.
func asksPlan(q string) bool {
	return containsAny(q, "计划", "安排", "打算", "下一步", "明年", "下一年", "今后", "将要", "规划") || containsAny(strings.ToLower(q), "plan", "next year", "intend", "going to")
}

// reportsTitled returns the reports whose title names place (or place
// without its 镇/乡/街道 suffix).
func reportsTitled(c *catalog, place string) []ReportInfo {
	short := place
	for _, suf := range []string{"街道办事处", "街道", "镇", "乡"} {
		if strings.HasSuffix(place, suf) && len([]rune(place)) > len([]rune(suf))+1 {
			short = strings.TrimSuffix(place, suf)
			break
		}
	}
	var out []ReportInfo
	for _, r := range c.reports {
		if strings.Contains(r.Title, place) || (len([]rune(short)) >= 2 && strings.Contains(r.Title, short)) {
			out = append(out, r)
		}
	}
	return out
}

// scopeReports returns the reports a question is about: those of the
// towns it names (all towns when it names none), of the year it names.
func (e *Engine) scopeReports(c *catalog, q Query) []ReportInfo {
	var out []ReportInfo
	for _, r := range c.reports {
		if len(q.ReportIDs) > 0 && !contains(q.ReportIDs, r.ID) {
			continue
		}
		if len(q.ReportIDs) == 0 && len(q.Towns) > 0 && !contains(q.Towns, r.Town) {
			continue
		}
		if q.Year != 0 && r.Year != q.Year {
			continue
		}
		out = append(out, r)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// candidates returns the sentences to consider: every sentence of the
// reports in scope when they are few, else those of the chunks that
// hybrid retrieval finds in scope.
func (e *Engine) candidates(ctx context.Context, q Query, scope []ReportInfo) ([]sentence, error) {
	if readWhole(q, scope) {
		var out []sentence
		for _, r := range scope {
			d, err := e.doc(ctx, r)
			if err != nil {
				return nil, err
			}
			out = append(out, d.sentences...)
		}
		return out, nil
	}
	hits, err := e.retrieve(ctx, q, 24)
	if err != nil {
		return nil, err
	}
	var out []sentence
	seen := map[string]bool{}
	c, _ := e.catalog(ctx)
	for _, h := range hits {
		ri := c.byID[h.ReportID]
		for _, s := range ingest.Sentences(h.Text) {
			key := h.ReportID + s
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, sentence{text: s, section: h.Section, report: ri, grams: gramsOf(s)})
		}
	}
	return out, nil
}

// readWhole says whether every sentence of the reports in scope is read,
// rather than those of the chunks retrieval finds.
func readWhole(q Query, scope []ReportInfo) bool {
	return len(scope) <= maxScopeReports || ((len(q.Towns) > 0 || len(q.ReportIDs) > 0) && len(scope) <= maxTownReports)
}

// reportsOf lists the distinct reports of sentences, in order.
func reportsOf(sents []sentence) []ReportInfo {
	seen := map[string]bool{}
	var out []ReportInfo
	for _, s := range sents {
		if !seen[s.report.ID] {
			seen[s.report.ID] = true
			out = append(out, s.report)
		}
	}
	return out
}

// searchText is the Chinese text a question is searched with: its own
// Han text plus the glossary's forms of its English terms.
func searchText(q Query) string {
	var b strings.Builder
	b.WriteString(q.Text)
	for _, g := range q.Groups {
		for _, f := range g.Forms {
			b.WriteByte(' ')
			b.WriteString(f)
		}
	}
	return b.String()
}

// retrieve runs keyword (BM25) and vector search in the question's scope
// and fuses them by reciprocal rank.
func (e *Engine) retrieve(ctx context.Context, q Query, k int) ([]Hit, error) {
	sc := Scope{Towns: q.Towns, Year: q.Year}
	text := searchText(q)
	kw, err := e.store.Keyword(ctx, queryTokens(text, q), sc, k)
	if err != nil {
		return nil, err
	}
	v, err := e.emb.Embed(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("embed question: %w", err)
	}
	vec, err := e.store.Vector(ctx, v, sc, k)
	if err != nil {
		return nil, err
	}
	return fuse(k, kw, vec), nil
}

// queryTokens are the keyword-search terms: the question's tokens less
// those of question words.
func queryTokens(text string, q Query) []string {
	var out []string
	for _, t := range Tokens(text) {
		if stopToken[t] {
			continue
		}
		out = append(out, t)
	}
	return out
}

var stopToken = map[string]bool{"多少": true, "少件": true, "少人": true, "少次": true, "少名": true, "少项": true, "少元": true, "是多": true, "哪些": true, "什么": true, "是什": true, "么案": true, "how": true, "many": true, "what": true, "the": true, "did": true, "in": true, "of": true, "a": true, "is": true, "was": true}

// fuse merges ranked lists by reciprocal-rank fusion.
func fuse(k int, lists ...[]Hit) []Hit {
	const rrfK = 60
	score := map[int64]float64{}
	byID := map[int64]Hit{}
	for _, l := range lists {
		for rank, h := range l {
			score[h.ChunkID] += 1 / float64(rrfK+rank+1)
			byID[h.ChunkID] = h
		}
	}
	out := make([]Hit, 0, len(byID))
	for id, h := range byID {
		h.Score = score[id]
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ChunkID < out[j].ChunkID
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

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
	local := m.cover(f.local)
	whole := m.cover(f.quote)
	if f.context != nil {
		whole = max(whole, 0.9*m.cover(f.context))
	}
	sc := 0.6*local + 0.4*whole
	if q.Metric != "" && f.Metric == q.Metric {
		sc += 0.15 // the figure counts what the question asks for
	}
	if isBound(f.Approx) && !containsAny(q.Text, "至少", "不少于", "不低于", "最少", "要求", "每年", "每月", "每周") && !containsAny(strings.ToLower(q.Text), "at least", "minimum", "must", "required") {
		sc *= 0.85 // a target ("不少于30场次") is not what was done
	}
	if planSection(f.Section) != asksPlan(q.Text) {
		sc *= 0.85 // targets answer plan questions; achievements the others
	}
	if containsAny(f.clause, "全镇", "全乡", "全街道", "全年", "累计", "共", "总", "合计") {
		sc += 0.03 // a total answers "how many" before a part does
	}
	switch {
	case q.Kind == KindRate && f.Unit != "%":
		sc *= 0.3
	case q.Kind != KindRate && f.Unit == "%" && q.Units != nil && !contains(q.Units, "%"):
		sc *= 0.3
	case q.Units != nil && !contains(q.Units, f.Unit):
		sc *= 0.6
	}
	return sc
}

// bestFact picks the figure that answers a numeric question.
func (e *Engine) bestFact(ctx context.Context, q Query, m *matcher, scope []ReportInfo, allow func(text, section string) bool) (ingest.Fact, sentence, bool) {
	cands, err := e.scoreFacts(ctx, q, m, scope)
	if allow != nil {
		kept := cands[:0:0]
		for _, c := range cands {
			if allow(c.fact.Quote, c.fact.Section) {
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	if err != nil || len(cands) == 0 || !confident(cands) {
		return ingest.Fact{}, sentence{}, false
	}
	best := cands[0]
	s := sentence{text: best.fact.Quote, section: best.fact.Section, report: best.rep}
	return best.fact, s, true
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
	case "余", "多", "以上", "左右", "余次":
		return v + f.Approx + f.Unit
	default:
		return f.Approx + v + f.Unit
	}
}

func factAnswer(q Query, f ingest.Fact, s sentence) Answer {
	r := s.report
	a := Answer{Found: true, Mode: "extractive", Citations: []Citation{citation(r, f.Section, f.Quote)}}
	subject := strings.TrimSpace(f.Subject)
	a.Answer = say(q.Lang,
		fmt.Sprintf("%s：%s%s。\n\n原文：“%s”\n——%s", reportLabel(r, "zh"), subject, formatValue(f), f.Quote, sourceLine(r, f.Section)),
		fmt.Sprintf("%s: %s (%s).\n\nSource: “%s”\n— %s", reportLabel(r, "en"), formatValue(f), englishSubject(f), f.Quote, sourceLine(r, f.Section)))
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

func citation(r ReportInfo, section, quote string) Citation {
	return Citation{Source: r.Source, Title: r.Title, Town: r.Town, Year: r.Year, Section: section, Quote: quote}
}

func sourceLine(r ReportInfo, section string) string {
	var b strings.Builder
	if r.Title != "" {
		b.WriteString("《" + r.Title + "》")
	}
	if section != "" {
		b.WriteString(section)
	}
	b.WriteString("（" + r.Source + "）")
	return b.String()
}

// reportLabel names a report: "渔门镇2020年度报告" / "Yumen (渔门镇), 2020".
func reportLabel(r ReportInfo, lang string) string {
	if lang == "en" {
		name := englishName(r.Town)
		if r.Year > 0 {
			return fmt.Sprintf("%s (%s), %d", name, r.Town, r.Year)
		}
		return fmt.Sprintf("%s (%s)", name, r.Town)
	}
	if r.Year > 0 {
		return fmt.Sprintf("%s%d年度报告", r.Town, r.Year)
	}
	return r.Town + "报告"
}

// englishName spells a town in pinyin without its unit suffix: 渔门镇 → Yumen.
func englishName(town string) string {
	tn := makeTownNames([]string{town})
	if len(tn) == 0 {
		return town
	}
	forms := pinyinForms(tn[0].short)
	if len(forms) == 0 || forms[0] == "" {
		return town
	}
	p := forms[0]
	return strings.ToUpper(p[:1]) + p[1:]
}

func say(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

func listTowns(c *catalog, lang string) string {
	byTown := map[string][]int{}
	var order []string
	for _, r := range c.reports {
		if _, ok := byTown[r.Town]; !ok {
			order = append(order, r.Town)
		}
		if r.Year > 0 {
			byTown[r.Town] = append(byTown[r.Town], r.Year)
		}
	}
	var parts []string
	for i, t := range order {
		if i >= 30 {
			parts = append(parts, say(lang, fmt.Sprintf("等%d个", len(order)), fmt.Sprintf("and %d more", len(order)-30)))
			break
		}
		ys := make([]string, 0, len(byTown[t]))
		for _, y := range byTown[t] {
			ys = append(ys, strconv.Itoa(y))
		}
		name := t
		if name == "" {
			name = say(lang, "（未识别单位）", "(unit not detected)")
		}
		if lang == "en" {
			name = englishName(t) + " " + t
		}
		parts = append(parts, fmt.Sprintf("%s（%s）", name, strings.Join(ys, "、")))
	}
	return strings.Join(parts, say(lang, "、", ", "))
}

func noYearAnswer(c *catalog, q Query) string {
	var years []string
	for _, r := range c.reports {
		if len(q.Towns) == 0 || contains(q.Towns, r.Town) {
			years = append(years, strconv.Itoa(r.Year))
		}
	}
	who := strings.Join(q.Towns, "、")
	if who == "" {
		who = say(q.Lang, "报告库", "the store")
	}
	return say(q.Lang,
		fmt.Sprintf("没有%s%d年的报告。现有年份：%s。", who, q.Year, strings.Join(uniq(years), "、")),
		fmt.Sprintf("There is no %d report for %s. Years available: %s.", q.Year, who, strings.Join(uniq(years), ", ")))
}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// notStated says that the reports in scope do not state what was asked,
// naming the reports checked.
func notStated(q Query, scope []ReportInfo) string {
	var names, sources []string
	for i, r := range scope {
		if i >= 10 {
			break
		}
		names = append(names, reportLabel(r, q.Lang))
		sources = append(sources, r.Source)
	}
	more := ""
	if len(scope) > 10 {
		more = say(q.Lang, fmt.Sprintf("等%d份报告", len(scope)), fmt.Sprintf(" and %d more", len(scope)-10))
	}
	return say(q.Lang,
		fmt.Sprintf("%s%s未提及此事项，报告中找不到答案。（已查阅：%s）", strings.Join(names, "、"), more, strings.Join(sources, "、")),
		fmt.Sprintf("The reports checked (%s%s) do not state this; the answer is not found in the reports. (Checked: %s)", strings.Join(names, "; "), more, strings.Join(sources, ", ")))
}

// sectionAnswer answers a list question ("存在哪些不足") with the body of
// the section whose heading it names.
func sectionAnswer(q Query, m *matcher, sents []sentence) (Answer, bool) {
	type sec struct {
		report  string
		section string
	}
	var (
		best      sec
		bestRep   ReportInfo
		bestScore float64
	)
	seen := map[sec]bool{}
	for _, s := range sents {
		if s.section == "" {
			continue
		}
		parts := strings.Split(s.section, " > ")
		for i := range parts {
			k := sec{s.report.ID, strings.Join(parts[:i+1], " > ")}
			if seen[k] {
				continue
			}
			seen[k] = true
			// The path down to this heading: "三、存在的问题 > （一）法制宣传教育开展不平衡"
			// answers "法制宣传教育存在什么问题" better than either heading alone.
			if sc := m.cover(gramsOf(k.section)); sc > bestScore {
				best, bestRep, bestScore = k, s.report, sc
			}
		}
	}
	if bestScore < minSectionScore {
		return Answer{}, false
	}
	a := passageAnswer(q, bestRep, best.section, sents)
	return a, a.Found
}

// passageAnswer quotes the body of a section (and its subsections) of one
// report, up to about 600 characters.
func passageAnswer(q Query, rep ReportInfo, section string, sents []sentence) Answer {
	parts := strings.Split(section, " > ")
	var body []string
	n := 0
	for _, s := range sents {
		if s.report.ID != rep.ID || (s.section != section && !strings.HasPrefix(s.section, section+" > ")) {
			continue
		}
		if strings.TrimRight(s.text, "。：:") == parts[len(parts)-1] {
			continue // the section's own heading line
		}
		body = append(body, s.text)
		n += utf8.RuneCountInString(s.text)
		if n > 600 || len(body) >= 10 {
			break
		}
	}
	quote := strings.Join(body, "")
	a := Answer{Found: len(body) > 0, Mode: "extractive", Citations: []Citation{citation(rep, section, quote)}}
	a.Answer = say(q.Lang,
		fmt.Sprintf("据%s（%s）：\n%s", reportLabel(rep, "zh"), section, strings.Join(body, "\n")),
		fmt.Sprintf("According to %s (%s):\n%s", reportLabel(rep, "en"), section, strings.Join(body, "\n")))
	return a
}

// listAnswer answers "哪些镇开展了宪法宣传周活动": every report in scope
// with a sentence that says so, each quoted.
func listAnswer(q Query, m *matcher, sents []sentence, scope []ReportInfo) Answer {
	best := map[string]int{}
	score := map[string]float64{}
	var order []string
	for i, s := range sents {
		sc := m.cover(s.grams)
		if sc < minSentenceScore {
			continue
		}
		id := s.report.ID
		if _, ok := best[id]; !ok {
			order = append(order, id)
		}
		if sc > score[id] {
			best[id], score[id] = i, sc
		}
	}
	a := Answer{Mode: "extractive", Citations: []Citation{}}
	if len(order) == 0 {
		a.Answer = notStated(q, scope)
		return a
	}
	a.Found = true
	var lines []string
	for i, id := range order {
		s := sents[best[id]]
		if i == 30 {
			lines = append(lines, say(q.Lang, fmt.Sprintf("……另有%d份报告", len(order)-30), fmt.Sprintf("… and %d more reports", len(order)-30)))
			break
		}
		a.Citations = append(a.Citations, citation(s.report, s.section, s.text))
		lines = append(lines, say(q.Lang,
			fmt.Sprintf("%s：“%s”（%s）", reportLabel(s.report, "zh"), s.text, s.report.Source),
			fmt.Sprintf("%s: “%s” (%s)", reportLabel(s.report, "en"), s.text, s.report.Source)))
	}
	a.Answer = say(q.Lang, fmt.Sprintf("%d份报告提到：\n", len(order)), fmt.Sprintf("%d reports say so:\n", len(order))) + strings.Join(lines, "\n")
	return a
}

// HeadingOnly reports whether a sentence is just an outline heading.
func HeadingOnly(s string) bool {
	return ingest.HeadingLevel(s) >= 0 && utf8.RuneCountInString(s) < 30 && !strings.ContainsAny(s, "，,")
}
