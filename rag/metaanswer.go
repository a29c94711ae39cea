package rag

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// metaAnswer answers questions about a report itself: when it was issued,
// its document number, its county, its title.
func (e *Engine) metaAnswer(_ context.Context, q Query, scope []ReportInfo) (Answer, bool) {
	r := scope[0]
	var value, quote string
	switch q.Meta {
	case "date":
		if r.Date == "" {
			return Answer{}, false
		}
		y, _ := strconv.Atoi(r.Date[:4])
		m, _ := strconv.Atoi(r.Date[5:7])
		d, _ := strconv.Atoi(r.Date[8:10])
		value = fmt.Sprintf("%d年%d月%d日", y, m, d)
	case "doc_number":
		value = r.DocNumber
	case "county":
		value = r.County
	case "title":
		value = r.Title
	}
	if value == "" {
		return Answer{}, false
	}
	quote = value
	a := Answer{Found: true, Mode: "extractive", Citations: []Citation{citation(r, "", quote)}}
	labels := map[string][2]string{
		"date":       {"印发日期", "issue date"},
		"doc_number": {"文号", "document number"},
		"county":     {"所属县（区）", "county/district"},
		"title":      {"标题", "title"},
	}
	l := labels[q.Meta]
	a.Answer = say(q.Lang,
		fmt.Sprintf("%s的%s：%s。（%s）", reportLabel(r, "zh"), l[0], value, r.Source),
		fmt.Sprintf("The %s of %s: %s (%s).", l[1], reportLabel(r, "en"), value, r.Source))
	if len(scope) > 1 {
		var others []string
		for _, o := range scope[1:] {
			others = append(others, o.Source)
		}
		a.Answer += say(q.Lang, "另有报告："+strings.Join(others, "、"), " Other reports: "+strings.Join(others, ", "))
	}
	return a, true
}
