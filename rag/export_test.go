package rag

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// FigureFeatures and SentenceFeatures name the models' features.
var (
	FigureFeatures   = figureFeatures
	SentenceFeatures = sentenceFeatures
)

// Row is one candidate the answerer weighs for a question, with its
// features and whether it is a right answer (for a question the reports
// do not answer, no candidate is).
type Row struct {
	Model string // "figure" or "sentence"
	Group string // the question (part) it belongs to
	Fold  string // leave-one-report-out fold: the report the question is about
	X     []float64
	Y     bool
}

// TrainingRows runs a question through the answerer's stages up to the
// choice and returns the candidates the figure or sentence model would
// weigh, labelled against the case: a figure is right when its report is
// doc and it states one of must as written; a sentence when its report is
// doc and it (with the next sentence, for a short one) holds every must.
func (e *Engine) TrainingRows(ctx context.Context, id, question, doc string, must []string) ([]Row, error) {
	c, err := e.catalog(ctx)
	if err != nil {
		return nil, err
	}
	fold := doc
	if fold == "" {
		fold = "none:" + id
	}
	isPlace := func(s string) bool {
		q := analyse(s, c.towns, e.gloss)
		return len(q.Towns) > 0 || q.UnknownTown != ""
	}
	question = e.understand(c, question, nil)
	parts, _ := splitQuestion(question, isPlace)
	if len(parts) == 0 {
		parts = []string{question}
	}
	var rows []Row
	for pi, p := range parts {
		text := p
		if len(parts) > 1 {
			// As multiAnswer asks each part: in the turn of the whole.
			text = e.understand(c, p, []Turn{{Role: "user", Content: question}})
		}
		q := analyse(text, c.towns, e.gloss)
		q, scope, allow, refusal := e.scopeStage(ctx, c, q)
		if refusal != "" {
			continue
		}
		if _, route, _ := e.ruleStage(ctx, q, scope, allow); route != "" {
			continue // a rule or an aggregate answers, not the models
		}
		sents, m, err := e.gatherStage(ctx, c, q, scope, allow)
		if err != nil {
			return nil, err
		}
		if m.empty() {
			continue
		}
		group := fmt.Sprintf("%s/%d", id, pi)
		_, route := choiceRoute(q, m, sents)
		if route == routeFigure {
			factScope := scope
			if !readWhole(q, scope) {
				factScope = reportsOf(sents)
			}
			cands, err := e.scoreFacts(ctx, q, m, factScope)
			if err != nil {
				return nil, err
			}
			for _, fc := range cands {
				if allow != nil && !allow(fc.fact.Quote, fc.fact.Section) {
					continue
				}
				right := false
				if fc.rep.Source == doc {
					v := formatValue(fc.fact)
					for _, mu := range must {
						if strings.Contains(v, mu) && strings.Contains(fc.fact.Quote, mu) {
							right = true
						}
					}
				}
				rows = append(rows, Row{Model: "figure", Group: group, Fold: fold, X: fc.x, Y: right})
			}
			continue
		}
		if route != routeSentence {
			continue
		}
		wants := wantsOf(q)
		for i, s := range sents {
			var prev *sentence
			if i > 0 && sents[i-1].report.ID == s.report.ID && sents[i-1].section == s.section {
				prev = &sents[i-1]
			}
			text := s.text
			if utf8.RuneCountInString(text) < 40 && i+1 < len(sents) && sents[i+1].report.ID == s.report.ID && sents[i+1].section == s.section {
				text += sents[i+1].text
			}
			right := s.report.Source == doc && len(must) > 0
			for _, mu := range must {
				if !strings.Contains(text, mu) {
					right = false
				}
			}
			rows = append(rows, Row{Model: "sentence", Group: group, Fold: fold, X: sentenceFeatureValues(m, wants, s, prev), Y: right})
		}
	}
	return rows, nil
}

// Fitted is a fitted model, as weights.json holds it.
type Fitted = model

// Fit fits a conditional logit to rows: for each question, the
// probability of choosing a candidate is proportional to exp(w·x), and
// the weights maximise the probability of choosing a right one (Newton's
// method with a ridge penalty). The choice among a question's candidates
// is what matters; whether to answer at all is then a threshold on w·x of
// the best candidate, the one that answers the most questions right: a
// question is right when its best candidate is right and over the
// threshold, or, when none of its candidates is right, when its best is
// under it. The threshold is stored as the bias (-t), so that a candidate
// answers when its probability is at least 0.5. Deterministic: the same
// rows give the same model.
func Fit(names []string, rows []Row) Fitted { return FitFrom(names, rows, nil) }

