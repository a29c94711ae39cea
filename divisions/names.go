package divisions

import (
	"strings"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
)

// Form says how a name found in a text stands for a unit.
type Form uint8

// The forms of a name.
const (
	FullName  Form = iota + 1 // 东溪镇, 綦江区
	Variant                   // a common other form: 罗子山乡 for 罗子山瑶族乡, 北城街街道 for 北城街道, 酉阳县
	ShortForm                 // 綦江, 重庆, 怀化: only counties, cities and provinces
	Weak                      // 黄石街 for 黄石街道: trusted only when nothing better is found
)

// Name is one name the gazetteer's matcher knows: a unit's full name, a
// variant or a short form.
type Name struct {
	Text  string
	Form  Form
	Units []int32
}

// Found is a name found in a text: text[Start:End] is Name.Text.
type Found struct {
	Start, End int
	Name       *Name
}

// Find returns every gazetteer name stated in text, in one pass; where
// names overlap, all are returned (城关镇 and 关镇 both), ordered by end.
// Township names are found only in full or variant form: their short forms
// are ordinary words too often.
func (g *Gazetteer) Find(text string) []Found {
	g.acOnce.Do(g.buildMatcher)
	hits := g.matcher.m.FindAll(text)
	out := make([]Found, len(hits))
	for i, h := range hits {
		out[i] = Found{Start: h.Start, End: h.End, Name: &g.matcher.names[h.Pattern]}
	}
	return out
}

// nameMatcher is the gazetteer's Aho-Corasick matcher with what each
// pattern stands for.
type nameMatcher struct {
	m     *Matcher
	names []Name
}

// The matcher is made on the first Find: read from the precomputed index
// when the gazetteer has one for its table (the embedded one does), else
// built.
func (g *Gazetteer) buildMatcher() {
	if g.index != "" {
		if nm, err := readIndex(g); err == nil {
			g.matcher = nm
			return
		}
	}
	g.matcher = g.buildNames()
}

// buildNames builds the matcher over every name from the table: each
// unit's full name and variants, counties', cities' and provinces' short
// forms, and weak forms. Names are numbered by the trie node they end at,
// breadth first, so that the index need not store the numbering.
func (g *Gazetteer) buildNames() *nameMatcher {
	idx := map[string]int{}
	var names []Name
	add := func(text string, f Form, id int32) {
		if i, ok := idx[text]; ok {
			n := &names[i]
			if f < n.Form { // the stronger form wins; its units are the ones meant
				n.Form, n.Units = f, nil
			}
			if f == n.Form {
				n.Units = append(n.Units, id)
			}
			return
		}
		idx[text] = len(names)
		names = append(names, Name{Text: text, Form: f, Units: []int32{id}})
	}
	for _, u := range g.units {
		if u.Name == "市辖区" || u.Name == "县" || u.Name == "省直辖县级行政区划" || u.Name == "自治区直辖县级行政区划" {
			continue
		}
		switch {
		case u.Level == Township && u.Short == "" && (strings.HasSuffix(u.Name, "镇") || strings.HasSuffix(u.Name, "乡")) && utf8.RuneCountInString(u.Name) == 2:
			add(u.Name, Weak, u.ID) // 张镇: a name, but also the tail of many words
			continue
		case u.Level == Township && u.Short == "":
			continue // 街道, 城区, 农场, 经济开发区: no name of a unit's own
		}
		add(u.Name, FullName, u.ID)
		if u.Level == Township {
			if z := ZoneTrimmed(u.Name); z != "" {
				add(z, FullName, u.ID) // the name its own documents use
			}
		}
		for _, v := range variants(u) {
			add(v, Variant, u.ID)
		}
		switch {
		case u.Level != Township && u.Short != "":
			add(u.Short, ShortForm, u.ID)
		case u.Level == Township && strings.HasSuffix(u.Name, "街道") && u.Short != "" && !strings.HasSuffix(u.Short, "街"):
			add(u.Short+"街", Weak, u.ID)
		}
	}
	pats := make([]string, len(names))
	for i, n := range names {
		pats[i] = n.Text
	}
	m := NewMatcher(pats)
	ordered := make([]Name, 0, len(names))
	m.plen = make([]int, 0, len(names))
	for v, p := range m.out {
		if p >= 0 {
			m.out[v] = int32(len(ordered))
			ordered = append(ordered, names[p])
			m.plen = append(m.plen, len(names[p].Text))
		}
	}
	return &nameMatcher{m: m, names: ordered}
}

// variants are other forms a unit's own documents use for its name.
func variants(u Unit) []string {
	var out []string
	switch u.Level {
	case Township:
		switch {
		case strings.HasSuffix(u.Name, "民族乡") || (strings.HasSuffix(u.Name, "族乡") && u.Short != ""):
			out = append(out, u.Short+"乡") // 罗子山瑶族乡 → 罗子山乡
		case strings.HasSuffix(u.Name, "族镇") && u.Short != "" && u.Short+"镇" != u.Name:
			out = append(out, u.Short+"镇") // 五营回族镇 → 五营镇
		case strings.HasSuffix(u.Name, "街道办事处") && u.Short != "":
			out = append(out, u.Short+"街道") // 保康街道办事处 → 保康街道
		case strings.HasSuffix(u.Name, "街道") && u.Short != "" && !strings.HasSuffix(u.Short, "街"):
			out = append(out, u.Short+"街街道") // 北城街道 → 北城街街道
		}
	case County:
		if strings.HasSuffix(u.Name, "自治县") && u.Short != "" {
			out = append(out, u.Short+"县") // 酉阳土家族苗族自治县 → 酉阳县
		}
	case City:
		if strings.HasSuffix(u.Name, "自治州") && u.Short != "" {
			out = append(out, u.Short+"州") // 楚雄彝族自治州 → 楚雄州
		}
	}
	return out
}

// Pinyin returns the units whose short or full name reads as p in
// toneless pinyin without spaces ("dongxi", "dongxizhen", "haidian").
// The index is built on the first call.
func (g *Gazetteer) Pinyin(p string) []Unit {
	g.pyOnce.Do(func() {
		g.byPy = make(map[string][]int32, 2*len(g.units))
		a := pinyin.NewArgs()
		for _, u := range g.units {
			for _, n := range []string{u.Short, u.Name} {
				if n == "" {
					continue
				}
				py := strings.Join(pinyin.LazyPinyin(n, a), "")
				if py != "" {
					g.byPy[py] = appendOnce(g.byPy[py], u.ID)
				}
			}
		}
	})
	return g.collect(g.byPy[strings.ToLower(p)])
}

func appendOnce(ids []int32, id int32) []int32 {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}
