package rag

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"fazhi/ingest"
)

// sentence is one sentence of a stored report.
type sentence struct {
	text      string
	section   string
	report    ReportInfo
	grams     gramSet
	furniture bool // holds page furniture (isFurniture), read once
}

// newSentence is a sentence of report ri with what scoring reads of it.
func newSentence(text, section string, ri ReportInfo) sentence {
	return sentence{text: text, section: section, report: ri, grams: gramsOf(text), furniture: isFurniture(text)}
}

// reportDoc is a report's sentences, built from its chunks once.
type reportDoc struct {
	facts     []docFact // the report's stated figures, with their grams
	sentences []sentence
	headings  []string          // distinct section paths in order
	prev      map[string]string // sentence → the sentence before it in its section
	bytes     int64             // about what it holds in memory, for the cache's budget
	source    string            // the report's source when built: a renamed report is built again
}

// Estimates of what a reportDoc holds, in bytes: a gram (a short string
// in a map) with its share of the map, and the fixed part of a sentence,
// a figure and a map entry. Measured on 2,005 look-alike reports: the
// heap grew by 834 MB for 671 MB estimated with 48/128/320/64, hence
// these figures, a quarter higher.
const (
	gramBytes     = 60
	sentenceBytes = 160
	factBytes     = 400
	entryBytes    = 80
)

func gramSetBytes(g gramSet) int64 { return int64(len(g)) * gramBytes }

// size estimates the memory d holds.
func (d *reportDoc) size() int64 {
	n := int64(0)
	for _, s := range d.sentences {
		n += sentenceBytes + int64(len(s.text)) + gramSetBytes(s.grams)
	}
	for _, f := range d.facts {
		n += factBytes + int64(len(f.Quote)+len(f.Subject)+len(f.Section)+len(f.clause))
		n += gramSetBytes(f.local) + gramSetBytes(f.quote) + gramSetBytes(f.context) + gramSetBytes(f.inherited) + gramSetBytes(f.subject)
	}
	for k, v := range d.prev {
		n += entryBytes + int64(len(k)+len(v))
	}
	for _, h := range d.headings {
		n += int64(len(h)) + 16
	}
	return n
}

// cacheDoc keeps d as report id's doc, evicting other reports' docs
// while the cache is over its byte budget.
func (e *Engine) cacheDoc(id string, d *reportDoc) {
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	if old := e.docs[id]; old != nil {
		e.docBytes -= old.bytes
	}
	e.docs[id] = d
	e.docBytes += d.bytes
	for k, o := range e.docs { // map order: a random victim
		if e.docBytes <= e.cacheBytes {
			break
		}
		if k != id {
			delete(e.docs, k)
			e.docBytes -= o.bytes
		}
	}
	if e.docBytes > e.cacheBytes {
		// d alone is over the budget: it serves this question only.
		delete(e.docs, id)
		e.docBytes -= d.bytes
	}
}

// cachedDoc is report id's doc if the cache holds it, else nil.
func (e *Engine) cachedDoc(id string) *reportDoc {
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	return e.docs[id]
}

// typicalDocBytes is what a report of ordinary length takes prepared
// (measured on look-alike reports), assumed before any is cached.
const typicalDocBytes = 400 << 10

// cacheFits says whether n reports' docs would fit the cache, judging by
// those it holds.
func (e *Engine) cacheFits(n int) bool {
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	avg := int64(typicalDocBytes)
	if len(e.docs) > 0 {
		avg = e.docBytes / int64(len(e.docs))
	}
	return int64(n)*avg <= e.cacheBytes
}

// doc returns a report's sentences and figures, prepared for answering,
// from the cache or built and cached.
func (e *Engine) doc(ctx context.Context, ri ReportInfo) (*reportDoc, error) {
	if d := e.cachedDoc(ri.ID); d != nil {
		return d, nil
	}
	d, err := e.buildDoc(ctx, ri)
	if err != nil {
		return nil, err
	}
	d.bytes = d.size()
	e.cacheDoc(ri.ID, d)
	return d, nil
}

