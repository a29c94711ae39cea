package ingest

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean normalises the raw text of a report so that every loader's output
// reads the same way. It is pure and idempotent (Clean(Clean(s)) ==
// Clean(s)). In order:
//
//   - line breaks become "\n"; BOMs, zero-width and control characters go;
//     form feeds (page breaks) become line breaks;
//   - full-width digits and Latin letters, the full-width percent sign and
//     full-width or no-break spaces become their ASCII forms; Chinese
//     punctuation is kept as is;
//   - Word and web artefacts go: "[bookmark: …]" marks, Markdown "**" and
//     leading "#" heading marks (the heading text stays), page-number lines
//     ("- 3 -", "第3页", "3/10", a lone number), web page metadata lines
//     ("来源：… 发布时间：…", "信息索引号…", "【打印】【关闭】");
//   - spaces between a digit and a CJK character (either way round) go:
//     "2021 年" becomes "2021年", "渔门镇 2020 年度" becomes "渔门镇2020年度";
//     runs of spaces shrink to one; lines are trimmed;
//   - lines cut inside a sentence (hard-wrapped PDF text, page breaks in
//     converted documents) are joined, without a space between CJK
//     characters; headings, titles, signatures and dates are never joined;
//   - runs of blank lines shrink to one, and the text ends with one "\n".
func Clean(raw string) string {
	s := raw
	// Every step maps text that is already clean to itself, so one pass
	// normally suffices; the loop guards against rare interactions between
	// steps (e.g. removing a mark that exposes another).
	for range 4 {
		next := cleanOnce(s)
		if next == s {
			break
		}
		s = next
	}
	return s
}

// cleanOnce is one pass of Clean.
func cleanOnce(s string) string {
	s = normaliseRunes(s)
	var lines []string
	for _, line := range strings.Split(s, "\n") {
		line = cleanLine(line)
		if isArtefactLine(line) {
			continue
		}
		lines = append(lines, line)
	}
	return strings.Join(joinLines(lines), "\n")
}

// normaliseRunes rewrites characters one by one: line breaks, invisible
// and control characters, full-width ASCII, and exotic spaces.
func normaliseRunes(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r', r == '\f', r == '\v', r == '\u2028', r == '\u2029', r == '\u0085':
			return '\n'
		case r == '\t', r == '\n':
			return r
		case r < 0x20, r == 0x7F, r >= 0x80 && r < 0xA0:
			return -1
		case r == '\uFEFF', r == '\u200B', r == '\u200C', r == '\u200D', r == '\u2060', r == '\u00AD':
			return -1
		case r == '\u3000', r == '\u00A0', r >= '\u2000' && r <= '\u200A', r == '\u202F', r == '\u205F':
			return ' '
		case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ', r == '％':
			return r - 0xFEE0
		}
		return r
	}, s)
}

var (
	bookmarkRe = regexp.MustCompile(`\[bookmark:[^\]\n]*\]`)
	mdHeadRe   = regexp.MustCompile(`^\s*#{1,6}(\s+|$)`)
	spacesRe   = regexp.MustCompile(` {2,}`)
)

// cleanLine removes in-line artefacts from one line and normalises its
// spaces.
func cleanLine(line string) string {
	// Each pattern needs a character most lines lack: look for it first.
	for {
		prev := line
		if strings.Contains(line, "[bookmark:") {
			line = bookmarkRe.ReplaceAllString(line, "")
		}
		line = strings.ReplaceAll(line, "**", "")
		if strings.Contains(line, "#") {
			line = mdHeadRe.ReplaceAllString(line, "")
		}
		if line == prev {
			break
		}
	}
	if strings.Contains(line, "  ") {
		line = spacesRe.ReplaceAllString(line, " ")
	}
	line = dropCJKSpaces(line)
	return strings.TrimSpace(line)
}

// dropCJKSpaces removes spaces between a digit (or a percent sign after
// one) and a CJK character, in either order, and spaces next to full-width
// punctuation ("。 建设" becomes "。建设"). Spaces between Latin words and
// between two Han characters stay.
func dropCJKSpaces(line string) string {
	if !strings.Contains(line, " ") {
		return line
	}
	rs := []rune(line)
	out := rs[:0:0]
	for i := 0; i < len(rs); i++ {
		if rs[i] == ' ' && len(out) > 0 {
			j := i
			for j < len(rs) && rs[j] == ' ' {
				j++
			}
			if j < len(rs) {
				a, b := out[len(out)-1], rs[j]
				if (isDigitLike(a) && isCJK(b)) || (isCJK(a) && isDigit(b)) || isCJKPunct(a) || isCJKPunct(b) {
					i = j - 1
					continue
				}
			}
		}
		out = append(out, rs[i])
	}
	return string(out)
}

func isDigit(r rune) bool     { return r >= '0' && r <= '9' }
func isDigitLike(r rune) bool { return isDigit(r) || r == '%' }

