package rag

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"fazhi/ingest"
)

// Thresholds of the extractive answerer, settled on the evaluation sets
// in testdata/eval: below them the reports are taken not to say.
const (
	minSentenceScore = 0.55 // of a sentence's cover, for list answers
	minSectionScore  = 0.6
	maxScopeReports  = 12 // beyond this many reports in scope, retrieval narrows the sentences
	maxTownReports   = 60 // … unless the question names its towns: their reports are read whole
)

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
	if err := checkQuestion(q.Text); err != nil {
		return Answer{}, err
	}
	q.History = TrimHistory(q.History)
	if e.llm != nil {
		c, err := e.catalog(ctx)
		if err != nil {
			return Answer{}, err
		}
		// Condensing a follow-up is the chain's job; the offline carry-over
		// of slots gives it a standalone question to start from.
		q.Text = resolveRelativeYears(resolveFollowUp(q.Text, q.History, c.towns, e.gloss), e.now(), e.yearsOfPlaces(c))
		ctx, release, err := e.enterGate(ctx)
		if err != nil {
			return Answer{}, err
		}
		defer release()
		a, err := e.llm.Answer(ctx, q, onChunk)
		if err == nil && a.Table == nil {
			a.Table = e.comparisonTable(ctx, q)
		}
		if err == nil || ctx.Err() != nil {
			return a, err
		}
		// The model is down or failing: the reports still answer, offline.
		e.log.Warn("LLM failed; answering extractively", "err", err)
		a, xerr := e.extractive(ctx, q)
		if xerr != nil {
			return a, xerr
		}
		a.Note = fallbackNote(q.Text, err)
		if onChunk != nil {
			if err := onChunk(a.Answer); err != nil {
				return a, err
			}
		}
		return a, nil
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

// fallbackNote tells the reader that the model did not answer (in time)
// and the answer was read from the reports instead.
func fallbackNote(question string, err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return say(detectLang(question), "语言模型未能按时回答，以下答案直接摘自报告。", "the language model did not answer in time; extractive answer given")
	}
	return say(detectLang(question), "语言模型不可用，以下答案直接摘自报告。", "language model unavailable; extractive answer given")
}

// ErrEmptyQuestion is returned for a question with no text.
var ErrEmptyQuestion = fmt.Errorf("empty question")

// extractive is the offline answerer: it finds the figure or sentences
// that answer and quotes them, or says the reports do not state it.
func (e *Engine) extractive(ctx context.Context, question Question) (Answer, error) {
	return e.extractiveExcept(ctx, question, nil)
}

// usedFacts are the figures earlier parts of a question were answered
// with: a later part ("…几名律师参与？审查合同多少份？") asks for another.
type usedFacts map[factKey]bool

type factKey struct {
	report, quote string
	value         float64
	unit          string
}

func keyOf(r ReportInfo, f ingest.Fact) factKey {
	return factKey{report: r.ID, quote: f.Quote, value: f.Value, unit: f.Unit}
}

// maxQuestionParts bounds how many parts one question is answered in.
const maxQuestionParts = 6

// splitQuestion splits a question that asks for several figures into its
// parts: "立案查处了多少件违法案件，罚没了多少钱？", "…几次?…多少份?" (ASCII
// or full-width marks alike), "多少个乡镇区、多少个单位…", "A、B、C各有多少
// 项？", "how many A and how many B…?". A clause that asks nothing ("截至
// 2020年底,") stays with the part after it. Lists of places ("渔门镇和城关镇
// 分别…") are comparisons, not parts: isPlace tells them. Later parts take
// the place and time of the whole question through follow-up resolution.
//
// soft parts come from one question word over two things ("召开了多少次
// 主任办公会和工委会"): the question may as well ask one figure for both,
// so the parts stand only when each finds its own figure.
func splitQuestion(text string, isPlace func(string) bool) (parts []string, soft bool) {
	if detectLang(text) == "en" {
		parts = splitEnglish(text)
	} else if parts = splitClauses(text); len(parts) < 2 {
		if parts = splitList(text, isPlace); len(parts) < 2 {
			parts, soft = splitCoordinated(text, isPlace), true
		}
	}
	if len(parts) < 2 {
		return nil, false
	}
	return parts, soft // more than maxQuestionParts are refused by the caller
}

// coordinated matches one question word over two things joined by 和/及/与/、
// at the end of a question: "共召开多少次主任办公会和工委会?".
var coordinated = regexp.MustCompile(`^(.*?(?:多少|几)` + measureWords + `?)([\p{Han}“”"]{2,8}?)(?:和|及|以及|与|、)([\p{Han}“”"]{2,8})[？?。.]?$`)

// splitCoordinated splits "多少次A和B" into "多少次A" and "多少次B"; not
// when A or B is a place, nor when the question asks more than once.
func splitCoordinated(text string, isPlace func(string) bool) []string {
	text = strings.TrimSpace(text)
	if strings.Count(text, "多少")+strings.Count(text, "几") != 1 {
		return nil
	}
	m := coordinated.FindStringSubmatch(text)
	if m == nil || isPlace(m[2]) || isPlace(m[3]) {
		return nil
	}
	return []string{m[1] + m[2], m[1] + m[3]}
}

