package rag_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"fazhi/rag"
)

// termsOf returns every Chinese term of every match, in order.
func termsOf(ms []rag.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Chinese...)
	}
	return out
}

// englishOf returns the canonical English phrase of every match, in order.
func englishOf(ms []rag.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.English)
	}
	return out
}

func TestDefaultGlossaryQuestions(t *testing.T) {
	g := rag.DefaultGlossary()
	tests := []struct {
		q    string
		want []string // Chinese terms that must be among the matches' terms
	}{
		// The English seed questions.
		{"How many disputes did Yumen mediate in 2020?", []string{"矛盾纠纷", "调解"}},
		{"What is the minimum annual law-study time for cadres in Quanzhang?", []string{"不少于", "年度", "学法时间", "干部"}},
		{"How many villages in Dazhongzhuang set up villagers' councils?", []string{"村", "建立", "议事会"}},
		{"How many legal training sessions did Chengguan town hold in 2020?", []string{"培训", "场", "镇", "举办"}},
		{"How many petition cases did Shiwan accept in 2021?", []string{"信访案件", "受理"}},
		// More questions officials ask.
		{"How many mediators does Chengguan have?", []string{"调解员"}},
		{"How many people did Chengguan train in 2020?", []string{"人次", "培训"}},
		{"What was Yumen's mediation success rate?", []string{"调解成功率", "成功率"}},
		{"How many calls to the 12345 hotline did Yumen answer?", []string{"12345市民热线", "热线", "回复"}},
		{"How many legal advisers did the district hire for Dazhongzhuang?", []string{"法律顾问", "区", "聘用"}},
		{"Who heads Chengguan's rule-of-law government leading group?", []string{"组长", "法治政府", "领导小组"}},
		{"How many staff in Chengguan hold law-enforcement certificates?", []string{"职工", "执法证"}},
		{"How many administrative approval procedures did Chengguan streamline?", []string{"行政审批", "流程", "优化"}},
		{"How many traffic violations were fined in Shiwan?", []string{"交通违法", "罚款"}},
		{"How many demonstration villages does Shiwan have?", []string{"民主法治示范村", "示范村"}},
		{"How many people under community correction are there in Shiwan?", []string{"社区矫正"}},
		{"How many people in drug rehabilitation does Shiwan report?", []string{"社区戒毒康复"}},
		{"How many publicity materials did Chengguan distribute?", []string{"宣传资料", "发放"}},
		{"How many banners did Dazhongzhuang make during the epidemic?", []string{"横幅", "制作", "疫情"}},
		{"What shortcomings did Yumen identify in building a law-based government?", []string{"不足", "法治政府建设"}},
		{"What are Shiwan's plans for 2022?", []string{"计划", "安排"}},
		{"Which laws did Dazhongzhuang's cadres study?", []string{"法律", "干部", "学习"}},
		{"When was Chengguan's report issued?", []string{"报告", "印发"}},
		{"What issues remain in Shiwan?", []string{"问题"}},
		{"What is the document number of Shiwan's report?", []string{"文号", "报告"}},
		{"Which county is Yumen in?", []string{"县"}},
		{"What case did the county court hear in Yumen on September 15?", []string{"案件", "县法院", "审理"}},
		{"How many petitioners did Yumen receive?", []string{"来信来访群众", "接待"}},
		{"How did Shiwan publicise anti-fraud work?", []string{"宣传", "反诈"}},
		{"How many disputes were resolved by the mediation committees in Chengguan?", []string{"矛盾纠纷", "化解", "调解组织"}},
		{"How many times did Dazhongzhuang hold pre-meeting law study in 2021?", []string{"次", "举办", "会前学法"}},
		{"How many villages in Chengguan have public legal service rooms?", []string{"村", "公共法律服务室"}},
		{"What did Quanzhang do for youth legal education?", []string{"青少年", "法治教育"}},
		{"Did Chengguan carry out legality reviews of normative documents?", []string{"开展", "合法性审查", "规范性文件"}},
		{"How many administrative reconsideration cases did Chengguan handle?", []string{"行政复议", "办理"}},
		{"How many administrative lawsuits did Quanzhang respond to in 2021?", []string{"行政应诉"}},
		{"How many lectures on the Civil Code and the Constitution were held?", []string{"讲座", "民法典", "宪法", "举办"}},
		{"How many leaflets on gang crime were handed out?", []string{"宣传单", "扫黑除恶", "发放"}},
		{"How many released prisoners are under resettlement and education in Shiwan?", []string{"刑满释放人员", "安置帮教"}},
		{"Which subdistricts published government information?", []string{"街道", "公开", "信息公开"}},
		{"How much did Dazhongzhuang invest in rule-of-law positions?", []string{"投资", "法治阵地"}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got := termsOf(g.Terms(tt.q))
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("Terms(%q) = %v, want it to include %q", tt.q, got, w)
				}
			}
		})
	}
}

