package divisions_test

import (
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"fazhi/divisions"
)

func TestCounts(t *testing.T) {
	g := divisions.Default()
	tests := []struct {
		level divisions.Level
		want  int
	}{
		{divisions.Province, 31}, {divisions.City, 342}, {divisions.County, 2978}, {divisions.Township, 41352},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			if got := g.Count(tt.level); got != tt.want {
				t.Errorf("Count(%v) = %d, want %d", tt.level, got, tt.want)
			}
		})
	}
}

func TestNamedAndPath(t *testing.T) {
	g := divisions.Default()
	tests := []struct {
		name     string
		n        int    // units of that name
		code     string // one of them
		county   string
		city     string
		province string
	}{
		{"东溪镇", 3, "500110109", "綦江区", "重庆市", "重庆市"},
		{"城关镇", 88, "410928100", "濮阳县", "濮阳市", "河南省"},
		{"渔门镇", 1, "510422102", "盐边县", "攀枝花市", "四川省"},
		{"拾万镇", 1, "500111108", "大足区", "重庆市", "重庆市"},
		{"广安门内街道", 1, "110102017", "西城区", "北京市", "北京市"},
		{"海淀区", 1, "110108", "海淀区", "北京市", "北京市"},
		{"可大乡", 1, "500242204", "酉阳土家族苗族自治县", "重庆市", "重庆市"},
		{"浚县", 1, "410621", "浚县", "鹤壁市", "河南省"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us := g.Named(tt.name)
			var full []divisions.Unit
			for _, u := range us {
				if u.Name == tt.name {
					full = append(full, u)
				}
			}
			if len(full) != tt.n {
				t.Fatalf("Named(%s): %d units of that full name, want %d", tt.name, len(full), tt.n)
			}
			u, ok := g.ByCode(tt.code)
			if !ok || u.Name != tt.name {
				t.Fatalf("ByCode(%s) = %+v, %v; want %s", tt.code, u, ok, tt.name)
			}
			p := g.PathOf(u)
			if p.County != tt.county || p.City != tt.city || p.Province != tt.province {
				t.Errorf("PathOf(%s) = %s/%s/%s, want %s/%s/%s", tt.name, p.Province, p.City, p.County, tt.province, tt.city, tt.county)
			}
		})
	}
}