func asksFigureZh(s string) bool { return containsAny(s, "多少", "几") }

// splitClauses splits at clause marks into clauses that each ask for a
// figure.
func splitClauses(text string) []string {
	if strings.Count(text, "多少")+strings.Count(text, "几") < 2 {
		return nil
	}
	var parts []string
	pending := ""
	// "多少个乡镇区、多少个单位", "受理多少件和办结多少件": a joiner between
	// two questions ends a part as a clause mark does.
	text = joinedAsk.ReplaceAllString(text, "，$1")
	text = askThenJoined.ReplaceAllString(text, "$1，$2")
	for _, c := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune("，,；;？?", r) }) {
		if strings.TrimSpace(c) == "" {
			continue
		}
		if !asksFigureZh(c) {
			pending += c + "，"
			continue
		}
		parts = append(parts, pending+c)
		pending = ""
	}
	if pending != "" && len(parts) > 0 {
		parts[len(parts)-1] += "，" + strings.TrimSuffix(pending, "，")
	}
	return parts
}

// joinedAsk is a question word right after 、/和/及: a new part starts.
var joinedAsk = regexp.MustCompile(`(?:、|和|及|以及)((?:多少|几)` + measureWords + `)`)

// askThenJoined is a question word right before 和/及/、 with another
// question word after it in the same clause.
var askThenJoined = regexp.MustCompile(`((?:多少|几)` + measureWords + `?)(?:、|和|及|以及)([^，,；;？?]*?(?:多少|几))`)

// measureWords are the measure words that follow 多少/几.
const measureWords = `(?:件次|人次|场次|万元|小时|件|起|宗|次|场|期|人|名|位|项|个|元|份|条|幅|户|家|所|天|块|册|本|张|处|批|回)`

// listAsk matches "A、B、C各有多少项" / "A和B分别是多少".
var listAsk = regexp.MustCompile(`^(.*?)(各有|各是|各为|各|分别有|分别是|分别为|分别)(多少|几)(.*)$`)

// splitList splits "A、B、C各有多少项" into "A有多少项", "B有多少项", …
func splitList(text string, isPlace func(string) bool) []string {
	m := listAsk.FindStringSubmatch(strings.TrimRight(text, "？?。 "))
	if m == nil {
		return nil
	}
	items := strings.FieldsFunc(m[1], func(r rune) bool { return strings.ContainsRune("、和及与", r) })
	if len(items) < 2 {
		return nil
	}
	ask := "有" + m[3] + m[4]
	parts := make([]string, 0, len(items))
	for i, it := range items {
		if i > 0 && (isPlace(it) || utf8.RuneCountInString(it) < 2) {
			return nil // 渔门镇和城关镇分别…: a comparison of places
		}
		parts = append(parts, it+ask)
	}
	return parts
}

// enAnd finds where an English question starts asking again: ", and how
// many", " and what".
var enAnd = regexp.MustCompile(`(?i),?\s+and\s+(how many|how much|what|which)\b`)

func splitEnglish(text string) []string {
	lower := strings.ToLower(text)
	if !strings.Contains(lower, "how many") && !strings.Contains(lower, "how much") {
		return nil
	}
	var parts []string
	start := 0
	for _, loc := range enAnd.FindAllStringSubmatchIndex(text, -1) {
		parts = append(parts, strings.TrimSpace(text[start:loc[0]]))
		start = loc[2]
	}
	if len(parts) == 0 {
		return nil
	}
	return append(parts, strings.TrimSpace(text[start:]))
}

