package rag

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"fazhi/ingest"

	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/memory"
	"github.com/tmc/langchaingo/schema"
)

// Answer modes.
const (
	modeLLM        = "llm"
	modeExtractive = "extractive"
)

// Input and output keys of LLMChain as a langchaingo chain.
const (
	chainKeyQuestion = "question"
	chainKeyHistory  = "history"
	chainKeyAnswer   = "answer"
	chainKeyText     = "text"
)

// LLMChain answers from retrieved report chunks through a language model,
// and checks the generated answer before anyone sees it. It implements
// langchaingo's chains.Chain.
//
// The answer is kept only when it passes the guard: every block it cites
// exists and belongs to the town and year the question asks about, and
// every number it states appears in the blocks it cites (CheckNumbers).
// Otherwise the generated text is discarded and Fallback answers instead,
// with Mode "extractive" and a Note saying why.
//
// The zero value is not usable: Model and Retriever are required. An
// LLMChain is safe for concurrent use if its Model, Retriever, Fallback
// and Scope are.
type LLMChain struct {
	// Model generates the answers (and condenses follow-up questions).
	Model llms.Model
	// Retriever returns the report chunks for a question, as
	// schema.Documents with Metadata keys "source", "title", "town",
	// "year" (int), "section" and "chunk" (int).
	Retriever schema.Retriever
	// Fallback answers when the guard discards the generated answer or
	// nothing was retrieved; normally the extractive answerer. Nil means
	// such questions get a "not found" answer with the reason in Note.
	Fallback func(ctx context.Context, q Question) (Answer, error)
	// Scope, if set, names the town and year a question is about ("" and
	// 0 for any). Blocks of another town or year must not be cited. When
	// nil, the scope is read from the question against the retrieved
	// blocks' metadata: a block town named in the question, and years
	// written as "2020年" (or, in English, any year 1980–2100).
	Scope func(question string) (town string, year int)
	// Limit bounds concurrent model calls: a buffered channel whose
	// capacity is the limit, shared by every chain that should share it.
	// Nil (or unbuffered) means unbounded.
	Limit chan struct{}
	// MaxTokens caps the generated answer's length; 0 leaves it to the
	// provider.
	MaxTokens int
	// Timeout bounds each model call, waiting for a slot of Limit
	// included, separately from the caller's context: when it passes,
	// the Engine answers from the reports with a note. 0 means no bound
	// but the caller's.
	Timeout time.Duration
}

var _ chains.Chain = (*LLMChain)(nil)

// Call runs the chain for langchaingo (use chains.Call to get memory and
// callbacks). Inputs: "question" (string) and optionally "history"
// ([]Turn). Outputs: "answer" (Answer) and "text" (the answer's text).
// chains.WithStreamingFunc receives the text, after the guard passed; other
// chain options are passed on to the model.
func (c *LLMChain) Call(ctx context.Context, inputs map[string]any, options ...chains.ChainCallOption) (map[string]any, error) {
	text, ok := inputs[chainKeyQuestion].(string)
	if !ok {
		return nil, fmt.Errorf("rag: LLMChain input %q must be a string, got %T", chainKeyQuestion, inputs[chainKeyQuestion])
	}
	var history []Turn
	if h, present := inputs[chainKeyHistory]; present && h != nil {
		if history, ok = h.([]Turn); !ok {
			return nil, fmt.Errorf("rag: LLMChain input %q must be []rag.Turn, got %T", chainKeyHistory, h)
		}
	}
	llmOpts := chains.GetLLMCallOptions(options...)
	var co llms.CallOptions
	for _, o := range llmOpts {
		o(&co)
	}
	var onChunk func(string) error
	if sf := co.StreamingFunc; sf != nil {
		onChunk = func(s string) error { return sf(ctx, []byte(s)) }
	}
	ans, err := c.answer(ctx, Question{Text: text, History: history}, onChunk, llmOpts)
	if err != nil {
		return nil, err
	}
	return map[string]any{chainKeyAnswer: ans, chainKeyText: ans.Answer}, nil
}

