package rag

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// otherYearScope finds where a question about a year no report covers
// may still be answered: a plan question reads the plans for that year in
// the report of the year before ("四、2021年推进法治政府建设的主要措施");
// any question reads what the report of the year after states about that
// year ("2019年调处纠纷141宗"). allow keeps only those passages.
func (e *Engine) otherYearScope(ctx context.Context, c *catalog, q Query) ([]ReportInfo, func(text, section string) bool, bool) {
	mark := strconv.Itoa(q.Year) + "年"
	if containsAny(q.Text, planWords...) || containsAny(q.Text, "要求", "目标", "任务") || containsAny(strings.ToLower(q.Text), "plan", "next year", "intend", "will ", "require", "target") {
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
	in := func(r *ReportInfo) bool {
		if len(q.ReportIDs) > 0 && !contains(q.ReportIDs, r.ID) {
			return false
		}
		if len(q.ReportIDs) == 0 && len(q.Towns) > 0 && !contains(q.Towns, r.Unit()) {
			return false
		}
		return q.Year == 0 || r.Year == q.Year
	}
	if len(q.ReportIDs) == 0 && len(q.Towns) == 0 && q.Year == 0 {
		// Every report: the catalog's own list, which nothing changes
		// (clipped, so an append copies it).
		return slices.Clip(c.reports)
	}
	// Counted first: a ReportInfo is large, and growing the slice copied
	// every report of a big store over and over.
	n := 0
	for i := range c.reports {
		if in(&c.reports[i]) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]ReportInfo, 0, n)
	for i := range c.reports {
		if in(&c.reports[i]) {
			out = append(out, c.reports[i])
		}
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
