package ingest

import (
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"

	"fazhi/divisions"
)

// Report levels.
const (
	LevelTownship = "township" // a town, township or subdistrict reports
	LevelCounty   = "county"   // a county, district or county-level city reports
)

// place is what detectPlace settles: the reporting unit as the report
// names itself, its level, and where it lies when that is known.
type place struct {
	name     string // 东溪镇, 北城街街道, 海淀区
	level    string
	code     string // division code; "" when not linked to one unit
	county   string
	city     string
	province string
	aliases  []string // short forms of name the text uses: 广内街道
}

// zoneWeights: where a name stands says how much it speaks for the unit
// that writes the report.
const (
	wHead   = 12.0 // title block: the lines up to and including the title
	wInfo   = 6.0  // a page's metadata block: 发布机构, 来源, 信息来源
	wLead   = 5.0  // the first sentence of the body
	wTail   = 5.0  // signature and date at the end
	wBody   = 1.0  // anywhere else, per occurrence
	wOrgan  = 2.0  // followed by 人民政府, 党委, 办事处 …: a unit's organ
	wBook   = 0.3  // inside 《…》: a document's title
	bodyCap = 8.0  // body occurrences add at most this much
)

// organs follow a unit's name when the unit itself acts or signs.
var organs = []string{"人民政府", "党委", "党工委", "政府", "办事处", "工作委员会", "县委", "区委", "委员会", "人大"}

// layout marks the zones of a cleaned text.
type layout struct {
	text       string
	lineStart  []int  // byte offset of each line of text
	lineZone   []zone // zone of each line
	leadStart  int    // byte range of the first body sentence
	leadEnd    int
	books      [][2]int // byte ranges inside 《…》
	hosts      []string // host names of web addresses in the text
	fileLetter string   // the file name's letters, lower case: "huangshi"
}

type zone uint8

const (
	zBody zone = iota
	zHead
	zInfo
	zTail
)

