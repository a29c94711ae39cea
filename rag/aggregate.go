package rag

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// aggregate answers a question over several reports: which town has the
// most or least, each town's figure, or a total. Each report contributes
// its best-matching figure; reports that state none are named.
func (e *Engine) aggregate(ctx context.Context, q Query, scope []ReportInfo) (Answer, error) {
	a := Answer{Mode: "extractive", Citations: []Citation{}}
	picked, missing, err := e.pickFigures(ctx, q, scope, "")
	if err != nil {
		return a, err
	}
	if len(picked) == 0 {
		a.Answer = notStated(q, scope)
		return a, nil
	}
	a.Found = true
	for i, c := range picked {
		if i == 50 {
			break // the answer names the rest; fifty quotes are plenty
		}
		a.Citations = append(a.Citations, citation(*c.rep, c.fact.Section, c.fact.Quote))
	}
	// Largest first (smallest for "min"), ties in scope order: an order
	// of indexes, as the candidates are large to move.
	order := make([]int, len(picked))
	for i := range order {
		order[i] = i
	}
	desc := q.Aggregate != "min"
	slices.SortStableFunc(order, func(a, b int) int {
		if desc {
			return cmp.Compare(picked[b].fact.Value, picked[a].fact.Value)
		}
		return cmp.Compare(picked[a].fact.Value, picked[b].fact.Value)
	})
	sorted := make([]factCandidate, len(picked))
	for k, i := range order {
		sorted[k] = picked[i]
	}
	var lines []string
	const maxLines = 30
	for i, c := range sorted {
		if i == maxLines {
			lines = append(lines, say(q.Lang, fmt.Sprintf("……另有%d份报告", len(sorted)-maxLines), fmt.Sprintf("… and %d more reports", len(sorted)-maxLines)))
			break
		}
		lines = append(lines, say(q.Lang,
			fmt.Sprintf("%s：%s%s（“%s”，%s）", reportLabel(*c.rep, "zh"), strings.TrimSpace(c.fact.Subject), formatValue(c.fact), c.fact.Quote, c.rep.Source),
			fmt.Sprintf("%s: %s (%s; “%s”, %s)", reportLabel(*c.rep, "en"), formatValue(c.fact), englishSubject(c.fact), c.fact.Quote, c.rep.Source)))
	}
	var head string
	switch q.Aggregate {
	case "max", "min":
		top := sorted[0]
		word := say(q.Lang, "最多", "the most")
		switch {
		case q.Aggregate == "min" && top.fact.Unit == "%":
			word = say(q.Lang, "最低", "the lowest")
		case q.Aggregate == "min":
			word = say(q.Lang, "最少", "the fewest")
		case top.fact.Unit == "%":
			word = say(q.Lang, "最高", "the highest")
		}
		head = say(q.Lang,
			fmt.Sprintf("%s%s：%s。", reportLabel(*top.rep, "zh"), word, formatValue(top.fact)),
			fmt.Sprintf("%s has %s: %s.", reportLabel(*top.rep, "en"), word, formatValue(top.fact)))
	case "total":
		sum, unit, comparable := 0.0, "", true
		for _, c := range picked {
			if unit == "" {
				unit = c.fact.Unit
			} else if unitClass(c.fact.Unit) != unitClass(unit) {
				comparable = false
			}
			sum += c.fact.Value
		}
		if comparable && unit != "%" {
			head = say(q.Lang,
				fmt.Sprintf("合计：%s%s（%d份报告）。", strconv.FormatFloat(sum, 'f', -1, 64), unit, len(picked)),
				fmt.Sprintf("Total: %s %s (%d reports).", strconv.FormatFloat(sum, 'f', -1, 64), unit, len(picked)))
		} else {
			head = say(q.Lang, "各报告的数字单位不同，不能直接相加：", "The figures are not comparable, so they are listed rather than added:")
		}
	default:
		head = say(q.Lang, "各报告的数字：", "Figures by report:")
	}
	body := head + "\n" + strings.Join(lines, "\n")
	if len(missing) > 0 {
		var names []string
		for i, r := range missing {
			if i == 20 {
				names = append(names, say(q.Lang, fmt.Sprintf("等%d份", len(missing)), fmt.Sprintf("and %d more", len(missing)-20)))
				break
			}
			names = append(names, reportLabel(r, q.Lang))
		}
		body += "\n" + say(q.Lang, "未提及此项数字："+strings.Join(names, "、"), "No figure stated in: "+strings.Join(names, "; "))
	}
	a.Answer = body
	a.Table = figureTable(q, sorted, missing, MaxAnswerTableRows)
	return a, nil
}

