package messenger

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"fazhi/ingest"
	"fazhi/rag"
)

// Replies sent as they are, on every platform.
const (
	MsgForbidden     = "抱歉，您没有使用权限。"
	MsgRateLimited   = "请求过于频繁，请稍后再试。"
	MsgInternalError = "抱歉，处理时出错，请稍后再试。"
	MsgTimeout       = "抱歉，处理超时，请稍后再试，或把问题问得更具体些。"
	MsgBusy          = "同时在回答的复杂问题太多，请稍后再问。"
	MsgNotAdmin      = "抱歉，只有管理员可以上传报告文件。"
	MsgNoProof       = "暂无可查看的依据，请先提问。"
	MsgNoReports     = "尚未收录任何报告。"
	MsgEmptyQuestion = "请直接输入您的问题。"
	MsgNoAnswer      = "抱歉，没有找到相关内容。"
	MsgDownloadError = "下载文件失败，请稍后重试。"
)

// HelpText is the help of the messengers whose commands are Chinese words
// (WeCom, DingTalk); Telegram's adds its slash commands.
const HelpText = `您好！我是法治政府建设工作报告问答助手。
直接发送问题即可，例如：
• 渔门镇2020年共排查、调解各类矛盾纠纷多少件？
• 那城关镇呢？（可以接着上一问追问）

命令：
报告列表 — 已收录的报告
数据 乡镇名 [年份] — 该乡镇报告中的数据，例如：数据 渔门镇 2020
原文 — 上一个回答所依据的原文
帮助 — 显示本帮助

Ask questions about township rule-of-law annual reports, in Chinese or English; 帮助 (help) shows this message.`

// ProofHint is the line under an answer's sources on the messengers whose
// commands are Chinese words.
const ProofHint = "发送「原文」查看原文。"

// Bounds that keep list replies short.
const (
	maxSources      = 5   // sources listed under an answer
	maxProofQuotes  = 10  // quotes shown by /proof
	maxReportsShown = 100 // reports listed by /reports
	maxFactsShown   = 30  // facts listed by /facts
	maxSubjectRunes = 40  // a fact's subject is cut to this
)

// AnswerSpans renders an answer: its text, then a short block of sources
// and proofHint, the line that says how to see the quotes. A comparison
// across reports is a compact aligned list instead (the chart is for the
// web page).
func AnswerSpans(a rag.Answer, proofHint string) []Span {
	if a.Table != nil && len(a.Table.Rows) > 0 {
		return tableSpans(a, proofHint)
	}
	text := strings.TrimSpace(a.Answer)
	if text == "" {
		text = MsgNoAnswer
	}
	spans := []Span{Plain(text)}
	if note := strings.TrimSpace(a.Note); note != "" {
		// Why the answer is what it is: e.g. the model did not answer in
		// time and this was read from the reports.
		spans = append(spans, Plain("\n\n"), Styled(StyleItal, "注："+note))
	}
	cites := dedupeCitations(a.Citations, false)
	if len(cites) == 0 {
		return spans
	}
	spans = append(spans, Plain("\n\n"), Styled(StyleBold, "来源"), Plain("\n"))
	for i, c := range cites {
		if i == maxSources {
			spans = append(spans, Plain(fmt.Sprintf("……共 %d 处\n", len(cites))))
			break
		}
		spans = append(spans, Plain(fmt.Sprintf("%d. %s\n", i+1, citationLine(c))))
	}
	if proofHint != "" {
		spans = append(spans, Styled(StyleItal, proofHint))
	}
	return spans
}

// maxTableRows bounds the rows of a comparison reply.
const maxTableRows = 30