func TestTermsMatching(t *testing.T) {
	g := rag.DefaultGlossary()
	tests := []struct {
		name string
		text string
		want []string // canonical English of the matches, in order
	}{
		{"plural -s", "disputes", []string{"dispute"}},
		{"plural -ies", "communities", []string{"community"}},
		{"past -ed", "mediated", []string{"mediate"}},
		{"gerund -ing", "mediating", []string{"mediate"}},
		{"third person -es", "mediates", []string{"mediate"}},
		{"doubled consonant", "planned", []string{"plan"}},
		{"possessive 's", "the governor's mailbox", []string{"governor's mailbox"}},
		{"plural possessive", "villagers' councils", []string{"villagers' council"}},
		{"curly apostrophe", "villagers’ councils", []string{"villagers' council"}},
		{"hyphen equals space", "law-study time", []string{"law study time"}},
		{"space equals hyphen", "law enforcement certificate", []string{"law-enforcement certificate"}},
		{"case-insensitive", "LEGAL ADVISERS", []string{"legal adviser"}},
		{"longest match wins", "legal adviser", []string{"legal adviser"}},
		{"longest match then rest", "legal training sessions", []string{"legal training", "times"}},
		{"articles ignored", "heard the case", []string{"trial"}},
		{"each entry once", "disputes, more disputes, conflicts", []string{"dispute"}},
		{"question order", "fines for traffic violations", []string{"fine", "traffic violation"}},
		{"exact form issued", "report issued", []string{"report", "issued"}},
		{"inflection of exact form's stem", "issues", []string{"problem"}},
		{"mixed with chinese", "渔门镇 disputes 2020年", []string{"dispute"}},
		{"chinese only", "渔门镇2020年调解纠纷多少件", nil},
		{"no match", "How many?", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := englishOf(g.Terms(tt.text)); !slices.Equal(got, tt.want) {
				t.Errorf("Terms(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestTermsOffsets(t *testing.T) {
	g := rag.DefaultGlossary()
	q := "How many Legal-Advisers did the district hire for Dazhongzhuang's villages?"
	want := []string{"Legal-Advisers", "district", "hire", "villages"}
	ms := g.Terms(q)
	var got []string
	prev := -1
	for _, m := range ms {
		if m.Start < 0 || m.End > len(q) || m.Start >= m.End {
			t.Fatalf("match %q has bad span [%d,%d) in %d bytes", m.English, m.Start, m.End, len(q))
		}
		if m.Start <= prev {
			t.Errorf("match %q starts at %d, not after the previous match at %d", m.English, m.Start, prev)
		}
		prev = m.Start
		got = append(got, q[m.Start:m.End])
	}
	if !slices.Equal(got, want) {
		t.Errorf("matched spans = %q, want %q", got, want)
	}
}

func TestTermsReturnsCopies(t *testing.T) {
	g := rag.DefaultGlossary()
	first := g.Terms("disputes")
	if len(first) != 1 {
		t.Fatalf("Terms(disputes) = %v, want one match", first)
	}
	want := slices.Clone(first[0].Chinese)
	first[0].Chinese[0] = "改"
	if got := g.Terms("disputes")[0].Chinese; !slices.Equal(got, want) {
		t.Errorf("after mutating a result, Terms(disputes) = %v, want %v", got, want)
	}
}

func TestEmptyGlossary(t *testing.T) {
	for name, g := range map[string]*rag.Glossary{"nil": nil, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			if got := g.Terms("disputes"); got != nil {
				t.Errorf("Terms = %v, want nil", got)
			}
			if got := g.Len(); got != 0 {
				t.Errorf("Len = %d, want 0", got)
			}
		})
	}
}

func TestDefaultGlossaryConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if ms := rag.DefaultGlossary().Terms("How many disputes did Yumen mediate?"); len(ms) != 2 {
				t.Errorf("got %d matches, want 2", len(ms))
			}
		})
	}
	wg.Wait()
}

