package rag

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
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
		a.Citations = append(a.Citations, citation(c.rep, c.fact.Section, c.fact.Quote))
	}
	sorted := append([]factCandidate(nil), picked...)
	desc := q.Aggregate != "min"
	sort.SliceStable(sorted, func(i, j int) bool {
		if desc {
			return sorted[i].fact.Value > sorted[j].fact.Value
		}
		return sorted[i].fact.Value < sorted[j].fact.Value
	})
	var lines []string
	const maxLines = 30
	for i, c := range sorted {
		if i == maxLines {
			lines = append(lines, say(q.Lang, fmt.Sprintf("……另有%d份报告", len(sorted)-maxLines), fmt.Sprintf("… and %d more reports", len(sorted)-maxLines)))
			break
		}
		lines = append(lines, say(q.Lang,
			fmt.Sprintf("%s：%s%s（“%s”，%s）", reportLabel(c.rep, "zh"), strings.TrimSpace(c.fact.Subject), formatValue(c.fact), c.fact.Quote, c.rep.Source),
			fmt.Sprintf("%s: %s (%s; “%s”, %s)", reportLabel(c.rep, "en"), formatValue(c.fact), englishSubject(c.fact), c.fact.Quote, c.rep.Source)))
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
			fmt.Sprintf("%s%s：%s。", reportLabel(top.rep, "zh"), word, formatValue(top.fact)),
			fmt.Sprintf("%s has %s: %s.", reportLabel(top.rep, "en"), word, formatValue(top.fact)))
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
	a.Table = figureTable(q, sorted, missing)
	return a, nil
}

// pickFigures takes each report's best figure for q, comparable with the
// best figure of all: the same kind of unit, and the same metric where it
// has one. Each report is scored as if asked alone, so a figure the
// figure model accepts in a single answer ("2021年大钟庄镇调处矛盾纠纷多少")
// is accepted in the comparison too. With metric set, only figures of
// that metric count, however weakly the rest of q matches them. Reports
// without one are missing.
func (e *Engine) pickFigures(ctx context.Context, q Query, scope []ReportInfo, metric string) (picked []factCandidate, missing []ReportInfo, err error) {
	// Each report's figures are scored as the question asked of that
	// report alone: against its own sentences, so that how common a term
	// is in the other reports does not change how well it matches here.
	// The reports are read one at a time and only the figures that may
	// count are kept, so that a total over every report needs the memory
	// of one report and of those figures, however many reports there are.
	model := &fitted().Figure
	qf := figureAsks(q)
	mayCount := func(c factCandidate) bool {
		if metric != "" {
			return c.fact.Metric == metric
		}
		return c.score >= model.Threshold
	}
	var cands []factCandidate
	err = e.eachDoc(ctx, scope, func(r ReportInfo, d *reportDoc) {
		m := matcherFor(q.Groups, d.sentences)
		if m.empty() && metric == "" {
			return
		}
		cands = scoreDocFacts(cands, q, qf, m, model, r, d, mayCount)
	})
	if err != nil {
		return nil, nil, err
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	floor := model.Threshold
	if metric != "" {
		kept := cands[:0:0]
		for _, c := range cands {
			if c.fact.Metric == metric {
				kept = append(kept, c)
			}
		}
		cands, floor = kept, math.Inf(-1)
	}
	best := map[string]factCandidate{}
	if len(cands) > 0 && cands[0].score >= floor {
		top := cands[0].fact
		adj := func(c factCandidate) float64 {
			sc := c.score
			if top.Metric != "" && c.fact.Metric == top.Metric {
				sc += 0.1
			}
			return sc
		}
		for _, c := range cands {
			if c.score < floor || unitClass(c.fact.Unit) != unitClass(top.Unit) {
				continue
			}
			if b, ok := best[c.rep.ID]; !ok || adj(c) > adj(b) {
				best[c.rep.ID] = c
			}
		}
	}
	for _, r := range scope {
		if c, ok := best[r.ID]; ok {
			picked = append(picked, c)
		} else {
			missing = append(missing, r)
		}
	}
	return picked, missing, nil
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