// tableSpans renders a comparison: what is compared, the answer's verdict
// line (most, total…) when it has one, one aligned monospace line per
// report with its figure right-aligned, the reports that state none, and
// where each row comes from, numbered alike.
func tableSpans(a rag.Answer, proofHint string) []Span {
	t := a.Table
	head := t.Label
	if t.Unit != "" {
		head += "（" + t.Unit + "）"
	}
	spans := []Span{Styled(StyleBold, head), Plain("\n")}
	if first, _, _ := strings.Cut(strings.TrimSpace(a.Answer), "\n"); first != "" && !strings.HasSuffix(first, "：") && !strings.HasSuffix(first, ":") {
		spans = append(spans, Plain(first+"\n"))
	}
	rows := t.Rows
	if len(rows) > maxTableRows {
		rows = rows[:maxTableRows]
	}
	labels := make([]string, len(rows))
	lw, vw := 0, 0
	for i, r := range rows {
		labels[i] = tableRowLabel(t.By, r.Place, r.Year)
		lw, vw = max(lw, displayWidth(labels[i])), max(vw, displayWidth(r.Figure))
	}
	for i, r := range rows {
		num := fmt.Sprintf("%*d. ", len(strconv.Itoa(len(rows))), i+1)
		line := num + labels[i] + strings.Repeat(" ", lw-displayWidth(labels[i])+2) +
			strings.Repeat(" ", vw-displayWidth(r.Figure)) + r.Figure
		spans = append(spans, Styled(StyleCode, line), Plain("\n"))
	}
	// An answer's table may list only its first rows and count the rest.
	if n := len(t.Rows) + t.RowsOmitted - len(rows); n > 0 {
		spans = append(spans, Plain(fmt.Sprintf("……另有 %d 份报告\n", n)))
	}
	if len(t.Missing) > 0 {
		var names []string
		for i, m := range t.Missing {
			if i == maxSources {
				break
			}
			names = append(names, tableRowLabel(rag.ByPlace, cmp.Or(m.Place, m.Source), m.Year))
		}
		if all := len(t.Missing) + t.MissingOmitted; all > len(names) {
			names = append(names, fmt.Sprintf("等 %d 份", all))
		}
		spans = append(spans, Plain("未提及："+strings.Join(names, "、")+"\n"))
	}
	spans = append(spans, Plain("\n"), Styled(StyleBold, "来源"), Plain("\n"))
	var src strings.Builder
	for i, r := range rows {
		if i == maxSources {
			fmt.Fprintf(&src, "……共 %d 份\n", len(rows))
			break
		}
		fmt.Fprintf(&src, "%d. %s\n", i+1, r.Source)
	}
	spans = append(spans, Plain(src.String()))
	if proofHint != "" {
		spans = append(spans, Styled(StyleItal, proofHint))
	}
	return spans
}

// tableRowLabel names a row: its year when the table follows one place
// over the years, else its place, with the year when known.
func tableRowLabel(by, place string, year int) string {
	if by == rag.ByYear {
		return strconv.Itoa(year) + "年"
	}
	if year != 0 {
		return place + " " + strconv.Itoa(year)
	}
	return place
}

// displayWidth is how many monospace columns s takes: two for each wide
// (CJK, full-width) character.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || (r >= 0xFF01 && r <= 0xFF60) || (r >= 0x3000 && r <= 0x303F) {
			w += 2
		} else {
			w++
		}
	}
	return w
}

// ProofSpans renders the full quotes behind an answer.
func ProofSpans(a rag.Answer) []Span {
	cites := dedupeCitations(a.Citations, true)
	if len(cites) == 0 {
		return []Span{Plain("上一个回答没有引用原文。")}
	}
	spans := []Span{Styled(StyleBold, "回答依据的原文"), Plain("\n")}
	for i, c := range cites {
		if i == maxProofQuotes {
			spans = append(spans, Plain(fmt.Sprintf("\n……共 %d 处，仅显示前 %d 处。", len(cites), maxProofQuotes)))
			break
		}
		spans = append(spans,
			Plain("\n"),
			Styled(StyleBold, fmt.Sprintf("%d. %s", i+1, citationLine(c))),
			Plain("\n"),
			Styled(StyleQuote, strings.TrimSpace(c.Quote)),
		)
	}
	return spans
}

// citationLine is "town year 《title》 section — source", without the parts
// that are unknown.
func citationLine(c rag.Citation) string {
	var parts []string
	if c.Town != "" {
		parts = append(parts, c.Town)
	}
	if c.Year != 0 {
		parts = append(parts, strconv.Itoa(c.Year)+"年")
	}
	if c.Title != "" {
		parts = append(parts, "《"+c.Title+"》")
	}
	if c.Section != "" {
		parts = append(parts, c.Section)
	}
	line := strings.Join(parts, " ")
	if c.Source != "" {
		if line != "" {
			line += " — "
		}
		line += c.Source
	}
	return line
}

// dedupeCitations keeps the first citation of each (source, section), or
// of each (source, section, quote) when byQuote is set.
func dedupeCitations(cs []rag.Citation, byQuote bool) []rag.Citation {
	type key struct{ source, section, quote string }
	seen := make(map[key]bool)
	var out []rag.Citation
	for _, c := range cs {
		k := key{c.Source, c.Section, ""}
		if byQuote {
			k.quote = c.Quote
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, c)
	}
	return out
}