// pickFigures takes each report's best figure for q, comparable with the
// best figure of all: the same kind of unit, and the same metric where it
// has one. With metric set, only figures of that metric count, however
// weakly the rest of q matches them; otherwise a figure counts when the
// figure model accepts it. Reports without one are missing.
//
// A question whose metric is known (q.Metric, or metric) is answered from
// the fact table: the figures typed with that metric in scope, found by
// one indexed query, scored by the figure model with the very features
// the sentence path gives them (tableFigures). Any other question, or a
// store holding figures from before their context was kept, reads every
// report's sentences and figures (sentenceFigures), as all did before.
func (e *Engine) pickFigures(ctx context.Context, q Query, scope []ReportInfo, metric string) (picked []factCandidate, missing []ReportInfo, err error) {
	model := &fitted().Figure
	mayCount := func(c factCandidate) bool {
		if metric != "" {
			return c.fact.Metric == metric
		}
		return c.score >= model.Threshold
	}
	var cands []factCandidate
	ok := false
	if cmp.Or(metric, q.Metric) != "" {
		cands, ok, err = e.tableFigures(ctx, q, scope, metric, mayCount)
		if err != nil {
			return nil, nil, err
		}
	}
	if !ok {
		if cands, err = e.sentenceFigures(ctx, q, scope, metric, mayCount); err != nil {
			return nil, nil, err
		}
	}
	picked, missing = bestPerReport(cands, scope, metric, model.Threshold)
	return picked, missing, nil
}

// sentenceFigures scores the figures of every report in scope, each
// report's as the question asked of that report alone: against its own
// sentences, so that how common a term is in the other reports does not
// change how well it matches here. The reports are read one at a time and
// only the figures keep accepts are kept, so that a total over every
// report needs the memory of one report and of those figures, however
// many reports there are.
func (e *Engine) sentenceFigures(ctx context.Context, q Query, scope []ReportInfo, metric string, keep func(factCandidate) bool) ([]factCandidate, error) {
	model := &fitted().Figure
	qf := figureAsks(q)
	var cands []factCandidate
	err := e.eachDoc(ctx, scope, func(r ReportInfo, d *reportDoc) {
		m := matcherFor(q.Groups, d.sentences)
		if m.empty() && metric == "" {
			return
		}
		cands = scoreDocFacts(cands, q, qf, m, model, &r, d, keep)
	})
	return cands, err
}