// GetMemory returns the chain's memory, which keeps nothing: callers pass
// the conversation in the "history" input.
func (c *LLMChain) GetMemory() schema.Memory { return memory.NewSimple() }

// GetInputKeys returns the required input keys: "question".
func (c *LLMChain) GetInputKeys() []string { return []string{chainKeyQuestion} }

// GetOutputKeys returns the output keys: "answer" and "text".
func (c *LLMChain) GetOutputKeys() []string { return []string{chainKeyAnswer, chainKeyText} }

// Answer answers q. A follow-up (q.History not empty) is first condensed
// into a standalone question. onChunk, if not nil, receives the final
// answer's text in pieces; because the guard can only judge a whole
// answer, the model's output is buffered and nothing is sent to onChunk
// until the guard has passed (or the fallback has answered), so a caller
// never shows text that is later withdrawn. Model and retrieval errors are
// returned (wrapped), not papered over by the fallback.
func (c *LLMChain) Answer(ctx context.Context, q Question, onChunk func(string) error) (Answer, error) {
	return c.answer(ctx, q, onChunk, nil)
}

func (c *LLMChain) answer(ctx context.Context, q Question, onChunk func(string) error, extra []llms.CallOption) (Answer, error) {
	if c.Model == nil || c.Retriever == nil {
		return Answer{}, errors.New("rag: LLMChain needs a Model and a Retriever")
	}
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return Answer{}, fmt.Errorf("rag: LLMChain: %w", ErrEmptyQuestion)
	}
	lang := langOf(text)
	model := c.model()
	standalone, err := Condense(ctx, model, q.History, text)
	if err != nil {
		return Answer{}, err
	}
	fq := Question{Text: standalone, History: q.History}
	docs, err := c.Retriever.GetRelevantDocuments(ctx, standalone)
	if err != nil {
		return Answer{}, fmt.Errorf("rag: retrieve report chunks: %w", err)
	}

	var ans Answer
	if len(docs) == 0 {
		ans, err = c.fallback(ctx, fq, lang, "no report passages were retrieved")
	} else {
		var opts []llms.CallOption
		if c.MaxTokens > 0 {
			opts = append(opts, llms.WithMaxTokens(c.MaxTokens))
		}
		opts = append(opts, extra...)
		// The provider streams when asked to (long answers then don't sit
		// on an idle connection), but the text is held back: the reply's
		// full content comes back from GenerateContent and is judged first.
		var stream func(context.Context, []byte) error
		if onChunk != nil {
			stream = func(context.Context, []byte) error { return nil }
		}
		opts = append(opts, llms.WithStreamingFunc(stream))
		var reply string
		reply, err = llms.GenerateFromSinglePrompt(ctx, model, BuildPrompt(standalone, docs, lang), opts...)
		if err != nil {
			return Answer{}, fmt.Errorf("rag: generate answer: %w", err)
		}
		var reason string
		if ans, reason = c.judge(standalone, reply, docs); reason != "" {
			ans, err = c.fallback(ctx, fq, lang, "generated answer discarded: "+reason)
		}
	}
	if err != nil {
		return Answer{}, err
	}
	if onChunk != nil {
		for _, p := range streamPieces(ans.Answer) {
			if err := onChunk(p); err != nil {
				return Answer{}, fmt.Errorf("rag: stream answer: %w", err)
			}
		}
	}
	return ans, nil
}

// fallback answers q without the model, noting why.
func (c *LLMChain) fallback(ctx context.Context, q Question, lang, note string) (Answer, error) {
	if c.Fallback == nil {
		msg := notStatedZH + "相关内容。"
		if lang == "en" {
			msg = notStatedEN + " this."
		}
		return Answer{Answer: msg, Mode: modeLLM, Note: note}, nil
	}
	ans, err := c.Fallback(ctx, q)
	if err != nil {
		return Answer{}, fmt.Errorf("rag: fallback answer: %w", err)
	}
	ans.Mode = modeExtractive
	if ans.Note != "" {
		note += "; " + ans.Note
	}
	ans.Note = note
	return ans, nil
}