// ReportsSpans lists reports by town, then year.
func ReportsSpans(rs []rag.ReportInfo) []Span {
	if len(rs) == 0 {
		return []Span{Plain(MsgNoReports)}
	}
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b rag.ReportInfo) int {
		// Reports of unknown town go last.
		return cmp.Or(cmp.Compare(boolInt(a.Unit() == ""), boolInt(b.Unit() == "")), cmp.Compare(a.Unit(), b.Unit()),
			cmp.Compare(a.Year, b.Year), cmp.Compare(a.Source, b.Source))
	})
	spans := []Span{Styled(StyleBold, fmt.Sprintf("已收录 %d 份报告", len(rs))), Plain("\n")}
	var b strings.Builder
	for i, r := range rs {
		if i == maxReportsShown {
			fmt.Fprintf(&b, "……仅显示前 %d 份。\n", maxReportsShown)
			break
		}
		fmt.Fprintf(&b, "%d. %s\n", i+1, reportLine(r.Report))
	}
	return append(spans, Plain(b.String()))
}

func reportLine(r ingest.Report) string {
	town := cmp.Or(r.Unit(), "未知乡镇") // a county's own report goes by the county
	year := "年份未知"
	if r.Year != 0 {
		year = strconv.Itoa(r.Year) + "年"
	}
	line := town + " " + year
	if r.Title != "" {
		line += " 《" + r.Title + "》"
	}
	return line + " — " + r.Source
}

// FactsSpans lists a town's facts, newest year first, bounded in count and
// subject length; reportsCmd is the command that lists the reports.
func FactsSpans(town string, year int, fs []ingest.Fact, reportsCmd string) []Span {
	scope := town
	if year != 0 {
		scope += " " + strconv.Itoa(year) + "年"
	}
	if !endsWithHan(scope) {
		scope += " " // "Yumen 的数据", but "渔门镇的数据"
	}
	if len(fs) == 0 {
		return []Span{Plain(fmt.Sprintf("未找到「%s」的数据。发送 %s 查看已收录的报告。", strings.TrimSpace(scope), reportsCmd))}
	}
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b ingest.Fact) int { return cmp.Compare(b.Year, a.Year) })
	head := fmt.Sprintf("%s的数据（共 %d 条）", scope, len(fs))
	if len(fs) > maxFactsShown {
		head = fmt.Sprintf("%s的数据（共 %d 条，显示前 %d 条）", scope, len(fs), maxFactsShown)
		fs = fs[:maxFactsShown]
	}
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("• ")
		if f.Year != 0 {
			b.WriteString(strconv.Itoa(f.Year) + "年 ")
		}
		if f.Town != "" && f.Town != town {
			b.WriteString(f.Town + " ")
		}
		b.WriteString(cutRunes(f.Subject, maxSubjectRunes) + "：" + factValue(f) + "\n")
	}
	return []Span{Styled(StyleBold, head), Plain("\n" + b.String())}
}

// factValue writes a figure the way the reports do: 约120件, 120余件,
// 98%, 100件以上.
func factValue(f ingest.Fact) string {
	num := strconv.FormatFloat(f.Value, 'f', -1, 64)
	switch f.Approx {
	case "":
		return num + f.Unit
	case "余", "多":
		return num + f.Approx + f.Unit
	case "约", "近", "将近", "不少于", "超过", "逾", "达", "共":
		return f.Approx + num + f.Unit
	default: // 以上, 以下, 左右 and the like follow the unit
		return num + f.Unit + f.Approx
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func endsWithHan(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return unicode.Is(unicode.Han, r)
}

func cutRunes(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// IngestText reports what ingesting a file did.
func IngestText(res rag.IngestResult) string {
	var verb string
	switch res.Status {
	case rag.StatusNew:
		verb = "已导入"
	case rag.StatusReplaced:
		verb = "已更新"
	case rag.StatusUnchanged:
		verb = "内容未变，无需导入"
	case rag.StatusDuplicate:
		verb = "内容与已有报告 " + res.DuplicateOf + " 相同，未导入"
	default:
		verb = "已处理（" + string(res.Status) + "）"
	}
	rep := res.Report.Report
	rep.Source = cmp.Or(rep.Source, res.Source)
	return fmt.Sprintf("%s：%s\n分块 %d 个，数据 %d 条。",
		verb, reportLine(rep), res.Report.Chunks, res.Report.Facts)
}
