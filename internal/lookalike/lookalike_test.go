package lookalike

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"fazhi/divisions"
	"fazhi/ingest"
)

func mustSeeds(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "reports", "*.txt"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no seed reports: %v", err)
	}
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

func TestGenerateDeterministic(t *testing.T) {
	seeds := mustSeeds(t)
	a := Generate(seeds, 30, newRand(7))
	b := Generate(seeds, 30, newRand(7))
	if len(a) != 30 || len(b) != 30 {
		t.Fatalf("got %d and %d reports, want 30", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("report %d differs between two runs with the same seed", i)
		}
	}
	c := Generate(seeds, 30, newRand(8))
	same := 0
	for i := range a {
		if a[i].Text == c[i].Text {
			same++
		}
	}
	if same == len(a) {
		t.Errorf("another rng seed gave the same reports")
	}
}

func TestGenerateNamesFilesAndTowns(t *testing.T) {
	seeds := mustSeeds(t)
	reps := Generate(seeds, 60, newRand(1))
	var seedTowns, seedShorts []string
	for i, s := range seeds {
		sd, ok := analyse(i, s)
		if !ok {
			t.Fatalf("seed %d: town or year not detected", i)
		}
		seedTowns = append(seedTowns, sd.town)
		seedShorts = append(seedShorts, sd.short)
	}
	towns := map[string]bool{}
	for i, r := range reps {
		if want := "gen_" + pad5(i) + ".txt"; r.Name != want {
			t.Errorf("report %d: name %q, want %q", i, r.Name, want)
		}
		if towns[r.Town] {
			t.Errorf("%s: town %s used twice", r.Name, r.Town)
		}
		towns[r.Town] = true
		if r.Year < FirstYear || r.Year > LastYear {
			t.Errorf("%s: year %d outside [%d, %d]", r.Name, r.Year, FirstYear, LastYear)
		}
		clean := ingest.Clean(r.Text)
		for k, st := range seedTowns {
			if r.Town == st || strings.Contains(r.Town, seedShorts[k]) {
				t.Errorf("%s: town %s is or contains seed town %s", r.Name, r.Town, st)
			}
			for _, txt := range []string{r.Text, clean} {
				if strings.Contains(txt, seedShorts[k]) {
					t.Errorf("%s: text still names seed town %s", r.Name, seedShorts[k])
				}
			}
		}
	}
}

func pad5(i int) string {
	s := strconv.Itoa(i)
	return strings.Repeat("0", 5-len(s)) + s
}

// TestGenerateDetectMeta checks that the ingest pipeline reads the
// generated town and year, and that the issue date keeps its distance to
// the covered year.
func TestGenerateDetectMeta(t *testing.T) {
	seeds := mustSeeds(t)
	seedMeta := make([]ingest.Meta, len(seeds))
	for i, s := range seeds {
		seedMeta[i] = ingest.DetectMeta(ingest.Clean(s))
	}
	for _, r := range Generate(seeds, 80, newRand(3)) {
		t.Run(r.Name, func(t *testing.T) {
			m := ingest.DetectMeta(ingest.Clean(r.Text))
			if m.Town != r.Town {
				t.Errorf("DetectMeta town = %q, want %q (seed %d)", m.Town, r.Town, r.Seed)
			}
			if m.Year != r.Year {
				t.Errorf("DetectMeta year = %d, want %d (seed %d)", m.Year, r.Year, r.Seed)
			}
			sm := seedMeta[r.Seed]
			if (sm.Date == "") != (m.Date == "") {
				t.Fatalf("date %q, seed's %q", m.Date, sm.Date)
			}
			if sm.Date != "" {
				gy, _ := strconv.Atoi(m.Date[:4])
				sy, _ := strconv.Atoi(sm.Date[:4])
				if gy-r.Year != sy-sm.Year || m.Date[4:] != sm.Date[4:] {
					t.Errorf("issue date %s for year %d; seed's is %s for %d", m.Date, r.Year, sm.Date, sm.Year)
				}
			}
			if sm.DocNumber != "" && !strings.Contains(m.DocNumber, strconv.Itoa(r.Year+(docYear(sm.DocNumber)-sm.Year))) {
				t.Errorf("document number %q does not carry the shifted year (seed's %q)", m.DocNumber, sm.DocNumber)
			}
		})
	}
}

func docYear(s string) int {
	y, _ := strconv.Atoi(regexp.MustCompile(`(?:19|20)\d{2}`).FindString(s))
	return y
}