// buildDoc prepares a report: its sentences with their grams, and its
// figures.
func (e *Engine) buildDoc(ctx context.Context, ri ReportInfo) (*reportDoc, error) {
	hits, err := e.store.Chunks(ctx, Scope{Towns: []string{ri.Unit()}, Year: ri.Year})
	if err != nil {
		return nil, err
	}
	d := &reportDoc{prev: map[string]string{}, source: ri.Source}
	seen := map[string]bool{}
	var trail sentenceTrail
	lastSection := "\x00"
	for _, h := range hits {
		if h.ReportID != ri.ID {
			continue
		}
		if h.Section != lastSection {
			d.headings = append(d.headings, h.Section)
			lastSection = h.Section
		}
		for _, s := range ingest.Sentences(h.Text) {
			if seen[s] {
				continue
			}
			seen[s] = true
			if p := trail.add(s, h.Section); p != "" {
				d.prev[s] = p
			}
			d.sentences = append(d.sentences, newSentence(s, h.Section, ri))
		}
	}
	stated, err := e.store.Facts(ctx, FactFilter{Source: ri.Source})
	if err != nil {
		return nil, err
	}
	for _, f := range stated {
		d.facts = append(d.facts, newDocFact(f, d.prev[f.Quote], gramsOf))
	}
	return d, nil
}

// newDocFact prepares figure f, stated after the sentences context, for
// scoring: its clause and the gram sets grams makes of its texts.
func newDocFact(f ingest.Fact, context string, grams func(string) gramSet) docFact {
	t := textsOf(f, context)
	return t.docFact(f, grams)
}

// factTexts are what newDocFact reads from a stated figure whatever the
// question: its clause, the texts its gram sets are made of, the years its
// clause names and whether it is page furniture. A total over many
// reports keeps them with the figures it reads, so that only the gram
// sets, which depend on the question's terms, are made per question.
type factTexts struct {
	clause             string
	local              string   // its subject and clause
	inherited, context string   // with the clause before; with the sentences before ("" when none)
	prevClause         string   // the clause before, as inherited adds it
	prevLen            int      // how much of context stands before the figure's sentence
	cut                bool     // clause was cut from the sentence at clause marks
	years              []string // the years its clause names
	furniture          bool
	kind               figureKind
}

// figureKind is what a figure's clause and section say it is, whatever
// the question: the figure model's features ask it of every figure.
type figureKind struct {
	total  bool // "全镇", "累计", "共": a total
	change bool // "增加", "同比": a change from another year
	growth bool // a rate of change ("增长", "增幅")
	target bool // a target or rule, not a result
	isNew  bool // "新增", "新建": what is new this year
	plan   bool // stated in a plan section (next year's work)
}

// figureKindOf reads figure f, whose clause is clause.
func figureKindOf(f ingest.Fact, clause string) figureKind {
	return figureKind{
		total:  containsAny(clause, "全镇", "全乡", "全街道", "全年", "累计", "共", "总", "合计"),
		change: containsAny(clause, changeWords...),
		growth: containsAny(clause, "增长", "下降", "提高", "减少", "上升", "同比", "较上年", "增幅", "降幅"),
		target: isBound(f.Approx) || containsAny(clause, "力争", "争取", "确保", "保持在", "目标", "力求", "计划"),
		isNew:  containsAny(clause, "新增", "新培养", "新建", "新发展", "新聘"),
		plan:   planSection(f.Section),
	}
}

// textsOf reads figure f, stated after the sentences context.
func textsOf(f ingest.Fact, context string) factTexts {
	t := factTexts{clause: f.Subject}
	if at := valueAt(f); at >= 0 {
		t.clause, t.cut = clauseAround(f.Quote, at), true
	} else if at := strings.Index(f.Quote, f.Subject); at >= 0 {
		t.clause, t.cut = clauseAround(f.Quote, at+len(f.Subject)/2), true
	}
	t.local = f.Subject + " " + t.clause
	// "排查矛盾纠纷58起，调处成功56起": the second clause leaves out
	// what it counts; the clause before says it.
	if pc := prevClause(f.Quote, t.clause); pc != "" {
		t.inherited, t.prevClause = t.local+" "+pc, pc
	}
	t.years = yearsIn(t.clause)
	t.kind = figureKindOf(f, t.clause)
	if isFurniture(f.Quote) {
		s := stripFurniture(f.Quote)
		t.furniture = s == "" || isFurniture(s)
	}
	if context != "" {
		t.context, t.prevLen = context+f.Quote, len(context)
	}
	return t
}