// judge applies the guard to a model reply. It returns the answer to keep,
// or a reason (in plain words, for Answer.Note) to discard it.
func (c *LLMChain) judge(question, reply string, docs []schema.Document) (Answer, string) {
	reply = cleanReply(reply)
	if reply == "" {
		return Answer{}, "the model returned an empty reply"
	}
	cited := citedBlocks(reply)
	for _, n := range cited {
		if n < 1 || n > len(docs) {
			return Answer{}, fmt.Sprintf("it cites [%d], but only %d report blocks were given", n, len(docs))
		}
	}
	scope := c.scopeOf(question, docs)
	for _, n := range cited {
		if why := scope.mismatch(docs[n-1]); why != "" {
			return Answer{}, fmt.Sprintf("cited block [%d] is %s", n, why)
		}
	}

	var support []schema.Document
	for _, n := range cited {
		support = append(support, docs[n-1])
	}
	where := "the cited reports"
	if len(cited) == 0 {
		where = "the retrieved reports of the town and year asked about"
		for _, d := range docs {
			if scope.mismatch(d) == "" {
				support = append(support, d)
			}
		}
	}
	allowed := map[string]bool{}
	for _, n := range findNumbers(question, false) {
		for _, k := range n.keys {
			allowed[k] = true
		}
	}
	if bad := unsupportedNumbers(reply, support, allowed); len(bad) > 0 {
		return Answer{}, strings.Join(bad, ", ") + " not found in " + where
	}

	// Figures of the answer's own, beyond those the question gave.
	figures := map[string]bool{}
	ownFigures := false
	for _, n := range answerNumbers(reply) {
		for _, k := range n.keys {
			figures[k] = true
		}
		if !slices.ContainsFunc(n.keys, func(k string) bool { return allowed[k] }) {
			ownFigures = true
		}
	}
	// "The reports do not state …" is a not-found answer unless the reply
	// also cites a block for a figure of its own (a partial answer).
	if saysNotStated(reply) && (len(cited) == 0 || !ownFigures) {
		return Answer{Answer: stripCitations(reply), Found: false, Mode: modeLLM}, ""
	}
	blocks := cited
	if len(blocks) == 0 {
		blocks = groundingBlocks(reply, figures, docs, support)
		if len(blocks) == 0 {
			return Answer{}, "it cites no report block and none supports it"
		}
	}
	ans := Answer{Answer: renumberCitations(reply, blocks), Found: true, Mode: modeLLM}
	for _, n := range blocks {
		d := docs[n-1]
		ans.Citations = append(ans.Citations, Citation{
			Source:  metaString(d, metaSource),
			Title:   metaString(d, metaTitle),
			Town:    metaString(d, metaTown),
			Year:    metaInt(d, metaYear),
			Section: metaString(d, metaSection),
			Quote:   quoteFor(d, figures, reply),
		})
	}
	return ans, ""
}

// groundingBlocks picks, for an answer that cites nothing, the blocks
// (1-based into docs, drawn from support) it rests on: those stating its
// figures, or else the one sharing the most wording with it.
func groundingBlocks(reply string, figures map[string]bool, docs, support []schema.Document) []int {
	index := func(d schema.Document) int {
		for i := range docs {
			if docs[i].PageContent == d.PageContent && metaString(docs[i], metaSource) == metaString(d, metaSource) {
				return i + 1
			}
		}
		return 0
	}
	var out []int
	if len(figures) > 0 {
		for _, d := range support {
			if countFigures(d.PageContent, figures) > 0 {
				if i := index(d); i > 0 && !slices.Contains(out, i) {
					out = append(out, i)
				}
			}
		}
		return out
	}
	best, bestScore := 0, 0
	for _, d := range support {
		if s := sharedBigrams(reply, d.PageContent); s > bestScore {
			best, bestScore = index(d), s
		}
	}
	if best > 0 && bestScore >= 3 {
		out = append(out, best)
	}
	return out
}