func TestDefaultGlossaryLen(t *testing.T) {
	if got, min := rag.DefaultGlossary().Len(), 200; got < min {
		t.Errorf("DefaultGlossary().Len() = %d, want at least %d", got, min)
	}
}

func TestParseGlossary(t *testing.T) {
	data := "# comment\n\ndispute|disputes\t矛盾纠纷|纠纷\r\nlegal adviser\t法律顾问\n=issued\t印发\nissue\t问题\n"
	g, err := rag.ParseGlossary(strings.NewReader(data))
	if err != nil {
		t.Fatalf("ParseGlossary: %v", err)
	}
	if got := g.Len(); got != 4 {
		t.Errorf("Len = %d, want 4", got)
	}
	if got, want := termsOf(g.Terms("Legal advisers settled disputes")), []string{"法律顾问", "矛盾纠纷", "纠纷"}; !slices.Equal(got, want) {
		t.Errorf("Terms = %v, want %v", got, want)
	}
	if got, want := termsOf(g.Terms("issues issued")), []string{"问题", "印发"}; !slices.Equal(got, want) {
		t.Errorf("Terms = %v, want %v", got, want)
	}
}

func TestParseGlossaryErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // substring of the error
	}{
		{"one column", "ok\t好\ndispute\n", "line 2: want 2 tab-separated columns, got 1"},
		{"three columns", "dispute\t纠纷\textra\n", "line 1: want 2 tab-separated columns, got 3"},
		{"uppercase english", "# c\nDispute\t纠纷\n", "line 2: english \"Dispute\" is not lowercase"},
		{"empty english variant", "dispute||conflict\t纠纷\n", "line 1: empty english variant"},
		{"empty english column", "\t纠纷\n", "line 1: empty english variant"},
		{"no words", "--\t纠纷\n", "line 1: english variant \"--\" has no words"},
		{"empty chinese column", "dispute\t\n", "line 1: no chinese terms"},
		{"empty chinese term", "dispute\t纠纷|\n", "line 1: empty chinese term"},
		{"latin in chinese", "dispute\t纠纷|jiufen\n", "line 1: chinese term \"jiufen\" is not Han text"},
		{"digits only", "hotline\t12345\n", "line 1: chinese term \"12345\" is not Han text"},
		{"repeated chinese", "dispute\t纠纷|纠纷\n", "line 1: chinese term \"纠纷\" repeated"},
		{"duplicate variant", "dispute\t纠纷\n\nconflict|dispute\t矛盾\n", "line 3: english variant \"dispute\" duplicates line 1"},
		{"duplicate after inflection", "dispute\t纠纷\ndisputes\t矛盾\n", "line 2: english variant \"disputes\" duplicates line 1"},
		{"duplicate after hyphen", "law study\t学法\nlaw-study\t学习\n", "line 2: english variant \"law-study\" duplicates line 1"},
		{"duplicate exact", "=issued\t印发\n=issued\t发布\n", "line 2: english variant \"issued\" duplicates line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rag.ParseGlossary(strings.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseGlossary error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// glossaryRow is one data line of glossary.tsv, read without the parser.
type glossaryRow struct {
	line    int
	english []string
	chinese []string
}

func mustReadGlossaryRows(tb testing.TB) []glossaryRow {
	tb.Helper()
	f, err := os.Open("glossary.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []glossaryRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		en, zh, ok := strings.Cut(line, "\t")
		if !ok {
			tb.Fatalf("glossary.tsv line %d: no tab", n)
		}
		rows = append(rows, glossaryRow{line: n, english: strings.Split(en, "|"), chinese: strings.Split(zh, "|")})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

// Every English variant, asked on its own, must come back as exactly its own
// row: no variant is shadowed by, or duplicated in, another row.
func TestGlossaryVariantsResolveToOwnRow(t *testing.T) {
	g := rag.DefaultGlossary()
	for _, row := range mustReadGlossaryRows(t) {
		for _, v := range row.english {
			v = strings.TrimPrefix(v, "=")
			ms := g.Terms(v)
			if len(ms) != 1 {
				t.Errorf("line %d: Terms(%q) = %q, want exactly this row", row.line, v, englishOf(ms))
				continue
			}
			if !slices.Equal(ms[0].Chinese, row.chinese) {
				t.Errorf("line %d: Terms(%q) maps to %v (%q), want %v", row.line, v, ms[0].Chinese, ms[0].English, row.chinese)
			}
			if ms[0].Start != 0 || ms[0].End != len(v) {
				t.Errorf("line %d: Terms(%q) matched only %q", row.line, v, v[ms[0].Start:ms[0].End])
			}
		}
	}
}

func TestGlossaryChineseIsHan(t *testing.T) {
	for _, row := range mustReadGlossaryRows(t) {
		for _, term := range row.chinese {
			han := 0
			for _, r := range term {
				switch {
				case unicode.Is(unicode.Han, r):
					han++
				case r >= '0' && r <= '9':
				default:
					t.Errorf("line %d: Chinese term %q has non-Han rune %q", row.line, term, r)
				}
			}
			if han == 0 {
				t.Errorf("line %d: Chinese term %q has no Han text", row.line, term)
			}
		}
	}
}

// The glossary must speak the reports' language: nearly every entry has a
// term that occurs verbatim in the real reports (the seeds and the real
// development set).
func TestGlossaryTermsOccurInRealReports(t *testing.T) {
	seeds, err := filepath.Glob(filepath.Join("..", "testdata", "reports", "*.txt"))
	if err != nil || len(seeds) == 0 {
		t.Fatalf("no seed reports found (err %v)", err)
	}
	real, err := filepath.Glob(filepath.Join("..", "testdata", "real", "docs", "*.txt"))
	if err != nil || len(real) == 0 {
		t.Fatalf("no real reports found (err %v)", err)
	}
	files := append(seeds, real...)
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString(joinCJKSpaces(string(b)))
	}
	text := all.String()
	rows := mustReadGlossaryRows(t)
	var missing []string
	for _, row := range rows {
		if !slices.ContainsFunc(row.chinese, func(term string) bool { return strings.Contains(text, term) }) {
			missing = append(missing, fmt.Sprintf("line %d %v", row.line, row.chinese))
		}
	}
	t.Logf("%d of %d entries have a term found in the real reports; without: %v", len(rows)-len(missing), len(rows), missing)
	if max := len(rows) / 20; len(missing) > max {
		t.Errorf("%d entries have no term in the real reports, want at most %d", len(missing), max)
	}
}

// cjkSpace matches whitespace between two characters that are each a Han
// character or a digit, with at least one Han: the spaces the cleaner drops.
var cjkSpace = regexp.MustCompile(`(\p{Han})[ \t\x{3000}]+(\p{Han}|[0-9])|([0-9])[ \t\x{3000}]+(\p{Han})`)

// joinCJKSpaces removes the spaces that PDF extraction puts between digits
// and Chinese characters ("2020 年" → "2020年"), as the ingest cleaner does.
func joinCJKSpaces(s string) string {
	for {
		t := cjkSpace.ReplaceAllString(s, "$1$2$3$4")
		if t == s {
			return s
		}
		s = t
	}
}

func BenchmarkTerms(b *testing.B) {
	g := rag.DefaultGlossary()
	q := "What is the minimum annual law-study time for cadres in Quanzhang, and how many legal training sessions did Chengguan town hold in 2020?"
	b.ReportAllocs()
	for b.Loop() {
		g.Terms(q)
	}
}

func ExampleGlossary_Terms() {
	g := rag.DefaultGlossary()
	for _, m := range g.Terms("How many petition cases did Shiwan accept in 2021?") {
		fmt.Println(m.English, m.Chinese)
	}
	// Output:
	// petition case [信访案件 信访]
	// accept [受理]
}
