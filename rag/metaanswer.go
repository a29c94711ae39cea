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
	case "issuer", "addressee":
		open, err := e.opening(ctx, r)
		if err != nil || open == "" {
			return Answer{}, false
		}
		if q.Meta == "issuer" {
			value = strings.Join(issuersIn(open), "、")
		} else {
			value = addresseeIn(open)
		}
		quote = strings.TrimSpace(open)
	case "date":
		if r.Date == "" {
			open, err := e.opening(ctx, r)
			if err != nil {
				return Answer{}, false
			}
			if m := publishedRe.FindStringSubmatch(open); m != nil {
				value, quote = m[1], m[0]
			}
			break
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
		open, err := e.opening(ctx, r)
		if err != nil {
			return Answer{}, false
		}
		if value == "" {
			value = docNumberRe.FindString(open)
			if i := strings.LastIndex(value, "报告"); i >= 0 {
				value = value[i+len("报告"):] // lines run together: "…工作报告海府〔2020〕57号"
			}
		}
		if m := signerRe.FindStringSubmatch(open); m != nil && strings.Contains(q.Text, "签发") {
			// "文号和签发人": the signer stands beside the number.
			if value != "" {
				value += "，"
			}
			value += "签发人：" + m[1]
		}
		if value != "" {
			quote = strings.TrimSpace(open)
		}
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
		"issuer":     {"报告机关", "issuing bodies"},
		"addressee":  {"报送对象", "addressee"},
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

// opening is the start of a report as stored, before its body: page
// furniture, the issuing bodies, the title and the addressee. The source
// line that fetched pages carry ("来源: URL") is left out.
func (e *Engine) opening(ctx context.Context, r ReportInfo) (string, error) {
	d, err := e.doc(ctx, r)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, s := range d.sentences {
		if b.Len() > 600 {
			break
		}
		b.WriteString(s.text)
		b.WriteString("\n")
	}
	open := sourceLineRe.ReplaceAllString(b.String(), "")
	if rs := []rune(open); len(rs) > 200 {
		open = string(rs[:200])
	}
	return open, nil
}

var (
	sourceLineRe = regexp.MustCompile(`来源[:：]\s*[\x21-\x7e]+`)
	// organRe is an issuing body as title blocks name one: "中共楠木铺乡党委",
	// "重庆市荣昌区人民政府广顺街道办事处", "浚县人民政府".
	organRe = regexp.MustCompile(`(?:中共|中国共产党)?\p{Han}{1,24}?(?:人民政府\p{Han}{2,12}?办事处|工作委员会|管理委员会|委员会|党工委|党委|人民政府|办事处|县委|区委|市委|管委会)`)
	// addresseeRe is the addressee line: "区委、区政府:", "城中区委全面依法治区委员会:".
	addresseeRe = regexp.MustCompile(`(?:^|报告|\n)\s*([\p{Han}、]{2,30}?)[:：]`)
	// docNumberRe is a document number: "海府〔2020〕57号".
	docNumberRe = regexp.MustCompile(`\p{Han}{1,10}[〔\[（(［﹝]\d{4}[〕\]）)］﹞]\d{1,4}号`)
	// signerRe is the signer of an issued document: "签发人:梁汉飞".
	signerRe = regexp.MustCompile(`签发人[:：]\s*(\p{Han}{2,3})`)
	// publishedRe is the publication date page furniture states.
	publishedRe = regexp.MustCompile(`(?:日期|发布时间|发布日期|成文日期)[:：]\s*((?:19|20)\d{2}(?:年\d{1,2}月\d{1,2}日|-\d{1,2}-\d{1,2}))`)
)

// issuersIn lists the issuing bodies a report's title block names: the
// bodies before its "关于…" or "2023年…报告" title.
func issuersIn(open string) []string {
	head, end := open, -1
	for _, stop := range []string{"关于", "报告"} {
		if i := strings.Index(head, stop); i >= 0 {
			head, end = head[:i], i
		}
	}
	if loc := yearInClause.FindStringIndex(head); loc != nil {
		head, end = head[:loc[0]], loc[0]
	}
	if end < 0 || strings.ContainsAny(head, ":：。,，") {
		return nil // no title block: the text opens with its addressee or body
	}
	var out []string
	for _, m := range organRe.FindAllString(head, -1) {
		if !contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// addresseeIn returns the body a report is addressed to, or "".
func addresseeIn(open string) string {
	for _, m := range addresseeRe.FindAllStringSubmatch(open, -1) {
		a := m[1]
		if containsAny(a, "来源", "日期", "时间", "发布", "浏览", "位置") {
			continue
		}
		if containsAny(a, "委", "政府", "人大", "办公室") {
			return a
		}
	}
	// Lines run together: "签发人:梁汉飞徐闻县人民政府:".
	m := organColonRe.FindString(open)
	if m == "" {
		return ""
	}
	m = strings.TrimRight(m, ":：")
	if i := strings.LastIndex(m, "报告"); i >= 0 {
		m = m[i+len("报告"):]
	}
	if sg := signerRe.FindStringSubmatch(open); sg != nil {
		m = strings.TrimPrefix(m, sg[1])
	}
	return m
}

// organColonRe is a body's name followed by a colon: an addressee.
var organColonRe = regexp.MustCompile(`[\p{Han}、]{2,30}?(?:委员会|人民政府|政府|党委|党工委|区委|县委|市委|常委会|办公室)[:：]`)