// quoteFor returns the sentences of d that state the answer's figures (a
// few, chosen greedily to cover as many figures as possible, in the
// block's order), else the sentence sharing the most wording with the
// answer, else d's first sentence.
func quoteFor(d schema.Document, figures map[string]bool, reply string) string {
	sents := ingest.Sentences(d.PageContent)
	if len(sents) == 0 {
		return truncateRunes(strings.TrimSpace(d.PageContent), 200)
	}
	if len(figures) > 0 {
		uncovered := maps.Clone(figures)
		var picked []int
		for len(picked) < 3 {
			best, bestScore := -1, 0
			for i, s := range sents {
				if n := countFigures(s, uncovered); n > bestScore {
					best, bestScore = i, n
				}
			}
			if best < 0 {
				break
			}
			picked = append(picked, best)
			for _, n := range findNumbers(sents[best], false) {
				for _, k := range n.keys {
					delete(uncovered, k)
				}
			}
		}
		if len(picked) > 0 {
			slices.Sort(picked)
			var b strings.Builder
			for _, i := range picked {
				b.WriteString(sents[i])
			}
			return b.String()
		}
	}
	best, bestScore := sents[0], 0
	for _, s := range sents {
		if n := sharedBigrams(reply, s); n > bestScore {
			best, bestScore = s, n
		}
	}
	return best
}

// countFigures counts the distinct figures (number keys) that text states.
func countFigures(text string, figures map[string]bool) int {
	seen := map[string]bool{}
	for _, n := range findNumbers(text, false) {
		for _, k := range n.keys {
			if figures[k] {
				seen[k] = true
			}
		}
	}
	return len(seen)
}

// sharedBigrams counts the distinct character bigrams (letters and Han
// characters only) that a and b share.
func sharedBigrams(a, b string) int {
	grams := func(s string) map[string]bool {
		rs := []rune(strings.ToLower(s))
		m := map[string]bool{}
		for i := 0; i+1 < len(rs); i++ {
			if isWordRune(rs[i]) && isWordRune(rs[i+1]) {
				m[string(rs[i:i+2])] = true
			}
		}
		return m
	}
	ga, gb := grams(a), grams(b)
	n := 0
	for g := range ga {
		if gb[g] {
			n++
		}
	}
	return n
}

func isWordRune(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 'a' && r <= 'z'
}

// renumberCitations rewrites the [n] markers of reply so that they count
// the citations in order: blocks[i] becomes [i+1].
func renumberCitations(reply string, blocks []int) string {
	pos := map[int]int{}
	for i, n := range blocks {
		pos[n] = i + 1
	}
	return citationRe.ReplaceAllStringFunc(reply, func(m string) string {
		return citationNumberRe.ReplaceAllStringFunc(digitFolder.Replace(m), func(f string) string {
			n, err := strconv.Atoi(f)
			if p, ok := pos[n]; ok && err == nil {
				return strconv.Itoa(p)
			}
			return f
		})
	})
}

var thinkRe = regexp.MustCompile(`(?s)<think>.*?(?:</think>|$)`)

// cleanReply drops the reasoning some models (DeepSeek-R1, Qwen3) emit in
// <think> tags (some servers strip the opening tag) and surrounding space.
func cleanReply(reply string) string {
	reply = thinkRe.ReplaceAllString(reply, "")
	if _, after, ok := strings.Cut(reply, "</think>"); ok {
		reply = after
	}
	return strings.TrimSpace(reply)
}

// stripCitations removes [n] markers, for an answer that cites nothing.
func stripCitations(reply string) string {
	return strings.TrimSpace(citationRe.ReplaceAllString(reply, ""))
}

// notStatedPhrases are the ways a model says the blocks do not state the
// answer: the prompt's exact phrases and close variants.
var notStatedPhrases = []string{
	notStatedZH, "报告未提及", "报告中没有提及", "报告中未说明", "报告未说明", "报告中没有说明", "未在报告中提及",
	strings.ToLower(notStatedEN), "the reports don't state", "the report does not state",
	"the reports do not mention", "not stated in the reports", "the reports do not specify",
}

