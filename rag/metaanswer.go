package rag

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// metaAnswer answers questions about a report itself: when it was issued,
// its document number, its county, its title.
func (e *Engine) metaAnswer(ctx context.Context, q Query, scope []ReportInfo) (Answer, bool) {
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
		// Quote the date as the report writes it ("二〇二四年一月十二日").
		if doc, err := e.doc(ctx, r); err == nil {
			for i := len(doc.sentences) - 1; i >= 0 && i >= len(doc.sentences)-12; i-- {
				if raw := writtenDate.FindString(doc.sentences[i].text); raw != "" {
					if raw != value {
						value += "（原文：" + raw + "）"
					}
					quote = doc.sentences[i].text
					break
				}
			}
		}
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
	if quote == "" {
		quote = value
	}
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
			// The same report in another format says the same: cite it.
			if o.Date == r.Date && o.DocNumber == r.DocNumber && o.County == r.County && o.Title == r.Title {
				a.Citations = append(a.Citations, citation(o, "", quote))
			}
		}
		a.Answer += say(q.Lang, "另有报告："+strings.Join(others, "、"), " Other reports: "+strings.Join(others, ", "))
	}
	return a, true
}

// writtenDate is a full date as reports write it, in Arabic or Chinese numerals.
var writtenDate = regexp.MustCompile(`(?:19|20)\d{2}年\d{1,2}月\d{1,2}日|[〇○零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日`)
