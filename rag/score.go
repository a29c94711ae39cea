package rag

import (
	"math"
	"strings"
)

// gramSet is the set of Han bigrams (and single characters of one-rune
// runs), Latin words and numbers of a text.
type gramSet map[string]struct{}

func gramsOf(text string) gramSet {
	g := gramSet{}
	for _, t := range Tokens(text) {
		g[t] = struct{}{}
	}
	return g
}

func (g gramSet) has(t string) bool { _, ok := g[t]; return ok }

// idfTable weighs terms by how rare they are among the sentences in scope:
// "法治" is everywhere and says little; "复议" is rare and decides.
type idfTable struct {
	n    int
	sets []gramSet
	df   map[string]int // document frequencies, counted when first asked
}

// newIDF is the inverse document frequencies of terms over sets. Only the
// question's few terms are ever asked for, so each is counted on demand
// rather than every gram of every text up front. Not safe for concurrent
// use: one matcher, one goroutine.
func newIDF(sets []gramSet) *idfTable {
	return &idfTable{n: len(sets), sets: sets, df: map[string]int{}}
}

// idfFromCounts is the inverse document frequencies over n texts of
// which df[term] hold each term (a term not in df: none), as counted
// elsewhere (a report's stored sentence count and term counts).
func idfFromCounts(n int, df map[string]int) *idfTable {
	if df == nil {
		df = map[string]int{}
	}
	return &idfTable{n: n, df: df}
}

// docFreq is how many of the texts hold term.
func (t *idfTable) docFreq(term string) int {
	if d, ok := t.df[term]; ok {
		return d
	}
	d := 0
	for _, s := range t.sets {
		if s.has(term) {
			d++
		}
	}
	t.df[term] = d
	return d
}

func (t *idfTable) weight(term string) float64 {
	return math.Log(1 + float64(t.n+1)/float64(1+t.docFreq(term)))
}

// synonyms are interchangeable words of this domain: a question that says
// 调解 matches a report that says 调处.
var synonyms = [][]string{
	{"调解成功率", "调成率", "调处率", "化解率", "调解率"},
	{"办结率", "结案率", "完成率"},
	{"调解", "调处", "化解"},
	{"每年", "年度", "全年"},
	{"至少", "不少于", "不低于"},
	{"问题", "不足", "短板"},
	{"打算", "计划", "安排", "思路", "措施"},
	{"矛盾纠纷", "纠纷", "矛盾"},
	{"排查", "摸排"},
	{"聘用", "聘请", "聘任", "选聘"},
	{"举办", "开展", "组织", "召开", "举行"},
	{"受理", "接待", "办理"},
	{"回复", "答复", "办理"},
	{"信访", "来信来访", "上访"},
	{"普法", "法治宣传", "法制宣传"},
	{"法治", "法制"},
	{"悬挂", "张贴"},
	{"发放", "散发"},
	{"学法", "学习法律"},
	{"罚款", "罚没"},
	{"工作人员", "职工", "干部"},
	{"创建", "建立", "建设"},
}

// expandForms adds the synonym variants of a Chinese term.
func expandForms(forms []string) []string {
	out := append([]string(nil), forms...)
	seen := map[string]bool{}
	for _, f := range forms {
		seen[f] = true
	}
	for _, f := range forms {
		for _, set := range synonyms {
			for _, w := range set {
				if !strings.Contains(f, w) {
					continue
				}
				for _, alt := range set {
					if alt == w {
						continue
					}
					v := strings.Replace(f, w, alt, 1)
					if !seen[v] {
						seen[v] = true
						out = append(out, v)
					}
				}
				break
			}
		}
	}
	return out
}

type scoredGroup struct {
	forms  [][]string  // term tokens of each form
	ws     [][]float64 // each token's idf weight, as forms
	weight float64
	focus  bool // the words next to the question word: what is counted
}

// matcher scores texts against a question's term groups.
type matcher struct {
	groups []scoredGroup
	idf    *idfTable
}

// matcherFor is a matcher whose term weights come from the sentences the
// question will be matched against.
func matcherFor(groups []TermGroup, sents []sentence) *matcher {
	sets := make([]gramSet, len(sents))
	for i, s := range sents {
		sets[i] = s.grams
	}
	return newMatcher(groups, newIDF(sets))
}

func newMatcher(groups []TermGroup, idf *idfTable) *matcher {
	return prepareGroups(groups).matcher(idf)
}

// preparedGroups are a question's term groups split into the tokens of
// each of their forms, synonyms included: what a matcher is made of
// before term weights are known.
type preparedGroups []preparedGroup

type preparedGroup struct {
	forms  [][]string // tokens of each form, the group's own first
	weight float64    // TermGroup.Weight
	focus  bool       // TermGroup.Focus
}

func prepareGroups(groups []TermGroup) preparedGroups {
	out := make(preparedGroups, 0, len(groups))
	for _, g := range groups {
		pg := preparedGroup{weight: g.Weight, focus: g.Focus}
		for _, f := range expandForms(g.Forms) {
			pg.forms = append(pg.forms, Tokens(f))
		}
		out = append(out, pg)
	}
	return out
}

// tokens lists the distinct tokens of every form.
func (pgs preparedGroups) tokens() []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range pgs {
		for _, f := range g.forms {
			for _, t := range f {
				if !seen[t] {
					seen[t] = true
					out = append(out, t)
				}
			}
		}
	}
	return out
}