// newLayout finds the zones of text, whose non-empty lines are lines and
// whose title is line titleIdx (-1: none).
func newLayout(text string, titleIdx int, fileName string) *layout {
	l := &layout{text: text}
	var lines []string
	for off := 0; off <= len(text); {
		end := strings.IndexByte(text[off:], '\n')
		if end < 0 {
			end = len(text) - off
		}
		line := strings.TrimSpace(text[off : off+end])
		if line != "" {
			l.lineStart = append(l.lineStart, off)
			lines = append(lines, line)
		}
		off += end + 1
	}
	l.lineZone = make([]zone, len(lines))
	head := titleIdx
	if head < 0 {
		head = 0 // the first line may still be a title that names no report
		for head < len(lines) && head < 3 && utf8.RuneCountInString(lines[head]) <= 40 && !strings.ContainsAny(lines[head], "。,，") {
			head++
		}
		head--
	} else if titleIdx+1 < len(lines) && utf8.RuneCountInString(lines[titleIdx+1]) <= 12 && !strings.ContainsAny(lines[titleIdx+1], "。,，:：") {
		head++ // a title broken across two lines
	}
	for i := 0; i <= head && i < len(lines); i++ {
		l.lineZone[i] = zHead
	}
	bodyStart := -1
	for i, line := range lines {
		if i < 25 && (strings.Contains(line, "发布机构") || strings.Contains(line, "来源") || strings.Contains(line, "作者")) && utf8.RuneCountInString(line) <= 80 {
			l.lineZone[i] = zInfo
			continue
		}
		if bodyStart < 0 && i > head && utf8.RuneCountInString(line) >= 30 && strings.ContainsAny(line, "，,。") {
			bodyStart = i
		}
	}
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-4; i-- {
		if l.lineZone[i] == zBody && i != bodyStart && utf8.RuneCountInString(lines[i]) <= 30 && i > head+2 {
			l.lineZone[i] = zTail
		}
	}
	if bodyStart >= 0 {
		l.leadStart = l.lineStart[bodyStart]
		s := text[l.leadStart:]
		end := strings.IndexAny(s, "。\n")
		if end < 0 {
			end = len(s)
		}
		if max := 450; end > max { // about 150 characters
			end = max
			for end > 0 && !utf8.RuneStart(s[end]) {
				end--
			}
		}
		l.leadEnd = l.leadStart + end
	}
	for _, m := range hostRe.FindAllStringSubmatch(text, 8) {
		l.hosts = append(l.hosts, strings.ToLower(m[1]))
	}
	l.books = bookSpans(text)
	base := strings.ToLower(strings.TrimSuffix(filepath.Base(fileName), filepath.Ext(fileName)))
	var b strings.Builder
	for _, r := range base {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	l.fileLetter = b.String()
	return l
}

// zoneAt returns the zone of byte offset i.
func (l *layout) zoneAt(i int) zone {
	k := sort.SearchInts(l.lineStart, i+1) - 1
	if k < 0 {
		return zBody
	}
	return l.lineZone[k]
}

func (l *layout) inBook(i int) bool {
	for _, b := range l.books {
		if b[0] <= i && i < b[1] {
			return true
		}
		if b[0] > i {
			break
		}
	}
	return false
}

// weigh scores one occurrence of a name at text[start:end]; strong says
// whether it stands where a unit names itself (not a mere mention).
func (l *layout) weigh(start, end int) (w float64, strong bool, body bool) {
	if l.inBook(start) {
		return wBook, false, false
	}
	switch l.zoneAt(start) {
	case zHead:
		w, strong = wHead, true
	case zInfo:
		w, strong = wInfo, true
	case zTail:
		w, strong = wTail, true
	default:
		if start >= l.leadStart && end <= l.leadEnd && l.leadEnd > 0 {
			w, strong = wLead, true
		} else {
			w, body = wBody, true
		}
	}
	if hasAnyPrefix(l.text[end:], organs...) {
		w += wOrgan
		strong = true
	}
	return w, strong, body
}

// candidate is one name that may be the reporting unit.
type candidate struct {
	name   string
	level  divisions.Level
	units  []int32 // gazetteer units it may be; nil for a name only the text rules found
	score  float64
	body   float64 // the part of score from body occurrences (capped)
	strong bool
	weak   bool // found only through a weak form (黄石街 for 黄石街道)
	first  int  // first occurrence
}

func (c *candidate) total() float64 { return c.score + min(c.body, bodyCap) }

// detectPlace finds the reporting unit: gazetteer names first, weighed by
// where they stand; names shared by several units settled by the areas the
// text names; the text rules for units the gazetteer lacks.
//
// A text that names itself only as 我镇, 我街道 or 县人民政府 is placed by
// its document number's prefix (拾万府文〔2021〕165号 → 拾万镇) or its
// file name's pinyin (43_guanganmennei_2020.txt → 广安门内街道), settled
// by the areas the text names.
func detectPlace(text string, titleIdx int, fileName, docNumber string) place {
	g := divisions.Default()
	l := newLayout(text, titleIdx, fileName)
	found := g.Find(text)
	found = dropInner(found)

	towns := map[string]*candidate{}    // by the name as written
	counties := map[string]*candidate{} // county-level names
	areas := map[int32]float64{}        // evidence for counties, cities, provinces
	add := func(m map[string]*candidate, name string, lv divisions.Level, units []int32, start, end int, weak bool) {
		c := m[name]
		if c == nil {
			c = &candidate{name: name, level: lv, units: units, weak: weak, first: start}
			m[name] = c
		}
		w, strong, body := l.weigh(start, end)
		if body {
			c.body += w
		} else {
			c.score += w
		}
		c.strong = c.strong || strong
	}
	var townSpans [][2]int
	for _, f := range found {
		if g.Unit(f.Name.Units[0]).Level == divisions.Township && f.Name.Form != divisions.ShortForm {
			townSpans = append(townSpans, [2]int{f.Start, f.End})
		}
	}
	insideTown := func(f Found) bool {
		for _, sp := range townSpans {
			if sp[0] <= f.Start && f.End <= sp[1] && sp[1]-sp[0] > f.End-f.Start {
				return true // 河口 in 河口镇 names no county
			}
		}
		return false
	}
	for _, f := range found {
		n := f.Name
		lv := g.Unit(n.Units[0]).Level
		if lv != divisions.Township && insideTown(f) {
			continue
		}
		if lv == divisions.Township {
			if n.Form != divisions.ShortForm {
				add(towns, n.Text, lv, n.Units, f.Start, f.End, n.Form == divisions.Weak)
			}
			continue
		}
		if lv == divisions.County && n.Form != divisions.ShortForm && utf8.RuneCountInString(n.Text) == 2 && !oneCharCountyBounded(text, f.Start) {
			continue // 和县 in 市委和县委, 任县 in 担任县长
		}
		if lv == divisions.County && n.Form != divisions.ShortForm {
			add(counties, n.Text, lv, n.Units, f.Start, f.End, false)
		}
		w := 1.0
		if n.Form == divisions.ShortForm {
			w = 0.5
		}
		if !l.inBook(f.Start) && l.zoneAt(f.Start) == zHead {
			w *= 2
		}
		for _, id := range n.Units {
			areas[id] += w
		}
	}
	// Names the gazetteer lacks (renamed since 2023, made up): the text
	// rules, which only keep a name stated where a unit names itself.
	for _, suf := range unitSuffixes {
		for _, name := range unitNames(text, suf) {
			if towns[name] != nil || commonUnitWords[name] || commonUnitWords[strings.TrimSuffix(name, suf)] || endsWithTown(name, towns) {
				continue
			}
			c := &candidate{name: name, level: divisions.Township, first: -1}
			n, inHead := 0, false
			for i := 0; ; {
				j := strings.Index(text[i:], name)
				if j < 0 {
					break
				}
				at := i + j
				i = at + len(name)
				if c.first < 0 {
					c.first = at
				}
				n++
				inHead = inHead || l.zoneAt(at) == zHead
				w, strong, body := l.weigh(at, at+len(name))
				if body {
					c.body += w
				} else {
					c.score += w
				}
				// A name only the text rules know counts as stated only
				// where it stands whole: after a mark, a line start or a
				// function word ("，东溪镇党委"), not as the tail of a
				// phrase ("纳入镇党委", "不断强化镇").
				c.strong = c.strong || (strong && leftBounded(text, at))
			}
			if suf == "乡" && !c.strong {
				continue
			}
			if n < 2 && !inHead {
				// A unit's report names it more than once, or in its
				// title block; a phrase met once ("坚持镇党委在…") is none.
				continue
			}
			if c.strong {
				towns[name] = c
			}
		}
	}
	if debugPlace != nil {
		debugPlace(towns, counties, l)
	}
	town := bestTown(towns, l)
	county := bestCounty(counties, l)
	if town == nil {
		self := selfKind(text)
		townSelf := self != "" && self != "县"
		if county == nil || townSelf {
			if u, ok := unitNamedElsewhere(g, docNumber, l.fileLetter, self, areas, l.hosts); ok {
				p := place{name: u.Name, level: LevelTownship}
				if z := divisions.ZoneTrimmed(u.Name); z != "" {
					p.name = z
				}
				if u.Level == divisions.County {
					p.level = LevelCounty
				}
				p.link(g, u)
				return p
			}
			if townSelf {
				// A township that never names itself: its unit is unknown,
				// and the county it names is not the one reporting.
				return place{}
			}
		}
	}
	level := LevelTownship
	if county != nil && (town == nil || countyLevel(text, l, town, county)) {
		level = LevelCounty
	}
	var p place
	switch {
	case level == LevelCounty:
		p = place{name: county.name, level: LevelCounty}
		if u, ok := pick(g, county.units, areas, l.hosts); ok {
			p.link(g, u)
		}
	case town != nil:
		p = place{name: town.name, level: LevelTownship}
		if town.weak && len(town.units) > 0 {
			p.name = g.Unit(town.units[0]).Name
		}
		if u, ok := pick(g, town.units, areas, l.hosts); ok {
			p.link(g, u)
		}
		p.aliases = abbreviations(g, text, p)
	}
	return p
}

// abbreviations returns the short forms of a township-level unit's name
// that its report uses in its own text: a name X街道, X镇 or X乡 of the
// unit's kind stated whole somewhere in the text, whose X is shorter than
// the unit's own stem, starts with the same character and has its
// characters in the stem in order (广内街道 for 广安门内街道). A name
// that the gazetteer gives to another unit of the unit's county (or of
// anywhere, when the county is not settled) is a neighbour, not an
// abbreviation.
func abbreviations(g *divisions.Gazetteer, text string, p place) []string {
	var kind string
	for _, suf := range []string{"街道", "镇", "乡"} {
		if strings.HasSuffix(p.name, suf) {
			kind = suf
			break
		}
	}
	if kind == "" {
		return nil
	}
	stem := []rune(divisions.TrimEthnic(strings.TrimSuffix(p.name, kind)))
	if len(stem) < 3 {
		return nil // a two-character stem has no shorter form of two
	}
	var out []string
	for _, name := range unitNames(text, kind) {
		x := []rune(strings.TrimSuffix(name, kind))
		if len(x) < 2 || len(x) >= len(stem) || x[0] != stem[0] || !subsequence(x, stem) || !LooksLikeUnitName(name) {
			continue
		}
		if !statedWhole(text, name) {
			continue
		}
		other := false
		for _, u := range g.Named(name) {
			if u.Name == name && (p.code == "" || len(p.code) < 6 || strings.HasPrefix(u.Code, p.code[:6])) {
				other = true
			}
		}
		if !other {
			out = append(out, name)
		}
	}
	return out
}

// subsequence reports whether the runes of x appear in s in order.
func subsequence(x, s []rune) bool {
	i := 0
	for _, r := range s {
		if i < len(x) && x[i] == r {
			i++
		}
	}
	return i == len(x)
}

// statedWhole reports whether name stands whole on its left somewhere in
// text ("，广内街道在区委…"), not only as the tail of a longer run.
func statedWhole(text, name string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		if leftBounded(text, i+j) {
			return true
		}
		i += j + len(name)
	}
}