// FitFrom fits like Fit, starting from the weights w0 (nil: zero): a
// leave-one-out fold starts from the fit on every row and needs few steps.
func FitFrom(names []string, rows []Row, w0 []float64) Fitted {
	d := len(names)
	groups := map[string][]Row{}
	var order []string
	for _, r := range rows {
		if _, ok := groups[r.Group]; !ok {
			order = append(order, r.Group)
		}
		groups[r.Group] = append(groups[r.Group], r)
	}
	// Fitted on standardised features, so that the ridge penalty weighs
	// every feature alike however rare (a binary feature true for a few
	// candidates has a small spread in raw units).
	mean, scale := make([]float64, d), make([]float64, d)
	for _, r := range rows {
		for j, x := range r.X {
			mean[j] += x
		}
	}
	for j := range mean {
		mean[j] /= float64(max(1, len(rows)))
	}
	for _, r := range rows {
		for j, x := range r.X {
			scale[j] += (x - mean[j]) * (x - mean[j])
		}
	}
	for j := range scale {
		// A floor on the spread: a feature true for a handful of
		// candidates would otherwise take an unbounded weight in raw units.
		scale[j] = max(math.Sqrt(scale[j]/float64(max(1, len(rows)))), 0.1)
	}
	std := make([]Row, len(rows))
	for i, r := range rows {
		x := make([]float64, d)
		for j := range x {
			x[j] = (r.X[j] - mean[j]) / scale[j]
		}
		std[i] = Row{Model: r.Model, Group: r.Group, Fold: r.Fold, X: x, Y: r.Y}
	}
	groups = map[string][]Row{}
	for _, r := range std {
		groups[r.Group] = append(groups[r.Group], r)
	}
	w := make([]float64, d)
	for j := range w0 {
		w[j] = w0[j] * scale[j]
	}
	const ridge = 5
	for iter := 0; iter < 60; iter++ {
		grad := make([]float64, d)
		hess := make([][]float64, d)
		for i := range hess {
			hess[i] = make([]float64, d)
		}
		for _, g := range order {
			rs := groups[g]
			anyYes := false
			for _, r := range rs {
				anyYes = anyYes || r.Y
			}
			if !anyYes {
				continue
			}
			zmax, zmaxYes := math.Inf(-1), math.Inf(-1)
			zs := make([]float64, len(rs))
			for i, r := range rs {
				for j := 0; j < d; j++ {
					zs[i] += w[j] * r.X[j]
				}
				zmax = max(zmax, zs[i])
				if r.Y {
					zmaxYes = max(zmaxYes, zs[i])
				}
			}
			var sum, sumYes float64
			mean, meanYes := make([]float64, d), make([]float64, d)
			for i, r := range rs {
				p := math.Exp(zs[i] - zmax)
				sum += p
				for j := 0; j < d; j++ {
					mean[j] += p * r.X[j]
				}
				if r.Y {
					py := math.Exp(zs[i] - zmaxYes) // among the right ones
					sumYes += py
					for j := 0; j < d; j++ {
						meanYes[j] += py * r.X[j]
					}
				}
			}
			for j := 0; j < d; j++ {
				mean[j] /= sum
				meanYes[j] /= sumYes
				grad[j] += meanYes[j] - mean[j]
			}
			for i, r := range rs {
				p := math.Exp(zs[i]-zmax) / sum
				for j := 0; j < d; j++ {
					dj := r.X[j] - mean[j]
					for k := 0; k <= j; k++ {
						hess[j][k] += p * dj * (r.X[k] - mean[k])
					}
				}
			}
		}
		for j := 0; j < d; j++ {
			for k := 0; k < j; k++ {
				hess[k][j] = hess[j][k]
			}
			grad[j] -= ridge * w[j]
			hess[j][j] += ridge + 1e-9
		}
		step := solve(hess, grad)
		change := 0.0
		for j := range w {
			w[j] += step[j]
			change = max(change, math.Abs(step[j]))
		}
		if change < 1e-7 {
			break
		}
	}
	for j := range w {
		w[j] /= scale[j]
	}
	m := Fitted{Features: names, Weights: round(w), Threshold: 0.5}
	m.Bias = -bestThreshold(&m, rows)
	m.Bias = round([]float64{m.Bias})[0]
	return m
}