// docFactTerms is docFact with the gram sets ft makes, found with fewer
// searches: texts joined by a space hold the terms of each part and no
// other (no token spans a space), and a text holds the Han bigrams of
// any text cut from it. The sets are made as masks of ft's tokens and
// taken from ft's interned sets (ft.set): thousands of figures hold a
// few dozen distinct sets. ft must have at most 64 tokens.
func (t *factTexts) docFactTerms(f ingest.Fact, ft factTerms) docFact {
	df := docFact{Fact: f, clause: t.clause, years: t.years, furniture: t.furniture, kind: t.kind}
	subject := ft.mask(f.Subject, 0, len(f.Subject))
	clause := ft.mask(t.clause, 0, len(t.clause))
	local := subject | clause
	df.subject, df.local = ft.set(subject), ft.set(local)
	if t.inherited != "" {
		df.inherited = ft.set(local | ft.mask(t.prevClause, 0, len(t.prevClause)))
	}
	quote := ft.mask(f.Quote, 0, len(f.Quote))
	if t.cut {
		quote = ft.mask(f.Quote, clause, len(f.Quote))
	}
	df.quote = ft.set(quote)
	if t.context != "" {
		// The sentence is the end of context: a bigram it lacks can
		// only stand before it or across the join.
		_, n := utf8.DecodeRuneInString(f.Quote)
		df.context = ft.set(ft.mask(t.context, quote, t.prevLen+n))
	}
	return df
}

// docFact is figure f, whose texts t are, with the gram sets grams makes.
func (t *factTexts) docFact(f ingest.Fact, grams func(string) gramSet) docFact {
	df := docFact{Fact: f, clause: t.clause, years: t.years, furniture: t.furniture, kind: t.kind}
	df.subject = grams(f.Subject)
	df.local = grams(t.local)
	if t.inherited != "" {
		df.inherited = grams(t.inherited)
	}
	df.quote = grams(f.Quote)
	if t.context != "" {
		df.context = grams(t.context)
	}
	return df
}

// sentenceTrail follows a report's distinct sentences in order and gives
// each the one or two sentences before it in its section: the context a
// figure is scored with. Ingest and answering read it alike.
type sentenceTrail struct {
	text, section [2]string // the last two sentences, the newest second
	n             int
}

// add records sentence s of section and returns the sentences before it
// in that section, joined, or "".
func (t *sentenceTrail) add(s, section string) string {
	prev := ""
	if t.n > 0 && t.section[1] == section {
		prev = t.text[1]
		if t.n > 1 && t.section[0] == section {
			prev = t.text[0] + t.text[1]
		}
	}
	t.text[0], t.section[0] = t.text[1], t.section[1]
	t.text[1], t.section[1] = s, section
	t.n++
	return prev
}

// docFact is a stated figure with the gram sets scoring reads.
type docFact struct {
	ingest.Fact
	local, quote, context gramSet // its clause, its sentence, with the sentences before
	inherited             gramSet // its clause with the clause before it
	subject               gramSet // what it counts, as extracted
	clause                string
	furniture             bool     // its sentence is page furniture through and through: never an answer
	years                 []string // the years its clause names ("2022年受理365件")
	kind                  figureKind
}

// prevClause returns the clause of sentence just before clause, or "".
func prevClause(sentence, clause string) string {
	at := strings.Index(sentence, clause)
	if at <= 0 || clause == "" {
		return ""
	}
	head := strings.TrimRight(sentence[:at], "，,；;、 ")
	if i := strings.LastIndexAny(head, "，,；;。：:"); i >= 0 {
		_, size := utf8.DecodeRuneInString(head[i:])
		head = head[i+size:]
	}
	return strings.TrimSpace(head)
}

// valueAt finds where a fact's figure stands in its quote ("397名"), or -1.
func valueAt(f ingest.Fact) int {
	v := strconv.FormatFloat(f.Value, 'f', -1, 64)
	for _, probe := range []string{v + f.Approx + f.Unit, v + f.Unit} {
		if i := strings.Index(f.Quote, probe); i >= 0 && probe != "" {
			return i
		}
	}
	return -1
}