// tableFigures scores the figures typed with metric (q.Metric when
// metric is "") that the reports in scope state, read from the fact
// table in one query, exactly as sentenceFigures scores them: a report's
// term weights come from its sentence count and how many of its sentences
// hold each term (termCounts), a figure's context is stored with it. A
// figure the table types otherwise, or leaves untyped, is not read. ok is
// false when the table cannot answer: the question has no terms, or a
// figure in scope was stored before its context and its report's
// sentence count were kept.
func (e *Engine) tableFigures(ctx context.Context, q Query, scope []ReportInfo, metric string, keep func(factCandidate) bool) (cands []factCandidate, ok bool, err error) {
	groups := prepareGroups(q.Groups)
	ft := newFactTerms(groups.tokens())
	if len(ft.tokens) == 0 {
		return nil, false, nil
	}
	fq := FactQuery{Metric: cmp.Or(metric, q.Metric)}
	inScope := make(map[string]bool, len(scope))
	places := map[string]bool{}
	for i, r := range scope {
		inScope[r.ID] = true
		places[r.Unit()] = true
		if i == 0 {
			fq.Year = r.Year
		} else if r.Year != fq.Year {
			fq.Year = 0
		}
	}
	if len(places) <= maxFactPlaces {
		for p := range places {
			fq.Places = append(fq.Places, p)
		}
		slices.Sort(fq.Places)
	}
	// The stored term counts are read while the figures are: on a first
	// call both come from the store. The terms are counted only once the
	// figures show the table can answer: on a store without stored
	// counts that means reading every report holding a term.
	preloaded := make(chan error, 1)
	go func() { preloaded <- e.preloadTermCounts(ctx) }()
	set, err := e.metricFacts(ctx, fq)
	if err == nil {
		set.textsOf() // made once per fact query, meanwhile
	}
	if err = cmp.Or(err, <-preloaded); err != nil {
		return nil, false, err
	}
	byReport := map[string][]int{} // report ID → its rows in set
	for i, f := range set.rows {
		if !inScope[f.ReportID] {
			continue
		}
		if !f.HasContext || f.ReportSentences == 0 {
			return nil, false, nil
		}
		byReport[f.ReportID] = append(byReport[f.ReportID], i)
	}
	if len(byReport) == 0 {
		return nil, true, nil
	}
	counts, err := e.termCounts(ctx, ft.tokens)
	if err != nil {
		return nil, false, err
	}
	model, qf := &fitted().Figure, figureAsks(q)
	texts := set.textsOf()
	masks := len(ft.tokens) <= maxMaskTerms
	score := func(out []factCandidate, ft factTerms, r *ReportInfo, scratch []float64, df map[string]int) []factCandidate {
		is := byReport[r.ID]
		if len(is) == 0 {
			return out
		}
		clear(df) // the last report's matcher, which kept it, is done with
		for _, t := range ft.tokens {
			if n := counts[t][r.ID]; n > 0 {
				df[t] = n
			}
		}
		idf := idfFromCounts(set.rows[is[0]].ReportSentences, df)
		m := groups.matcher(idf)
		if m.empty() && metric == "" {
			return out
		}
		for _, i := range is {
			fact := set.rows[i].Fact
			fact.Source, fact.Town, fact.Year = r.Source, r.Unit(), r.Year
			var d docFact
			if masks {
				d = texts[i].docFactTerms(fact, ft)
			} else {
				d = texts[i].docFact(fact, ft.in)
			}
			if c, ok := scoreFact(q, qf, m, model, r, &d, scratch); ok && (keep == nil || keep(c)) {
				out = append(out, c)
			}
		}
		return out
	}
	// The reports are scored in parts at once, one a processor; the
	// candidates keep the order of the scope.
	parts := min(runtime.GOMAXPROCS(0), max(1, len(scope)/minScoredPerPart))
	scored := make([][]factCandidate, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			part, rows := scope[p*len(scope)/parts:(p+1)*len(scope)/parts], 0
			for _, r := range part {
				rows += len(byReport[r.ID])
			}
			scored[p] = make([]factCandidate, 0, rows)
			scratch, df := make([]float64, len(figureFeatures)), make(map[string]int, len(ft.tokens))
			ftp := ft.withSets() // sets of this goroutine's own
			for i := range part {
				scored[p] = score(scored[p], ftp, &part[i], scratch, df)
			}
		}()
	}
	wg.Wait()
	if parts == 1 {
		return scored[0], true, nil
	}
	n := 0
	for _, part := range scored {
		n += len(part)
	}
	cands = make([]factCandidate, 0, n)
	for _, part := range scored {
		cands = append(cands, part...)
	}
	return cands, true, nil
}

// minScoredPerPart is the fewest reports worth a goroutine of their own.
const minScoredPerPart = 32

// maxFactPlaces is the most places a fact query names; a scope of more
// is selected by year and metric and filtered in memory.
const maxFactPlaces = 200

// bestPerReport keeps each report's best candidate, comparable with the
// best of all: the same kind of unit, and over floor (the figure model's
// threshold, or any score when metric is set: then only figures of that
// metric count). Reports in scope without one are missing.
func bestPerReport(cands []factCandidate, scope []ReportInfo, metric string, threshold float64) (picked []factCandidate, missing []ReportInfo) {
	floor := threshold
	if metric != "" {
		floor = math.Inf(-1)
		if slices.ContainsFunc(cands, func(c factCandidate) bool { return c.fact.Metric != metric }) {
			cands = slices.DeleteFunc(slices.Clone(cands), func(c factCandidate) bool { return c.fact.Metric != metric })
		}
	}
	// The candidates best first (ties in their order): an order of
	// indexes, as the candidates are large to move.
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cands[b].score, cands[a].score) })
	best := map[string]int{} // report ID → its best candidate
	if len(cands) > 0 && cands[order[0]].score >= floor {
		top := cands[order[0]].fact
		adj := func(c *factCandidate) float64 {
			sc := c.score
			if top.Metric != "" && c.fact.Metric == top.Metric {
				sc += 0.1
			}
			return sc
		}
		for _, i := range order {
			c := &cands[i]
			if c.score < floor || unitClass(c.fact.Unit) != unitClass(top.Unit) {
				continue
			}
			if b, ok := best[c.rep.ID]; !ok || adj(c) > adj(&cands[b]) {
				best[c.rep.ID] = i
			}
		}
	}
	picked = make([]factCandidate, 0, len(best))
	for _, r := range scope {
		if i, ok := best[r.ID]; ok {
			picked = append(picked, cands[i])
		} else {
			missing = append(missing, r)
		}
	}
	return picked, missing
}