// round keeps weights.json readable and the fit reproducible across
// machines to the printed precision.
func round(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Round(x*1e6) / 1e6
	}
	return out
}

// solve solves a·x = b by Gaussian elimination with partial pivoting.
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	m := make([][]float64, n)
	for i := range a {
		m[i] = append(append([]float64(nil), a[i]...), b[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		if m[c][c] == 0 {
			continue
		}
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		if m[r][r] != 0 {
			x[r] = s / m[r][r]
		}
	}
	return x
}

// best is a question's best candidate under a model, and whether the
// question has any right candidate.
type best struct {
	p             float64
	right, anyYes bool
}

// bests holds each question's best candidate; p is its log-odds.
func bests(m *Fitted, rows []Row) map[string]best {
	out := map[string]best{}
	for _, r := range rows {
		p := m.logit(r.X)
		b, ok := out[r.Group]
		if !ok || p > b.p {
			b.p, b.right = p, r.Y
		}
		b.anyYes = b.anyYes || r.Y
		out[r.Group] = b
	}
	return out
}

// bestThreshold returns the threshold on w·x (m's bias must be 0).
func bestThreshold(m *Fitted, rows []Row) float64 {
	bs := bests(m, rows)
	cands := []float64{0}
	for _, b := range bs {
		cands = append(cands, b.p)
	}
	sort.Float64s(cands)
	bestT, bestN := 0.0, -1
	for i, t := range cands {
		if i > 0 {
			t = (cands[i-1] + t) / 2 // between two questions' scores
		}
		if n := Correct(m, t, bs); n > bestN {
			bestT, bestN = t, n
		}
	}
	return math.Round(bestT*1e6) / 1e6
}

// Correct counts the questions a model with threshold t gets right.
func Correct(m *Fitted, t float64, bs map[string]best) int {
	n := 0
	for _, b := range bs {
		if b.anyYes && b.right && b.p >= t || !b.anyYes && b.p < t {
			n++
		}
	}
	return n
}

// Score is how a model does on rows: questions right (a candidate answers
// when its log-odds, bias included, is at least 0) of those that have
// candidates.
func Score(m *Fitted, rows []Row) (right, total int) {
	bs := bests(m, rows)
	return Correct(m, 0, bs), len(bs)
}

// EncodeModels writes weights.json.
func EncodeModels(figure, sentence Fitted) ([]byte, error) {
	b, err := json.MarshalIndent(models{Figure: figure, Sentence: sentence}, "", " ")
	if err != nil {
		return nil, err
	}
	if _, err := parseModels(b); err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// EmbeddedModels returns the models in weights.json.
func EmbeddedModels() (figure, sentence Fitted) {
	ms := fitted()
	return ms.Figure, ms.Sentence
}

// FiguresBothWays answers an aggregate question's choice of figures
// twice: from the fact table and by reading every report's sentences
// (keeping the figures of the question's metric, as the table does).
// It returns each as lines "source value unit quote", and the missing
// reports; ok is false when text is not a total, ranking or comparison
// of figures, or the table cannot answer it.
func (e *Engine) FiguresBothWays(ctx context.Context, text string) (table, sentences string, ok bool, err error) {
	c, err := e.catalog(ctx)
	if err != nil {
		return "", "", false, err
	}
	q := analyse(text, c.towns, e.gloss)
	if q.Aggregate == "" || (q.Kind != KindCount && q.Kind != KindRate) || q.Metric == "" {
		return "", "", false, nil
	}
	q, scope, _, refusal := e.scopeStage(ctx, c, q)
	if refusal != "" {
		return "", "", false, nil
	}
	model := &fitted().Figure
	mayCount := func(c factCandidate) bool { return c.score >= model.Threshold }
	tc, ok, err := e.tableFigures(ctx, q, scope, "", mayCount)
	if err != nil || !ok {
		return "", "", false, err
	}
	sc, err := e.sentenceFigures(ctx, q, scope, "", func(c factCandidate) bool { return mayCount(c) && c.fact.Metric == q.Metric })
	if err != nil {
		return "", "", false, err
	}
	render := func(cands []factCandidate) string {
		picked, missing := bestPerReport(cands, scope, "", model.Threshold)
		var b strings.Builder
		for _, p := range picked {
			fmt.Fprintf(&b, "%s %s %s (%.3f)\n", p.rep.Source, formatValue(p.fact), p.fact.Quote, p.score)
		}
		for _, r := range missing {
			fmt.Fprintf(&b, "%s missing\n", r.Source)
		}
		return b.String()
	}
	return render(tc), render(sc), true, nil
}

// SentenceFigures picks the figures of an aggregate question as the
// engine did before the fact table answered: by reading every report in
// scope. It returns how many reports have a figure.
func (e *Engine) SentenceFigures(ctx context.Context, text string) (int, error) {
	c, err := e.catalog(ctx)
	if err != nil {
		return 0, err
	}
	q := analyse(text, c.towns, e.gloss)
	q, scope, _, refusal := e.scopeStage(ctx, c, q)
	if refusal != "" {
		return 0, fmt.Errorf("%s: %s", text, refusal)
	}
	model := &fitted().Figure
	cands, err := e.sentenceFigures(ctx, q, scope, "", func(c factCandidate) bool { return c.score >= model.Threshold })
	if err != nil {
		return 0, err
	}
	picked, _ := bestPerReport(cands, scope, "", model.Threshold)
	return len(picked), nil
}

// PlacesOf returns the stored units a question is resolved to and the
// place it names that no stored report covers.
func (e *Engine) PlacesOf(ctx context.Context, question string) ([]string, string, error) {
	c, err := e.catalog(ctx)
	if err != nil {
		return nil, "", err
	}
	q := analyse(question, c.towns, e.gloss)
	return q.Towns, q.UnknownTown, nil
}

// FactGramsAgree prepares every stated figure of every stored report for
// the terms of question twice, as the sentence path does (newDocFact with
// the terms' gram sets) and as a total over the fact table does
// (docFactTerms), and returns how many figures it compared (none when the
// question has more terms than a mask holds), or an error naming the
// first that differ.
func (e *Engine) FactGramsAgree(ctx context.Context, question string) (int, error) {
	c, err := e.catalog(ctx)
	if err != nil {
		return 0, err
	}
	ft := newFactTerms(prepareGroups(analyse(question, c.towns, e.gloss).Groups).tokens()).withSets()
	if len(ft.tokens) > maxMaskTerms {
		return 0, nil // a total reads these with the gram sets of newDocFact itself
	}
	n := 0
	for _, r := range c.reports {
		d, err := e.doc(ctx, r)
		if err != nil {
			return n, err
		}
		for _, df := range d.facts {
			context := d.prev[df.Quote]
			want := newDocFact(df.Fact, context, ft.in)
			texts := textsOf(df.Fact, context)
			got := texts.docFactTerms(df.Fact, ft)
			for _, s := range []struct {
				name      string
				got, want gramSet
			}{{"subject", got.subject, want.subject}, {"local", got.local, want.local}, {"inherited", got.inherited, want.inherited}, {"quote", got.quote, want.quote}, {"context", got.context, want.context}} {
				if (s.got == nil) != (s.want == nil) || !maps.Equal(s.got, s.want) {
					return n, fmt.Errorf("%s: figure %q of %q: %s grams %v, want %v", r.Source, df.Subject, df.Quote, s.name, s.got, s.want)
				}
			}
			if got.clause != want.clause || !slices.Equal(got.years, want.years) || got.furniture != want.furniture {
				return n, fmt.Errorf("%s: figure %q of %q: clause, years or furniture differ", r.Source, df.Subject, df.Quote)
			}
			n++
		}
	}
	return n, nil
}

// CountTerms is countTerms: for each of terms, how many distinct
// sentences of each report among chunks hold it.
var CountTerms = countTerms

// TermVocabTokens lists the term vocabulary's tokens, sorted.
func TermVocabTokens() []string { return append([]string(nil), defaultTermVocab().tokens...) }

// PinyinSyllables and MayBePinyin expose the pinyin syllable check.
var (
	PinyinSyllables = pinyinSyllables
	MayBePinyin     = mayBePinyin
)
