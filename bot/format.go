package bot

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

// Replies the bot sends as they are.
const (
	msgForbidden     = "抱歉，您没有使用权限。"
	msgRateLimited   = "请求过于频繁，请稍后再试。"
	msgInternalError = "抱歉，处理时出错，请稍后再试。"
	msgBusy          = "同时在回答的复杂问题太多，请稍后再问。"
	msgNotAdmin      = "抱歉，只有管理员可以上传报告文件。"
	msgNoProof       = "暂无可查看的依据，请先提问。"
	msgAskUsage      = "请在 /ask 后输入问题，例如：/ask 渔门镇2020年调解了多少件矛盾纠纷？"
	msgFactsUsage    = "用法：/facts 乡镇名 [年份]，例如：/facts 渔门镇 2020"
	msgNoReports     = "尚未收录任何报告。"
	msgUnknownCmd    = "未知命令。发送 /help 查看用法。"
	msgEmptyQuestion = "请直接输入您的问题。"
	msgNoAnswer      = "抱歉，没有找到相关内容。"
)

const helpText = `您好！我是法治政府建设工作报告问答助手。
直接发送问题即可，例如：
• 渔门镇2020年共排查、调解各类矛盾纠纷多少件？
• 那城关镇呢？（可以接着上一问追问）

命令：
/ask 问题 — 提问（群聊中使用，或 @我）
/reports — 已收录的报告
/facts 乡镇名 [年份] — 该乡镇报告中的数据
/proof — 上一个回答所依据的原文
/help — 显示本帮助

Ask questions about township rule-of-law annual reports, in Chinese or English; /help shows this message.`

// Bounds that keep list replies short.
const (
	maxSources      = 5   // sources listed under an answer
	maxProofQuotes  = 10  // quotes shown by /proof
	maxReportsShown = 100 // reports listed by /reports
	maxFactsShown   = 30  // facts listed by /facts
	maxSubjectRunes = 40  // a fact's subject is cut to this
)

// answerSpans renders an answer: its text, then a short block of sources.
func answerSpans(a rag.Answer) []span {
	text := strings.TrimSpace(a.Answer)
	if text == "" {
		text = msgNoAnswer
	}
	spans := []span{plain(text)}
	cites := dedupeCitations(a.Citations, false)
	if len(cites) == 0 {
		return spans
	}
	spans = append(spans, plain("\n\n"), styled("b", "来源"), plain("\n"))
	for i, c := range cites {
		if i == maxSources {
			spans = append(spans, plain(fmt.Sprintf("……共 %d 处\n", len(cites))))
			break
		}
		spans = append(spans, plain(fmt.Sprintf("%d. %s\n", i+1, citationLine(c))))
	}
	spans = append(spans, styled("i", "发送 /proof 查看原文。"))
	return spans
}

// proofSpans renders the full quotes behind an answer.
func proofSpans(a rag.Answer) []span {
	cites := dedupeCitations(a.Citations, true)
	if len(cites) == 0 {
		return []span{plain("上一个回答没有引用原文。")}
	}
	spans := []span{styled("b", "回答依据的原文"), plain("\n")}
	for i, c := range cites {
		if i == maxProofQuotes {
			spans = append(spans, plain(fmt.Sprintf("\n……共 %d 处，仅显示前 %d 处。", len(cites), maxProofQuotes)))
			break
		}
		spans = append(spans,
			plain("\n"),
			styled("b", fmt.Sprintf("%d. %s", i+1, citationLine(c))),
			plain("\n"),
			styled("blockquote", strings.TrimSpace(c.Quote)),
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

// reportsSpans lists reports by town, then year.
func reportsSpans(rs []rag.ReportInfo) []span {
	if len(rs) == 0 {
		return []span{plain(msgNoReports)}
	}
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b rag.ReportInfo) int {
		// Reports of unknown town go last.
		return cmp.Or(cmp.Compare(boolInt(a.Town == ""), boolInt(b.Town == "")), cmp.Compare(a.Town, b.Town),
			cmp.Compare(a.Year, b.Year), cmp.Compare(a.Source, b.Source))
	})
	spans := []span{styled("b", fmt.Sprintf("已收录 %d 份报告", len(rs))), plain("\n")}
	var b strings.Builder
	for i, r := range rs {
		if i == maxReportsShown {
			fmt.Fprintf(&b, "……仅显示前 %d 份。\n", maxReportsShown)
			break
		}
		fmt.Fprintf(&b, "%d. %s\n", i+1, reportLine(r.Report))
	}
	return append(spans, plain(b.String()))
}

func reportLine(r ingest.Report) string {
	town := cmp.Or(r.Town, "未知乡镇")
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

// factsSpans lists a town's facts, newest year first, bounded in count and
// subject length.
func factsSpans(town string, year int, fs []ingest.Fact) []span {
	scope := town
	if year != 0 {
		scope += " " + strconv.Itoa(year) + "年"
	}
	if !endsWithHan(scope) {
		scope += " " // "Yumen 的数据", but "渔门镇的数据"
	}
	if len(fs) == 0 {
		return []span{plain(fmt.Sprintf("未找到「%s」的数据。发送 /reports 查看已收录的报告。", strings.TrimSpace(scope)))}
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
	return []span{styled("b", head), plain("\n" + b.String())}
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

// ingestText reports what ingesting a file did.
func ingestText(res rag.IngestResult) string {
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