// unitClass groups units that may be added together.
func unitClass(u string) string {
	switch u {
	case "件", "起", "宗", "件次":
		return "case"
	case "人", "名", "位", "人次":
		return "person"
	case "次", "场", "期", "场次":
		return "event"
	case "元", "万元":
		return "money"
	}
	return u
}

// eachDoc calls f with each report of scope, in order, and its
// sentences and figures, holding none longer than the cache does: when
// the scope's reports would not fit the cache, those it does not hold
// are built and dropped after f rather than evicting the others. It
// stops when ctx ends.
func (e *Engine) eachDoc(ctx context.Context, scope []ReportInfo, f func(ReportInfo, *reportDoc)) error {
	fits := e.cacheFits(len(scope))
	for _, r := range scope {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := e.cachedDoc(r.ID)
		var err error
		switch {
		case d != nil:
		case fits:
			d, err = e.doc(ctx, r)
		default:
			d, err = e.buildDoc(ctx, r)
		}
		if err != nil {
			return err
		}
		f(r, d)
	}
	return nil
}

// factTerms are the tokens a question's term groups may match, found in
// a text without splitting all of it: a figure's gram sets need hold
// only these for the matcher, which asks for nothing else.
type factTerms struct {
	tokens []string
	// sets are the gram sets made so far by the tokens they hold (bit i:
	// tokens[i]), shared by every text holding the same ones: the sets
	// are only read. nil until withSets; not safe for concurrent use.
	sets map[uint64]gramSet
}

func newFactTerms(tokens []string) factTerms { return factTerms{tokens: tokens} }

// maxMaskTerms is the most tokens a mask (uint64) holds.
const maxMaskTerms = 64

// withSets returns ft with a store of interned sets of its own, for one
// goroutine's use.
func (ft factTerms) withSets() factTerms {
	ft.sets = map[uint64]gramSet{}
	return ft
}

// isHanBigram says whether t is two Han characters: then Tokens yields it
// for a text exactly when the text holds it, as both stand in one run.
func isHanBigram(t string) bool {
	r1, n := utf8.DecodeRuneInString(t)
	r2, m := utf8.DecodeRuneInString(t[n:])
	return n+m == len(t) && unicode.Is(unicode.Han, r1) && unicode.Is(unicode.Han, r2)
}

// mask is the mask of the tokens text holds, for a text known to hold
// the Han bigrams of part (a mask of a text cut from it) and none but
// those outside text[:end] (end is len(text) when nothing more is
// known): a bigram part lacks is looked for in text[:end] only. Tokens
// other than Han bigrams are found in the whole text's grams.
func (ft factTerms) mask(text string, part uint64, end int) uint64 {
	var m uint64
	var all gramSet
	for i, t := range ft.tokens {
		bit := uint64(1) << i
		var has bool
		if isHanBigram(t) {
			has = part&bit != 0 || strings.Contains(text[:end], t)
		} else {
			if all == nil {
				all = gramsOf(text)
			}
			has = all.has(t)
		}
		if has {
			m |= bit
		}
	}
	return m
}

// set is the gram set of the tokens of mask m: nil for none, as in gives
// it; interned in ft.sets when ft has them.
func (ft factTerms) set(m uint64) gramSet {
	if m == 0 {
		return nil
	}
	if g, ok := ft.sets[m]; ok {
		return g
	}
	g := make(gramSet, bits.OnesCount64(m))
	for i, t := range ft.tokens {
		if m&(uint64(1)<<i) != 0 {
			g[t] = struct{}{}
		}
	}
	if ft.sets != nil {
		ft.sets[m] = g
	}
	return g
}

// in returns the gram set of text restricted to the terms.
func (ft factTerms) in(text string) gramSet {
	var g gramSet
	var all gramSet
	for _, t := range ft.tokens {
		var has bool
		if isHanBigram(t) {
			has = strings.Contains(text, t)
		} else {
			if all == nil {
				all = gramsOf(text)
			}
			has = all.has(t)
		}
		if has {
			if g == nil {
				g = gramSet{}
			}
			g[t] = struct{}{}
		}
	}
	return g
}