// isCJK reports whether r is a Han character or CJK punctuation (including
// full-width forms and the brackets 〔〕《》（）).
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// isCJKPunct reports whether r is CJK or full-width punctuation.
func isCJKPunct(r rune) bool {
	return (r > 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

var (
	// Page numbers as page footers print them.
	pageNumRes = []*regexp.Regexp{
		regexp.MustCompile(`^[-－—–‒―~～]+ ?\d{1,3} ?[-－—–‒―~～]+$`),
		regexp.MustCompile(`^(共 ?\d{1,3} ?页[,，、 ]*)?第 ?\d{1,3} ?页([,，、 ]*共 ?\d{1,3} ?页)?$`),
		regexp.MustCompile(`^\d{1,3} ?/ ?\d{1,3}$`),
		regexp.MustCompile(`^\d{1,3}$`),
		regexp.MustCompile(`^(?i:page) ?\d{1,3}( ?(?i:of) ?\d{1,3})?$`),
	}
	// Labels of the metadata line above an article on government web sites.
	webLabelRe = regexp.MustCompile(`(来源|信息来源|发布时间|发布日期|发文日期|更新时间|浏览次数|浏览量|点击数|点击量|点击率|访问量|阅读次数|阅读量|作者|字号|字体|责任编辑|编辑|审核)[:：]`)
	// Lines that are nothing but web metadata by their first word.
	webStartRe = regexp.MustCompile(`^(【?(信息)?索引号|浏览次数|点击数|点击量|阅读次数|访问量|当前位置|您当前的位置|您的位置|你的位置|上一篇|下一篇|分享到)`)
	// urlEndRe matches a line that ends in a web address.
	urlEndRe = regexp.MustCompile(`https?://[!-~]+$`)
)

// navWords are the words of article tool bars ("【打印】【关闭】").
var navWords = map[string]bool{
	"打印": true, "打印本页": true, "打印此页": true, "打印文章": true, "关闭": true, "关闭窗口": true,
	"关闭本页": true, "返回": true, "返回顶部": true, "返回首页": true, "收藏": true, "加入收藏": true,
	"分享": true, "分享到": true, "字体": true, "字号": true, "大": true, "中": true, "小": true,
	"默认": true, "保存": true, "保存本页": true, "纠错": true, "我要纠错": true, "扫一扫": true,
	"在手机上查看": true, "放大": true, "缩小": true,
}

// isArtefactLine reports whether a cleaned line is page furniture rather
// than report text: a page number or a line of web page chrome.
func isArtefactLine(line string) bool {
	// Page furniture is short; long lines are report text. The bounds keep
	// the regular expressions off long paragraphs.
	if line == "" || len(line) > 300 {
		return false
	}
	if len(line) <= 40 {
		for _, re := range pageNumRes {
			if re.MatchString(line) {
				return true
			}
		}
	}
	// Each label ends in a colon: a line without one has none.
	if webStartRe.MatchString(line) || (strings.ContainsAny(line, ":：") && len(webLabelRe.FindAllStringIndex(line, 2)) >= 2) {
		return true
	}
	words := strings.FieldsFunc(line, isNavSep)
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if !navWords[w] {
			return false
		}
	}
	return true
}

// isNavSep reports whether r separates the words of a navigation line:
// a space or one of 【】[]|｜/、:：.
func isNavSep(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune("【】[]|｜/、:：", r)
}

// Patterns that classify lines for joining.
var (
	cnNum = `[一二三四五六七八九十百零〇]+`
	// headingRe matches a numbered heading: "一、", "（一）", "(1)", "1、",
	// "2.", "第一章", "①".
	headingRe = regexp.MustCompile(`^(` + cnNum + `[、.．]|[（(](` + cnNum + `|\d{1,2})[）)]|\d{1,2}(、|．|\.(\D|$))|第` + cnNum + `(章|节|条|部分|篇)|[①-⑳])`)
	// itemRe matches the start of an enumerated item that opens a new
	// paragraph although it is not a heading: "一是", "第一，".
	itemRe = regexp.MustCompile(`^(` + cnNum + `是|第` + cnNum + `[，,、])`)
	// dateLineRe matches a date line: "2021年2月1日", "二〇二一年二月一日",
	// optionally followed by "印发".
	dateLineRe = regexp.MustCompile(`^([0-9]{4}|[〇零一二三四五六七八九]{4})年([0-9]{1,2}|[一二三四五六七八九十]{1,3})月([0-9]{1,2}|[一二三四五六七八九十]{1,3})日(印发|发布)?$`)
)

const (
	// sentenceFinal are marks after which a line may end a paragraph.
	sentenceFinal = "。！？；：!?;:…."
	// closers may follow a final mark ("…。”").
	closers = "”’」』）)】〕》\"'"
	// innerPunct are marks that occur inside sentences but rarely in titles.
	innerPunct = "，、；：,;:。"
)

// joinLines joins lines that were cut inside a sentence, shrinks runs of
// blank lines to one and drops leading and trailing ones. The result ends
// with an empty element so that joining it with "\n" ends the text with a
// line break.
func joinLines(lines []string) []string {
	wrap := wrapWidth(lines)
	var (
		out      []string
		cur      string  // paragraph being built
		curLastW float64 // display width of the last physical line of cur
		sawBlank bool    // blank lines came after cur
	)
	for _, line := range lines {
		if line == "" {
			sawBlank = cur != ""
			continue
		}
		if cur != "" && shouldJoin(cur, curLastW, line, wrap) {
			cur = joinPair(cur, line)
			curLastW = displayWidth(line)
			sawBlank = false
			continue
		}
		if cur != "" {
			out = append(out, cur)
			if sawBlank {
				out = append(out, "")
			}
		}
		cur, curLastW, sawBlank = line, displayWidth(line), false
	}
	if cur != "" {
		out = append(out, cur)
	}
	if len(out) > 0 {
		out = append(out, "")
	}
	return out
}

// joinPair joins b onto a: without a space, except between two Latin
// words.
func joinPair(a, b string) string {
	ra, _ := utf8.DecodeLastRuneInString(a)
	rb, _ := utf8.DecodeRuneInString(b)
	if isLatinAlnum(ra) && isLatinAlnum(rb) && (isLatinLetter(ra) || isLatinLetter(rb)) {
		return a + " " + b
	}
	return a + b
}

func isLatinLetter(r rune) bool { return r < 0x80 && unicode.IsLetter(r) }
func isLatinAlnum(r rune) bool  { return isLatinLetter(r) || isDigit(r) }

// shouldJoin decides whether line b continues the sentence that a (the
// paragraph so far, whose last physical line is lastW wide) leaves open.
// wrap, when positive, is the width at which the document's lines were
// hard-wrapped.
func shouldJoin(a string, lastW float64, b string, wrap float64) bool {
	if endsSentence(a) || strings.ContainsRune(a, '\t') || strings.ContainsRune(b, '\t') || urlEndRe.MatchString(a) {
		return false // a web address ends its line ("来源: http://…")
	}
	if headingRe.MatchString(b) || itemRe.MatchString(b) || dateLineRe.MatchString(b) {
		return false
	}
	if wrap > 0 && lastW >= wrap {
		return true // a full line of hard-wrapped text
	}
	if isHeading(a) || dateLineRe.MatchString(a) {
		return false
	}
	n := utf8.RuneCountInString(a)
	if n < 15 {
		return false // short: a title, signature or label
	}
	if !strings.ContainsAny(a, innerPunct) && n < 40 {
		return false // no punctuation inside: a title
	}
	if utf8.RuneCountInString(b) < 15 && !strings.ContainsAny(b, innerPunct+sentenceFinal+closers+"《（(") {
		return false // b is short and bare: a signature or title
	}
	return true
}

// endsSentence reports whether line ends with a sentence-final mark,
// possibly followed by closing quotes or brackets. A line of closers alone
// counts as ended.
func endsSentence(line string) bool {
	s := strings.TrimRightFunc(line, func(r rune) bool { return strings.ContainsRune(closers, r) })
	if s == "" {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune(sentenceFinal, r)
}

// isHeading reports whether line is a numbered heading standing on its own
// ("一、总体情况", "（二）加强领导，健全机制"), as opposed to a numbered
// paragraph that runs on after its heading ("（一）推进依法执政。一是…").
func isHeading(line string) bool {
	if !headingRe.MatchString(line) {
		return false
	}
	body := strings.TrimRightFunc(line, func(r rune) bool {
		return strings.ContainsRune(sentenceFinal+closers, r)
	})
	return !strings.ContainsAny(body, "。！？；!?;")
}

// displayWidth measures a line in em: wide (CJK) characters count 1,
// others half.
func displayWidth(s string) float64 {
	var w float64
	for _, r := range s {
		if isWide(r) {
			w++
		} else {
			w += 0.5
		}
	}
	return w
}

// wrapWidth detects hard-wrapped text (as pdftotext produces): many lines
// of about the same width and hardly any longer. It returns the width from
// which a line counts as full, or 0 when the text is not hard-wrapped.
func wrapWidth(lines []string) float64 {
	var ws []float64
	for _, l := range lines {
		if w := displayWidth(l); w >= 10 {
			ws = append(ws, w)
		}
	}
	if len(ws) < 5 {
		return 0
	}
	sort.Float64s(ws)
	// The most populated window ws[i] .. ws[i]+3 (width ±1.5 em); on a tie
	// the wider one.
	best, bestN := 0.0, 0
	for i, j := 0, 0; i < len(ws); i++ {
		for j < len(ws) && ws[j] <= ws[i]+3 {
			j++
		}
		if j-i >= bestN {
			best, bestN = ws[i]+1.5, j-i
		}
	}
	longer := 0
	for _, w := range ws {
		if w > best+2 {
			longer++
		}
	}
	if best < 20 || bestN < 5 || bestN*10 < len(ws)*3 || longer*10 > len(ws) {
		return 0
	}
	return best - 3
}