// selfWords are how a report speaks of its own unit without naming it, by
// the unit's kind ("县" for a county or district).
var selfWords = []struct {
	kind  string
	words []string
}{
	{"镇", []string{"我镇", "本镇", "全镇"}},
	{"乡", []string{"我乡", "本乡", "全乡"}},
	{"街道", []string{"我街道", "本街道", "全街道", "我街", "本街"}},
	{"县", []string{"我县", "本县", "全县", "我区", "本区", "全区"}},
}

// selfKind returns the kind of unit the text speaks as most often; ""
// when none or a tie.
func selfKind(text string) string {
	best, bestN, tie := "", 0, false
	for _, s := range selfWords {
		n := countAny(text, s.words...)
		switch {
		case n > bestN:
			best, bestN, tie = s.kind, n, false
		case n == bestN && n > 0:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// docNumberTails are the issuing office and document kind at the end of
// a document number's prefix: 拾万府文, 綦东府发, 濮镇字, 高政.
var docNumberTails = []string{"府发", "政发", "府文", "政报", "政字", "府函", "政函", "政办", "办发", "委发", "党发", "府办", "街办",
	"办", "府", "政", "发", "文", "字", "报", "函", "委", "党", "镇", "乡", "街"}

// docNumberUnits returns the units a document number's prefix may stand
// for: the prefix without its office and kind (拾万府文 → 拾万, 綦东府发 →
// 綦东) is the start of the unit's name, or the start of its county's
// name followed by the start of its own (綦 for 綦江区, 东 for 东溪镇). One
// character alone (高政〔2022〕15号) says too little: it counts only for
// units of a county the text names (areas).
func docNumberUnits(g *divisions.Gazetteer, docNumber, kind string, areas map[int32]float64) []int32 {
	prefix, _, ok := strings.Cut(docNumber, "〔")
	if !ok {
		return nil
	}
	r := []rune(prefix)
	for trimmed := true; trimmed; {
		trimmed = false
		for _, t := range docNumberTails {
			tr := []rune(t)
			if len(r) > len(tr) && string(r[len(r)-len(tr):]) == t {
				r, trimmed = r[:len(r)-len(tr)], true
				break
			}
		}
	}
	if len(r) == 0 || len(r) > 4 {
		return nil
	}
	var out []int32
	for id := 0; id < g.Len(); id++ {
		u := g.Unit(int32(id))
		if !kindFits(u, kind) {
			continue
		}
		name := u.Name
		if z := divisions.ZoneTrimmed(name); z != "" {
			name = z
		}
		for k := 0; k < len(r); k++ {
			head, own := string(r[:k]), string(r[k:])
			if !strings.HasPrefix(name, own) {
				continue
			}
			up, ok := g.Parent(u)
			if head != "" && (!ok || !strings.HasPrefix(up.Name, head)) {
				continue
			}
			if len(r) == 1 && (!ok || up.Level != divisions.County || areas[up.ID] == 0) {
				continue
			}
			out = append(out, u.ID)
			break
		}
	}
	return out
}

// kindFits reports whether u is of the kind a text speaks as ("镇", "乡",
// "街道", "县" for a county-level unit; "" for any township or county).
func kindFits(u divisions.Unit, kind string) bool {
	switch kind {
	case "":
		return u.Level == divisions.Township || u.Level == divisions.County
	case "县":
		return u.Level == divisions.County
	}
	return u.Level == divisions.Township && (strings.HasSuffix(u.Name, kind) || (kind == "街道" && strings.HasSuffix(u.Name, "街道办事处")))
}

// unitNamedElsewhere finds the unit of a text that names itself only as
// 我镇 or 县人民政府: the units its document number's prefix or its file
// name's pinyin may stand for, of the kind it speaks as, settled by the
// areas the text names (one unit is taken as it is).
func unitNamedElsewhere(g *divisions.Gazetteer, docNumber, fileLetter, kind string, areas map[int32]float64, hosts []string) (divisions.Unit, bool) {
	byNumber := docNumberUnits(g, docNumber, kind, areas)
	var byFile []int32
	if len(fileLetter) >= 4 {
		for _, u := range g.Pinyin(fileLetter) {
			if kindFits(u, kind) {
				byFile = append(byFile, u.ID)
			}
		}
	}
	var both []int32
	for _, id := range byNumber {
		if slices.Contains(byFile, id) {
			both = append(both, id)
		}
	}
	for _, ids := range [][]int32{both, byNumber, byFile} {
		if len(ids) == 0 {
			continue
		}
		if u, ok := pick(g, ids, areas, hosts); ok {
			return u, true
		}
	}
	return divisions.Unit{}, false
}

// debugPlace, when set (by tests), sees the candidates.
var debugPlace func(towns, counties map[string]*candidate, l *layout)

// link fills in where the unit lies.
func (p *place) link(g *divisions.Gazetteer, u divisions.Unit) {
	path := g.PathOf(u)
	p.code, p.county, p.city, p.province = u.Code, path.County, path.City, path.Province
}

// pick chooses among the units a name may be the one the text's named
// areas speak for; with one unit it is that one. A tie leaves it open.
//
// The web address a page was saved from ("来源: http://www.dongkou.gov.cn/…")
// counts too: government sites are named for their county in pinyin.
func pick(g *divisions.Gazetteer, ids []int32, areas map[int32]float64, hosts []string) (divisions.Unit, bool) {
	if len(ids) == 1 {
		return g.Unit(ids[0]), true
	}
	best, bestW, tie := int32(-1), 0.0, false
	for _, id := range ids {
		u := g.Unit(id)
		w := 0.0
		for _, lv := range []divisions.Level{divisions.County, divisions.City, divisions.Province} {
			if a, ok := g.Above(u, lv); ok && a.ID != u.ID {
				w += areas[a.ID] * float64(lv) // a county says more than a province
				if lv != divisions.Province && hostNames(hosts, a.Short) {
					w += float64(lv)
				}
			}
		}
		switch {
		case w > bestW:
			best, bestW, tie = id, w, false
		case w == bestW && w > 0:
			tie = true
		}
	}
	if best < 0 || tie {
		return divisions.Unit{}, false
	}
	return g.Unit(best), true
}

// bestTown is the township candidate that speaks most for the report; a
// weak form counts only when nothing else is found.
func bestTown(towns map[string]*candidate, l *layout) *candidate {
	var best *candidate
	better := func(a, b *candidate) bool {
		if b == nil {
			return true
		}
		if a.weak != b.weak {
			return !a.weak
		}
		ta, tb := a.total()+fileBonus(a, l), b.total()+fileBonus(b, l)
		if ta != tb {
			return ta > tb
		}
		if len(a.units) > 0 != (len(b.units) > 0) {
			return len(a.units) > 0
		}
		if len(a.name) != len(b.name) {
			return len(a.name) > len(b.name)
		}
		return a.name < b.name
	}
	for _, c := range towns {
		if !c.strong && c.total()+fileBonus(c, l) < 3 {
			continue // a name met only in passing
		}
		if better(c, best) {
			best = c
		}
	}
	if best != nil && best.total()+fileBonus(best, l) < 2 {
		return nil
	}
	return best
}

func bestCounty(counties map[string]*candidate, l *layout) *candidate {
	var best *candidate
	for _, c := range counties {
		t := c.total() + fileBonus(c, l)
		if best == nil || t > best.total()+fileBonus(best, l) || (t == best.total()+fileBonus(best, l) && c.name < best.name) {
			best = c
		}
	}
	return best
}

// fileBonus credits a candidate whose pinyin the file name spells
// ("44_huangshi_2020.txt" for 黄石街道, "yueyangxian" for 岳阳县).
func fileBonus(c *candidate, l *layout) float64 {
	if len(l.fileLetter) < 4 {
		return 0
	}
	short := divisions.ShortName(c.name, c.level)
	if len(c.units) > 0 {
		short = divisions.Default().Unit(c.units[0]).Short
	}
	if short == "" {
		short = c.name
	}
	py := strings.Join(pinyin.LazyPinyin(short, pinyin.NewArgs()), "")
	if len(py) >= 4 && strings.Contains(l.fileLetter, py) {
		return 4
	}
	return 0
}

// countyLevel decides between the best township and the best county
// candidate: a report whose title block names the county and no township,
// or that speaks of itself as a county (我县, 全区) more than as a
// township, is the county's own.
func countyLevel(text string, l *layout, town, county *candidate) bool {
	if l.zoneAt(town.first) == zHead && !l.inBook(town.first) {
		return false
	}
	countySelf := countAny(text, "我县", "我区", "全县", "全区", "本县", "本区", "县政府", "区政府", "县人民政府", "区人民政府")
	townSelf := countAny(text, "我镇", "我乡", "我街", "全镇", "全乡", "全街", "本镇", "本乡", "镇党委", "乡党委", "党工委", "镇政府", "乡政府", "镇人民政府", "乡人民政府", "街道办事处", "街道")
	if countySelf <= townSelf {
		return false
	}
	countyHead := county.score >= wHead
	return countyHead || town.weak || !town.strong
}

func countAny(s string, words ...string) int {
	n := 0
	for _, w := range words {
		n += strings.Count(s, w)
	}
	return n
}

// dropInner removes township names found inside a longer township name
// found at an overlapping place (东城街道 inside 广东城街道办事处 is kept
// only if no longer township name covers it).
func dropInner(found []Found) []Found {
	g := divisions.Default()
	out := found[:0:0]
	for i, f := range found {
		inner := false
		if g.Unit(f.Name.Units[0]).Level == divisions.Township {
			for j, o := range found {
				if j != i && o.Start <= f.Start && o.End >= f.End && (o.End-o.Start) > (f.End-f.Start) &&
					g.Unit(o.Name.Units[0]).Level == divisions.Township && o.Name.Form != divisions.ShortForm {
					inner = true
					break
				}
			}
		}
		if !inner {
			out = append(out, f)
		}
	}
	return out
}

// Found is a gazetteer name found in a text.
type Found = divisions.Found

// leftBounded reports whether a name starting at byte start stands whole
// on its left.
func leftBounded(text string, start int) bool {
	if start == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(text[:start])
	return !unicode.Is(unicode.Han, r) || strings.ContainsRune(notNameChars, r) || strings.HasSuffix(text[:start], "关于") || strings.HasSuffix(text[:start], "现将")
}

// oneCharCountyBounded reports whether a one-character county (浚县, 滑县)
// found at start is a name: at a line start or after a mark, after 中共, or
// after a province or city.
func oneCharCountyBounded(text string, start int) bool {
	if start == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(text[:start])
	return !unicode.Is(unicode.Han, r) || strings.ContainsRune("共市省州", r)
}

// endsWithTown reports whether name is a gazetteer township name with
// something grown in front of it ("视渔门镇", "滑县万古镇").
func endsWithTown(name string, towns map[string]*candidate) bool {
	for t, c := range towns {
		if len(c.units) > 0 && !c.weak && len(t) < len(name) && strings.HasSuffix(name, t) {
			return true
		}
	}
	return false
}

// hostRe finds the host of a web address.
var hostRe = regexp.MustCompile(`https?://([A-Za-z0-9.-]+)`)

// hostNames reports whether one of hosts has a label that spells short in
// pinyin (dongkou.gov.cn for 洞口).
func hostNames(hosts []string, short string) bool {
	if short == "" || len(hosts) == 0 {
		return false
	}
	py := strings.Join(pinyin.LazyPinyin(short, pinyin.NewArgs()), "")
	if len(py) < 4 {
		return false
	}
	for _, h := range hosts {
		for _, label := range strings.Split(h, ".") {
			if label == py {
				return true
			}
		}
	}
	return false
}