// matcher weighs the groups' terms by idf.
func (pgs preparedGroups) matcher(idf *idfTable) *matcher {
	n := 0
	for _, g := range pgs {
		for _, ft := range g.forms {
			n += len(ft)
		}
	}
	// The weights of every token, in one allocation: a total makes a
	// matcher for each of thousands of reports.
	weights := make([]float64, 0, n)
	m := &matcher{idf: idf, groups: make([]scoredGroup, 0, len(pgs))}
	for _, g := range pgs {
		sg := scoredGroup{forms: make([][]string, 0, len(g.forms)), ws: make([][]float64, 0, len(g.forms))}
		for i, ft := range g.forms {
			toks := dropJunctions(ft, idf)
			if len(toks) == 0 {
				continue
			}
			start := len(weights)
			for _, t := range toks {
				w := idf.weight(t)
				weights = append(weights, w)
				if i == 0 {
					sg.weight += w
				}
			}
			sg.forms, sg.ws = append(sg.forms, toks), append(sg.ws, weights[start:len(weights):len(weights)])
		}
		if len(sg.forms) == 0 {
			continue
		}
		if g.weight > 0 {
			sg.weight *= g.weight
		}
		sg.focus = g.focus
		if sg.weight == 0 {
			for _, w := range sg.ws[0] {
				sg.weight += w
			}
		}
		m.groups = append(m.groups, sg)
	}
	return m
}

// dropJunctions removes from a run of bigrams each one that no text in
// scope holds while both its neighbours are held: it straddles two words
// ("推进工作存在" → 作存), an artefact of reading a question without a
// dictionary. Two absent bigrams in a row are a real unknown word (复议)
// and stay, so the question still fails to match texts without it.
func dropJunctions(toks []string, idf *idfTable) []string {
	if len(toks) < 3 {
		return toks
	}
	held := func(i int) bool { return idf.docFreq(toks[i]) > 0 }
	var out []string // made at the first token dropped: toks itself when none is
	for i, t := range toks {
		if i > 0 && i < len(toks)-1 && !held(i) && held(i-1) && held(i+1) {
			if out == nil {
				out = append(make([]string, 0, len(toks)-1), toks[:i]...)
			}
			continue
		}
		if out != nil {
			out = append(out, t)
		}
	}
	if out == nil {
		return toks
	}
	return out
}

func (m *matcher) empty() bool { return len(m.groups) == 0 }

// cover returns how much of the question's weighted terms the text holds,
// from 0 to 1; each group counts through its best-matching form, and a
// form less specific than the group's first (培训 for 法律培训) earns only
// the share of the first form it carries. When the question's weightiest
// term is missing altogether, the text is not about the question: its
// score is halved.
func (m *matcher) cover(g gramSet) float64 { return m.coverForms(g, false) }

// coverExact is cover counting only the question's own words, not their
// synonyms or glossary variants: "调解" matches 调解, not 化解.
func (m *matcher) coverExact(g gramSet) float64 { return m.coverForms(g, true) }

func (m *matcher) coverForms(g gramSet, exact bool) float64 {
	var got, total, heaviest, heaviestCover float64
	for _, sg := range m.groups {
		best := m.groupCover(sg, g, exact)
		got += sg.weight * best
		total += sg.weight
		if sg.weight > heaviest {
			heaviest, heaviestCover = sg.weight, best
		}
	}
	if total == 0 {
		return 0
	}
	sc := got / total
	if len(m.groups) > 1 && heaviestCover < 0.01 {
		sc *= 0.5
	}
	return sc
}

// coverFocus is how much of the question's focus (the words right next to
// its question word: 覆盖 in "覆盖多少人次", 领域 in "how many fields") the
// text holds, from 0 to 1; 0 when the question has no focus.
func (m *matcher) coverFocus(g gramSet) float64 {
	var got, total float64
	for _, sg := range m.groups {
		if sg.focus {
			got += sg.weight * m.groupCover(sg, g, false)
			total += sg.weight
		}
	}
	if total == 0 {
		return 0
	}
	return got / total
}

// groupCover is the share of group sg's weighted terms that g holds,
// through its best form (only its first, the question's own words, when
// exact). A form less specific than the first earns only the share of the
// first it carries.
func (m *matcher) groupCover(sg scoredGroup, g gramSet, exact bool) float64 {
	best, first := 0.0, 0.0
	for i, toks := range sg.forms {
		if exact && i > 0 {
			break
		}
		var have, all float64
		for j, t := range toks {
			w := sg.ws[i][j]
			all += w
			if g.has(t) {
				have += w
			}
		}
		if i == 0 {
			first = all
		}
		if d := max(all, first); d > 0 && have/d > best {
			best = have / d
		}
	}
	return best
}

// clauseAround returns the clause of sentence that holds the byte offset
// at: the text between the nearest clause marks on either side.
func clauseAround(sentence string, at int) string {
	const marks = "，,；;。：:！？!?"
	start := 0
	for i, r := range sentence {
		if i >= at {
			break
		}
		if strings.ContainsRune(marks, r) {
			start = i + len(string(r))
		}
	}
	end := len(sentence)
	if i := strings.IndexAny(sentence[min(at, len(sentence)):], marks); i >= 0 {
		end = at + i
	}
	return strings.TrimSpace(sentence[start:end])
}