func TestShortName(t *testing.T) {
	tests := []struct {
		name  string
		level divisions.Level
		want  string
	}{
		{"东溪镇", divisions.Township, "东溪"},
		{"金龙街道", divisions.Township, "金龙"},
		{"鱼复街道", divisions.Township, "鱼复"},
		{"罗子山瑶族乡", divisions.Township, "罗子山"},
		{"西翥街道办事处", divisions.Township, "西翥"},
		{"雪乡", divisions.Township, ""},
		{"海淀区", divisions.County, "海淀"},
		{"酉阳土家族苗族自治县", divisions.County, "酉阳"},
		{"浚县", divisions.County, ""},
		{"楚雄彝族自治州", divisions.City, "楚雄"},
		{"广西壮族自治区", divisions.Province, "广西"},
		{"重庆市", divisions.Province, "重庆"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := divisions.ShortName(tt.name, tt.level); got != tt.want {
				t.Errorf("ShortName(%s) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestPinyin(t *testing.T) {
	g := divisions.Default()
	tests := []struct{ py, want string }{
		{"dongxi", "东溪镇"}, {"Jinlong", "金龙街道"}, {"haidian", "海淀区"}, {"yufu", "鱼复街道"}, {"guanganmennei", "广安门内街道"},
	}
	for _, tt := range tests {
		t.Run(tt.py, func(t *testing.T) {
			found := false
			for _, u := range g.Pinyin(tt.py) {
				found = found || u.Name == tt.want
			}
			if !found {
				t.Errorf("Pinyin(%s) lacks %s", tt.py, tt.want)
			}
		})
	}
}

// TestMatcherAgainstNaive checks the one-pass matcher against
// strings.Index for every pattern, on random texts over a small alphabet
// (where overlaps and shared prefixes and suffixes are common).
func TestMatcherAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alpha := []rune("镇城关东溪街道乡𠀀a") // and characters past the root table
	word := func(n int) string {
		rs := make([]rune, n)
		for i := range rs {
			rs[i] = alpha[rng.Intn(len(alpha))]
		}
		return string(rs)
	}
	for round := 0; round < 50; round++ {
		var pats []string
		seen := map[string]bool{}
		for len(pats) < 20 {
			p := word(1 + rng.Intn(4))
			if !seen[p] {
				seen[p] = true
				pats = append(pats, p)
			}
		}
		text := word(200)
		m := divisions.NewMatcher(pats)
		var got []string
		for _, h := range m.FindAll(text) {
			if text[h.Start:h.End] != pats[h.Pattern] {
				t.Fatalf("match %+v is %q, not pattern %q", h, text[h.Start:h.End], pats[h.Pattern])
			}
			got = append(got, pats[h.Pattern]+"@"+itoa(h.Start))
		}
		var want []string
		for _, p := range pats {
			for i := 0; ; {
				j := strings.Index(text[i:], p)
				if j < 0 {
					break
				}
				want = append(want, p+"@"+itoa(i+j))
				i += j + 1
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("round %d: matcher found %d, naive %d\n got %v\nwant %v", round, len(got), len(want), got, want)
		}
	}
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)))
}

func TestFindInText(t *testing.T) {
	g := divisions.Default()
	text := "重庆市綦江区东溪镇人民政府关于2021年法治政府建设情况的报告。罗子山乡、北城街街道。"
	var got []string
	for _, f := range g.Find(text) {
		got = append(got, f.Name.Text)
	}
	for _, want := range []string{"重庆市", "綦江区", "綦江", "东溪镇", "罗子山乡", "北城街街道"} {
		found := false
		for _, x := range got {
			found = found || x == want
		}
		if !found {
			t.Errorf("Find: %q not among %v", want, got)
		}
	}
}

// TestParseErrors checks that a malformed table names the line.
func TestParseErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"no name", "11\n", "line 1"},
		{"city outside province", "11北京市\n1201市辖区\n", "line 2"},
		{"township before county", "11北京市\n1101市辖区\n001东华门街道\n", "line 3"},
		{"empty", "", "no units"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := divisions.Parse(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse: err %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := divisions.Parse(divisions.Table()); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLoadTime(t *testing.T) {
	start := time.Now()
	g, err := divisions.Parse(divisions.Table())
	if err != nil {
		t.Fatal(err)
	}
	parse := time.Since(start)
	g.Find("东溪镇")
	t.Logf("parse %v, matcher %v", parse, time.Since(start)-parse)
}

func BenchmarkMatcherBuild(b *testing.B) {
	for i := 0; i < b.N; i++ {
		g, _ := divisions.Parse(divisions.Table())
		g.Find("东溪镇")
	}
}

// TestZoneTrimmed checks the names of units the gazetteer lists behind a
// development zone, and that Named and Find know them by those names.
func TestZoneTrimmed(t *testing.T) {
	tests := []struct{ name, want string }{
		{"开发区银杏大街街道", "银杏大街街道"},
		{"天津经济技术开发区东区泰达街道", "泰达街道"},
		{"（工业园区）城南街道", "城南街道"},
		{"高新区团山镇", "团山镇"},
		{"开发区关堤乡", "关堤乡"},
		{"经济开发区直属乡镇", ""},
		{"长白山保护开发区池北区特殊乡镇", ""},
		{"常青花园新区管理委员会街道", ""},
		{"东溪镇", ""},
		{"城区街道", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := divisions.ZoneTrimmed(tt.name); got != tt.want {
				t.Errorf("ZoneTrimmed(%s) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
	g := divisions.Default()
	u, ok := g.ByCode("410571564")
	if !ok || u.Name != "开发区银杏大街街道" || u.Short != "银杏大街" {
		t.Fatalf("ByCode(410571564) = %+v, %v", u, ok)
	}
	if us := g.Named("银杏大街街道"); len(us) != 1 || us[0].ID != u.ID {
		t.Errorf("Named(银杏大街街道) = %v, want %s", us, u.Name)
	}
	linked := false
	for _, f := range g.Find("安阳高新区银杏大街街道办事处") {
		for _, id := range f.Name.Units {
			linked = linked || (id == u.ID && f.Name.Text == "银杏大街街道")
		}
	}
	if !linked {
		t.Error("Find does not link 银杏大街街道 to 开发区银杏大街街道")
	}
}

// TestVariants checks the other forms a unit's documents use.
func TestVariants(t *testing.T) {
	g := divisions.Default()
	tests := []struct{ text, unit string }{
		{"罗子山乡", "罗子山瑶族乡"},
		{"北城街街道", "北城街道"},
		{"保康街道", "保康街道办事处"},
		{"沙后所镇", "沙后所满族镇"},
		{"酉阳县", "酉阳土家族苗族自治县"},
		{"楚雄州", "楚雄彝族自治州"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			for _, f := range g.Find(tt.text) {
				if f.Name.Text != tt.text {
					continue
				}
				for _, id := range f.Name.Units {
					if g.Unit(id).Name == tt.unit {
						return
					}
				}
			}
			t.Errorf("Find(%s) does not link it to %s", tt.text, tt.unit)
		})
	}
}