// multiAnswer answers each part of a split question and joins the answers
// so that every part's figure stands in the first paragraph, the one
// people read ("奔牛镇2022年度报告：排查矛盾纠纷186起；成功化解156起。"),
// followed once by each sentence quoted.
func (e *Engine) multiAnswer(ctx context.Context, whole string, parts []string) (Answer, bool, error) {
	out := Answer{Mode: "extractive", Citations: []Citation{}}
	var heads, bodies, refusals []string
	label := ""
	seenBody := map[string]bool{}
	seenCite := map[Citation]bool{}
	lang := detectLang(whole)
	used := usedFacts{}
	tr := traceFrom(ctx)
	for i, p := range parts {
		hist := []Turn{{Role: "user", Content: whole}}
		pctx := ctx
		if tr != nil {
			pt := &Trace{Question: p}
			tr.Parts = append(tr.Parts, pt)
			pctx = withTrace(ctx, pt)
		}
		a, err := e.extractiveExcept(pctx, Question{Text: p, History: hist}, used)
		if err != nil {
			return out, false, err
		}
		if !a.Found && i > 0 {
			// "…, and how many sessions were held?": a later part often
			// leaves its subject to the part before it.
			if tr != nil {
				pt := &Trace{Question: parts[i-1] + " " + p}
				tr.Parts = append(tr.Parts, pt)
				pctx = withTrace(ctx, pt)
			}
			a, err = e.extractiveExcept(pctx, Question{Text: parts[i-1] + " " + p, History: hist}, used)
			if err != nil {
				return out, false, err
			}
		}
		if !a.Found {
			refusals = append(refusals, a.Answer)
			heads = append(heads, say(lang, "“"+strings.TrimSpace(p)+"”报告中找不到答案", "“"+strings.TrimSpace(p)+"”: not found in the reports"))
			continue
		}
		out.Found = true
		for _, ci := range a.Citations {
			if !seenCite[ci] {
				seenCite[ci] = true
				out.Citations = append(out.Citations, ci)
			}
		}
		head, body, _ := strings.Cut(a.Answer, "\n\n")
		l, rest, ok := cutLabel(head)
		switch {
		case ok && label == "":
			label = l
			head = rest
		case ok && l == label:
			head = rest
		}
		heads = append(heads, strings.TrimRight(strings.TrimSpace(head), "。."))
		if body != "" && !seenBody[body] {
			seenBody[body] = true
			bodies = append(bodies, body)
		}
	}
	if !out.Found {
		out.Answer = strings.Join(uniq(refusals), "\n\n")
		return out, false, nil
	}
	sep, end := "；", "。"
	if lang == "en" {
		sep, end = "; ", "."
	}
	first := strings.Join(heads, sep) + end
	if label != "" {
		first = label + first
	}
	out.Answer = strings.Join(append([]string{first}, bodies...), "\n\n")
	return out, len(refusals) == 0, nil
}

// cutLabel splits "奔牛镇2022年度报告：排查186起" (or "Benniu (奔牛镇), 2022:
// 186") after the report label.
func cutLabel(head string) (label, rest string, ok bool) {
	for _, sep := range []string{"：", ": "} {
		if i := strings.Index(head, sep); i > 0 && i < 80 {
			return head[:i+len(sep)], head[i+len(sep):], true
		}
	}
	return "", head, false
}

// dateInText is a time a "when" question can be answered with: a date, a
// month of a year, or a part of the year ("每年第一季度", "年底前").
var dateInText = regexp.MustCompile(`\d{1,2}月\d{1,2}日|\d{4}年\d{1,2}月|第[一二三四1-4]季度|[上下]半年|年[初底]|\d{1,2}月(?:份|底|前|初)`)

func hasPersonHint(s string) bool {
	return personName.MatchString(s)
}

// personName is a name as reports write one: "于传安同志", "镇长于传安",
// "党委书记张明".
var personName = regexp.MustCompile(`[\p{Han}]{2,3}同志|(?:书记|镇长|乡长|主任|局长|所长|街道办主任)[\p{Han}]{2,3}(?:同志|任|为|担任|，|、)`)

func citation(r ReportInfo, section, quote string) Citation {
	return Citation{Source: r.Source, Title: r.Title, Town: r.Unit(), Year: r.Year, Section: section, Quote: quote}
}

// reportLabel names a report: "渔门镇2020年度报告" / "Yumen (渔门镇), 2020".
func reportLabel(r ReportInfo, lang string) string {
	if lang == "en" {
		name := englishName(r.Unit())
		if r.Year > 0 {
			return fmt.Sprintf("%s (%s), %d", name, r.Unit(), r.Year)
		}
		return fmt.Sprintf("%s (%s)", name, r.Unit())
	}
	if r.Year > 0 {
		return fmt.Sprintf("%s%d年度报告", r.Unit(), r.Year)
	}
	return r.Unit() + "报告"
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

// listTowns names the stored units with their years (only those in only,
// when set, and none in skip); a report without a unit goes by its title
// or file name.
func listTowns(c *catalog, lang string, only, skip []string) string {
	byTown := map[string][]int{}
	isUnit := map[string]bool{}
	var order []string
	for _, r := range c.reports {
		name := r.Unit()
		if (only != nil && !contains(only, name)) || contains(skip, name) {
			continue
		}
		isUnit[name] = name != ""
		if name == "" {
			// A report whose unit was not found goes by its title, or its
			// file name when it has none.
			name = r.Title
			if name == "" {
				name = r.Source
			}
		}
		if _, ok := byTown[name]; !ok {
			order = append(order, name)
			byTown[name] = nil
		}
		if r.Year > 0 && !slices.Contains(byTown[name], r.Year) {
			byTown[name] = append(byTown[name], r.Year)
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
		if lang == "en" && isUnit[t] {
			name = englishName(t) + " " + t
		}
		if len(ys) == 0 {
			parts = append(parts, name)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s（%s）", name, strings.Join(ys, "、")))
	}
	return strings.Join(parts, say(lang, "、", ", "))
}

func noYearAnswer(c *catalog, q Query) string {
	var years []string
	for _, r := range c.reports {
		if len(q.Towns) == 0 || contains(q.Towns, r.Unit()) {
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
	seen := map[string]bool{}
	for i, r := range scope {
		if i >= 10 {
			break
		}
		if l := reportLabel(r, q.Lang); !seen[l] {
			seen[l] = true
			names = append(names, l)
		}
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