var percentRe = regexp.MustCompile(`(\d+(?:\.\d+)?)\s*[%％]`)

// TestGenerateFigures checks that figures change, percentages stay at or
// below 100, and the report keeps as many stated figures as its seed.
func TestGenerateFigures(t *testing.T) {
	seeds := mustSeeds(t)
	for _, r := range Generate(seeds, 60, newRand(5)) {
		for _, m := range percentRe.FindAllStringSubmatch(r.Text, -1) {
			if v, _ := strconv.ParseFloat(m[1], 64); v > 100 {
				t.Errorf("%s: percentage %s over 100", r.Name, m[0])
			}
		}
		seedFigs := figureRe.FindAllString(seeds[r.Seed], -1)
		genFigs := figureRe.FindAllString(r.Text, -1)
		if len(seedFigs) != len(genFigs) {
			t.Errorf("%s: %d figures, seed has %d", r.Name, len(genFigs), len(seedFigs))
			continue
		}
		changed := 0
		for i := range seedFigs {
			if seedFigs[i] != genFigs[i] {
				changed++
			}
		}
		if changed < len(seedFigs)/2 {
			t.Errorf("%s: only %d of %d figures changed", r.Name, changed, len(seedFigs))
		}
	}
}

func TestPerturbFigures(t *testing.T) {
	tests := []struct {
		name, in string
		keep     bool // the text must come back unchanged
	}{
		{"count", "共排查、调解各类矛盾纠纷368件", false},
		{"spaced", "学习各类法律 70 余次", false},
		{"ten thousand", "发放明白纸2万余份", false},
		{"money", "投资10多万元", false},
		{"person times", "累计培训240余人次", false},
		{"percent", "调解成功率98%", false},
		{"hotline", "办理回复12345市民热线", true},
		{"holiday", "举办了“3.15”消费者权益日宣传", true},
		{"holiday dot", "在“12.4”宪法日", true},
		{"ordinal", "召开第3次会议", true},
		{"date", "2021年2月1日", true},
		{"doc number", "濮镇字〔2021〕8号", true},
		{"cited title", "《盐边县第7个五年规划(2016—2020年)》", true},
		{"zero", "发生0起", true},
		{"list mark", "2.完善依法决策", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for s := uint64(0); s < 20; s++ {
				got := perturbFigures(tc.in, newRand(s))
				if tc.keep && got != tc.in {
					t.Fatalf("perturbFigures(%q) = %q, want it unchanged", tc.in, got)
				}
				if !tc.keep && got == tc.in {
					t.Fatalf("perturbFigures(%q) left it unchanged", tc.in)
				}
				if !tc.keep && figureRe.ReplaceAllString(got, "#") != figureRe.ReplaceAllString(tc.in, "#") {
					t.Fatalf("perturbFigures(%q) = %q: changed more than the figure", tc.in, got)
				}
			}
		})
	}
}

func TestPerturbFiguresBounds(t *testing.T) {
	tests := []struct {
		in    string
		check func(got string) bool
		want  string
	}{
		{"完成率100%。", func(g string) bool { v := num(g); return v < 100 && v >= 90 }, "in [90, 100)"},
		{"成功率99.5%", func(g string) bool { v := num(g); return v <= 100 && v != 99.5 }, "at most 100"},
		{"聘任调解员3-5名", func(g string) bool {
			m := regexp.MustCompile(`(\d+)-(\d+)名`).FindStringSubmatch(g)
			return m != nil && num(m[1]) < num(m[2])
		}, "an ordered range"},
		{"镇政府1名", func(g string) bool { return num(g) >= 1 && num(g) != 1 }, "a positive count other than 1"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			for s := uint64(0); s < 50; s++ {
				if got := perturbFigures(tc.in, newRand(s)); !tc.check(got) {
					t.Fatalf("perturbFigures(%q) = %q, want %s", tc.in, got, tc.want)
				}
			}
		})
	}
}

func TestPerturbFiguresConsistent(t *testing.T) {
	in := "全镇10个村（社区）。……全镇10个村（社区）均建成。"
	got := perturbFigures(in, newRand(9))
	m := regexp.MustCompile(`(\d+)个`).FindAllStringSubmatch(got, -1)
	if len(m) != 2 || m[0][1] != m[1][1] {
		t.Errorf("perturbFigures(%q) = %q, want the same new figure twice", in, got)
	}
}