func saysNotStated(reply string) bool {
	low := strings.ToLower(strings.ReplaceAll(reply, "’", "'"))
	for _, p := range notStatedPhrases {
		if strings.Contains(low, p) {
			return true
		}
	}
	return false
}

// streamPieces splits text into pieces for a streaming caller: each ends
// at a sentence end or a line break, or after 16 runes. Joined, they give
// text back unchanged.
func streamPieces(text string) []string {
	var out []string
	start, runes := 0, 0
	for i, r := range text {
		runes++
		if runes >= 16 || strings.ContainsRune("。！？；!?;\n", r) {
			end := i + utf8.RuneLen(r)
			out = append(out, text[start:end])
			start, runes = end, 0
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// model returns c.Model behind the concurrency limit, if any.
func (c *LLMChain) model() llms.Model {
	m := c.Model
	if c.Limit != nil && cap(c.Limit) > 0 {
		m = limitedModel{Model: m, sem: c.Limit}
	}
	if c.Timeout > 0 {
		m = timeoutModel{Model: m, timeout: c.Timeout}
	}
	return m
}

// timeoutModel gives each model call (with its wait for a slot) a
// deadline of its own, timeout from its start.
type timeoutModel struct {
	llms.Model
	timeout time.Duration
}

func (m timeoutModel) GenerateContent(ctx context.Context, msgs []llms.MessageContent, opts ...llms.CallOption) (*llms.ContentResponse, error) {
	cctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	resp, err := m.Model.GenerateContent(cctx, msgs, opts...)
	return resp, ownDeadline(ctx, cctx, err, "language model", m.timeout)
}

func (m timeoutModel) Call(ctx context.Context, prompt string, opts ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, opts...)
}

// limitedModel holds a slot of sem for the duration of each model call.
type limitedModel struct {
	llms.Model
	sem chan struct{}
}

func (m limitedModel) GenerateContent(ctx context.Context, msgs []llms.MessageContent, opts ...llms.CallOption) (*llms.ContentResponse, error) {
	select {
	case m.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a free model slot: %w", ctx.Err())
	}
	defer func() { <-m.sem }()
	return m.Model.GenerateContent(ctx, msgs, opts...)
}

func (m limitedModel) Call(ctx context.Context, prompt string, opts ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, opts...)
}

// answerScope is the towns and years a question is about; empty means any.
type answerScope struct {
	towns []string
	years []int
}

func (c *LLMChain) scopeOf(question string, docs []schema.Document) answerScope {
	var s answerScope
	if c.Scope != nil {
		town, year := c.Scope(question)
		if town != "" {
			s.towns = []string{town}
		}
		if year != 0 {
			s.years = []int{year}
		}
		return s
	}
	for _, d := range docs {
		if t := metaString(d, metaTown); t != "" && townMentioned(question, t) && !slices.Contains(s.towns, t) {
			s.towns = append(s.towns, t)
		}
	}
	s.years = questionYears(question)
	return s
}

// mismatch says how block d falls outside the scope, or "" if it doesn't.
// Blocks whose town or year is unknown are not held against the scope.
func (s answerScope) mismatch(d schema.Document) string {
	town, year := metaString(d, metaTown), metaInt(d, metaYear)
	townOK := len(s.towns) == 0 || town == "" || slices.ContainsFunc(s.towns, func(t string) bool { return sameTown(t, town) })
	yearOK := len(s.years) == 0 || year == 0 || slices.Contains(s.years, year)
	if townOK && yearOK {
		return ""
	}
	var got, want []string
	if !townOK {
		got = append(got, town)
		want = append(want, strings.Join(s.towns, "/"))
	}
	if !yearOK {
		got = append(got, strconv.Itoa(year))
		ys := make([]string, len(s.years))
		for i, y := range s.years {
			ys[i] = strconv.Itoa(y)
		}
		want = append(want, strings.Join(ys, "/"))
	}
	return strings.Join(got, " ") + ", but the question asks about " + strings.Join(want, " ")
}

// townSuffixes are the administrative suffixes a question may leave off
// (渔门 for 渔门镇).
var townSuffixes = []string{"街道办事处", "街道", "镇", "乡", "村", "社区"}

func townStem(t string) string {
	for _, suf := range townSuffixes {
		if s, ok := strings.CutSuffix(t, suf); ok && utf8.RuneCountInString(s) >= 2 {
			return s
		}
	}
	return t
}

func sameTown(a, b string) bool {
	return a == b || townStem(a) == townStem(b)
}

func townMentioned(question, town string) bool {
	if strings.Contains(question, town) {
		return true
	}
	stem := townStem(town)
	return stem != town && strings.Contains(question, stem)
}

var (
	zhYearRe = regexp.MustCompile(`((?:19|20)[0-9]{2})\s*年`)
	enYearRe = regexp.MustCompile(`\b((?:19[89]|20[0-9])[0-9])\b`)
)

// questionYears returns the years a question names: "2020年" in Chinese;
// in an English question any number from 1980 to 2099.
func questionYears(q string) []int {
	q = digitFolder.Replace(q)
	re := zhYearRe
	if langOf(q) == "en" {
		re = enYearRe
	}
	var out []int
	for _, m := range re.FindAllStringSubmatch(q, -1) {
		if y, err := strconv.Atoi(m[1]); err == nil && !slices.Contains(out, y) {
			out = append(out, y)
		}
	}
	return out
}

// Condense rewrites a follow-up question into a standalone one, using the
// conversation so far (one model call). It returns q unchanged when
// history is empty, or when the model's rewrite comes back empty.
func Condense(ctx context.Context, m llms.Model, history []Turn, q string) (string, error) {
	if len(history) == 0 {
		return q, nil
	}
	reply, err := llms.GenerateFromSinglePrompt(ctx, m, condensePrompt(history, q))
	if err != nil {
		return "", fmt.Errorf("rag: condense follow-up question: %w", err)
	}
	if s := cleanCondensed(reply); s != "" {
		return s, nil
	}
	return q, nil
}

const (
	condenseMaxTurns = 6
	condenseMaxRunes = 400
)

func condensePrompt(history []Turn, q string) string {
	zh := langOf(q) == "zh"
	var b strings.Builder
	if zh {
		b.WriteString("下面是一段对话和一个后续问题。请把后续问题改写成一个不依赖对话也能看懂的独立问题：补全其中省略或指代的乡镇（街道）、年份和事项。保持原问题的语言，只输出改写后的问题，不要回答它。\n\n对话：\n")
	} else {
		b.WriteString("Below are a conversation and a follow-up question. Rewrite the follow-up as a standalone question that can be understood without the conversation: fill in the town, year and subject it leaves out or refers back to. Keep the question's language. Output only the rewritten question; do not answer it.\n\nConversation:\n")
	}
	if len(history) > condenseMaxTurns {
		history = history[len(history)-condenseMaxTurns:]
	}
	for _, t := range history {
		role := "User"
		if zh {
			role = "用户"
		}
		if t.Role == "assistant" {
			role = "Assistant"
			if zh {
				role = "助手"
			}
		}
		fmt.Fprintf(&b, "%s: %s\n", role, truncateRunes(strings.Join(strings.Fields(t.Content), " "), condenseMaxRunes))
	}
	if zh {
		fmt.Fprintf(&b, "\n后续问题：%s\n独立问题：", q)
	} else {
		fmt.Fprintf(&b, "\nFollow-up question: %s\nStandalone question:", q)
	}
	return b.String()
}

// cleanCondensed takes the first non-empty line of a condense reply,
// without a label or surrounding quotes.
func cleanCondensed(reply string) string {
	for _, line := range strings.Split(cleanReply(reply), "\n") {
		line = strings.TrimSpace(line)
		for _, label := range []string{"独立问题：", "独立问题:", "Standalone question:", "standalone question:"} {
			line = strings.TrimSpace(strings.TrimPrefix(line, label))
		}
		line = strings.Trim(line, "\"'“”「」")
		if line != "" {
			return line
		}
	}
	return ""
}