func num(s string) float64 {
	m := regexp.MustCompile(`\d+(?:\.\d+)?`).FindString(s)
	v, _ := strconv.ParseFloat(m, 64)
	return v
}

func TestShiftYears(t *testing.T) {
	tests := []struct{ in, want string }{
		{"渔门镇 2020 年度法治政府建设工作报告", "渔门镇 2023 年度法治政府建设工作报告"},
		{"2021年2月1日", "2024年2月1日"},
		{"2021-02-05印发", "2024-02-05印发"},
		{"濮镇字〔2021〕8号", "濮镇字〔2024〕8号"},
		{"拾万府文[2021]165号", "拾万府文[2024]165号"},
		{"依照《法治政府建设实施纲要(2021-2025)》", "依照《法治政府建设实施纲要(2021-2025)》"},
		{"(2021-2025年)", "(2024-2028年)"},
		{"二〇二一年二月", "二〇二四年二月"},
		{"二○二○年", "二○二三年"},
		{"投入2000元，受理2021件", "投入2000元，受理2021件"},
		{"12345市民热线", "12345市民热线"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := shiftYears(tc.in, 3); got != tc.want {
				t.Errorf("shiftYears(%q, 3) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	avoid := []string{"渔门", "大钟庄", "全镇平安建设"}
	poolSize := utf8.RuneCountInString(namePool)
	for _, n := range []int{0, 1, 500, poolSize*(poolSize-1) + 300} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			names := Names(n, newRand(2), avoid...)
			if len(names) != n {
				t.Fatalf("got %d names, want %d", len(names), n)
			}
			seen := map[string]bool{}
			for _, nm := range names {
				if seen[nm] {
					t.Fatalf("name %s twice", nm)
				}
				seen[nm] = true
				if k := utf8.RuneCountInString(nm); k < 2 || k > 3 {
					t.Fatalf("name %s has %d characters", nm, k)
				}
				for _, a := range avoid {
					if strings.Contains(a, nm) || strings.Contains(nm, a) {
						t.Fatalf("name %s clashes with %s", nm, a)
					}
				}
			}
		})
	}
}

func TestNamePoolClean(t *testing.T) {
	seen := map[rune]bool{}
	for _, r := range namePool {
		if seen[r] {
			t.Errorf("pool has %c twice", r)
		}
		seen[r] = true
		if strings.ContainsRune("我本全该各每在于对将和与及把被向从为是的了年月日省市县区州盟旗共其此那这之以由经据按至到给让使令请即并且或等个镇乡街道村一二三四五六七八九十百千万两〇", r) {
			t.Errorf("pool has %c, which ends or confuses a place name", r)
		}
	}
}

// TestDetectMetaThousand reads 1,000 look-alike reports with random
// two-character town names: at least 99.5% must get their unit and year
// right, and no report may get a unit that is neither a gazetteer name nor
// a name its text states as a unit (in the title or before an organ such
// as 人民政府 or 党委).
func TestDetectMetaThousand(t *testing.T) {
	seeds := mustSeeds(t)
	reports := Generate(seeds, 1000, newRand(11))
	right := 0
	var wrong []string
	for _, r := range reports {
		text := ingest.Clean(r.Text)
		m := ingest.DetectMetaFile(text, r.Name)
		if m.Town == r.Town && m.Year == r.Year {
			right++
		} else if len(wrong) < 10 {
			wrong = append(wrong, r.Name+": "+m.Town+" "+strconv.Itoa(m.Year)+", want "+r.Town+" "+strconv.Itoa(r.Year))
		}
		if m.Place == "" || m.Place == r.Town {
			continue
		}
		if len(divisions.Default().Named(m.Place)) == 0 && !statedAsUnit(text, m.Place) {
			t.Errorf("%s: unit %q is neither a gazetteer name nor stated as a unit", r.Name, m.Place)
		}
	}
	t.Logf("%d/%d right", right, len(reports))
	if right < 995 {
		t.Errorf("%d/1000 right, want at least 995; first misses: %v", right, wrong)
	}
}

// statedAsUnit reports whether text states name as a unit: in a short
// line (a title or signature) or before an organ.
func statedAsUnit(text, name string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, name) && utf8.RuneCountInString(line) <= 60 && !strings.ContainsAny(line, "，。,") {
			return true
		}
	}
	for _, organ := range []string{"人民政府", "党委", "党工委", "办事处"} {
		if strings.Contains(text, name+organ) {
			return true
		}
	}
	return false
}
