package ingest_test

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fazhi/ingest"
)

// factUpdate is the -update flag that rewrites testdata/facts/*.golden. Other
// golden tests in this package may define the same flag; it is shared.
var factUpdate = func() *bool {
	if flag.Lookup("update") != nil {
		return nil
	}
	return flag.Bool("update", false, "rewrite golden files in testdata")
}()

// factUpdating reports whether -update was given.
func factUpdating() bool {
	if factUpdate != nil {
		return *factUpdate
	}
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// wantFact is the part of a Fact that ExtractFacts fills, less the quote.
type wantFact struct {
	Value   float64
	Unit    string
	Approx  string
	Metric  string
	Subject string
}

func gotFacts(fs []ingest.Fact) []wantFact {
	out := make([]wantFact, len(fs))
	for i, f := range fs {
		out[i] = wantFact{f.Value, f.Unit, f.Approx, f.Metric, f.Subject}
	}
	return out
}

func TestExtractFacts(t *testing.T) {
	tests := []struct {
		name     string
		sentence string
		want     []wantFact
	}{
		{
			name:     "dispute list with hotline and rate",
			sentence: "2020年共排查、调解各类矛盾纠纷368件，调解成功350件，调解成功率98%，办理回复12345市民热线111件，接待答复来信来访群众62余次，答复国家信访局交办、督办信件8件、省信访局转办3件、省长信箱2件。",
			want: []wantFact{
				{368, "件", "", "disputes_mediated", "排查、调解各类矛盾纠纷"},
				{350, "件", "", "mediation_success", "调解成功"},
				{98, "%", "", "mediation_rate", "调解成功率"},
				{111, "件", "", "hotline_cases", "办理回复12345市民热线"},
				{62, "次", "余", "petitions", "接待答复来信来访群众"},
				{8, "件", "", "petitions", "答复国家信访局交办、督办信件"},
				{3, "件", "", "petitions", "省信访局转办"},
				{2, "件", "", "hotline_cases", "省长信箱"},
			},
		},
		{
			name:     "petitions in 宗 and a rate",
			sentence: "今年以来，共受理信访案件34宗，调处率100%。",
			want: []wantFact{
				{34, "宗", "", "petitions", "受理信访案件"},
				{100, "%", "", "mediation_rate", "调处率"},
			},
		},
		{
			name:     "spaced digits and 达到",
			sentence: "我们镇村两级建立矛盾纠纷调解组织 35 个，每村聘任调解员 3-5 名，全镇调解员达到 132 人，形成了工作体系。",
			want: []wantFact{
				{35, "个", "", "mediation_orgs", "镇村两级建立矛盾纠纷调解组织"},
				{3, "名", "3-5", "", "每村聘任调解员"},
				{132, "人", "", "mediators", "全镇调解员"},
			},
		},
		{
			name:     "fines and traffic violations",
			sentence: "专项行动开展以来，处罚两、三轮电动车无牌无证、违法载人等交通违法行为164起，共罚款2730元，组织100余名两三轮、变型拖拉机车主集中学习。",
			want: []wantFact{
				{164, "起", "", "traffic_violations", "处罚两、三轮电动车无牌无证、违法载人等交通违法行为"},
				{2730, "元", "", "fines", "罚款"},
				{100, "名", "余", "", "组织两三轮、变型拖拉机车主"},
			},
		},
		{
			name:     "thousands separator",
			sentence: "共罚款2,730元。",
			want:     []wantFact{{2730, "元", "", "fines", "罚款"}},
		},
		{
			name:     "counted noun after the unit",
			sentence: "区为我镇聘用10名法律顾问，其中镇政府1名，45个行政村9名。",
			want: []wantFact{
				{10, "名", "", "legal_advisers", "区为我镇聘用法律顾问"},
				{1, "名", "", "", "镇政府"},
				{45, "个", "", "villages", "行政村"},
				{9, "名", "", "", "45个行政村"},
			},
		},
		{
			name:     "money in 万元 is kept in yuan",
			sentence: "镇村两级投资10多万元，完善了45村法治阵地建设，完成率100%。",
			want: []wantFact{
				{100000, "元", "多", "investment", "镇村两级投资"},
				{45, "村", "", "villages", "完善了法治阵地建设"},
				{100, "%", "", "", "完成率"},
			},
		},
		{
			name:     "万余 and 多",
			sentence: "并入户发放《疫情控制明白纸》2万余份，制作宣传横幅1500多条。",
			want: []wantFact{
				{20000, "份", "余", "materials_distributed", "入户发放《疫情控制明白纸》"},
				{1500, "条", "多", "banners", "制作宣传横幅"},
			},
		},
		{
			name:     "Chinese numerals",
			sentence: "聘请了一名专职律师，设立政务公开栏两块，举办培训十余次，开展宣传三十二场。",
			want: []wantFact{
				{1, "名", "", "lawyers", "聘请了专职律师"},
				{2, "块", "", "banners", "设立政务公开栏"},
				{10, "次", "余", "trainings", "举办培训"},
				{32, "场", "", "publicity_events", "开展宣传"},
			},
		},
		{
			name:     "qualifier before the number",
			sentence: "今年排查矛盾纠纷约53起，调处矛盾纠纷约53件，调处率达100%。",
			want: []wantFact{
				{53, "起", "约", "disputes_mediated", "排查矛盾纠纷"},
				{53, "件", "约", "disputes_mediated", "调处矛盾纠纷"},
				{100, "%", "", "mediation_rate", "调处率"},
			},
		},
		{
			name:     "不少于 and hours",
			sentence: "确保领导干部和机关事业单位干部年度学法时间不少于40小时。",
			want:     []wantFact{{40, "小时", "不少于", "law_study_hours", "领导干部和机关事业单位干部年度学法时间"}},
		},
		{
			name:     "rate per period gets no metric",
			sentence: "中心组学习法律知识和法学理论，每年不少于三次，机关干部组织开展了普法知识讲座。",
			want:     []wantFact{{3, "次", "不少于", "", "中心组学习法律知识和法学理论，每年"}},
		},
		{
			name:     "staff and certificates",
			sentence: "截至目前，我镇共有在职职工 104 人，其中持有行政执法证的仅 20 人，持证率不到 20%，执法力量明显不足。",
			want: []wantFact{
				{104, "人", "", "staff", "在职职工"},
				{20, "人", "", "enforcement_certificates", "持有行政执法证"},
				{20, "%", "不到", "enforcement_cert_rate", "持证率"},
			},
		},
		{
			name:     "people trained and sessions",
			sentence: "一年来，我镇先后举办各类法律培训8场，累计培训240余人次，领导干部的法律素养得到明显提高。",
			want: []wantFact{
				{8, "场", "", "trainings", "举办各类法律培训"},
				{240, "人次", "余", "people_trained", "培训"},
			},
		},
		{
			name:     "就 introduces the counted act",
			sentence: "2020 年仅渔门镇党委会就专题学法 33 次，学习各类法律 70 余次；",
			want: []wantFact{
				{33, "次", "", "law_study_sessions", "专题学法"},
				{70, "次", "余", "law_study_sessions", "学习各类法律"},
			},
		},
		{
			name:     "range with 至",
			sentence: "每个案件指派 1 至 2 名调解员参与。",
			want:     []wantFact{{1, "名", "1至2", "", "每个案件指派调解员"}},
		},
		{
			name:     "以上 after the unit and 百分之",
			sentence: "群众满意度达百分之九十五，参训人员100人以上。",
			want: []wantFact{
				{95, "%", "", "", "群众满意度"},
				{100, "人", "以上", "people_trained", "参训人员"},
			},
		},
		{
			name:     "two measures of one thing",
			sentence: "2021年，我镇共受理群众来信来访46批次98人次。",
			want: []wantFact{
				{46, "批次", "", "petitions", "受理群众来信来访"},
				{98, "人次", "", "petitions", "受理群众来信来访"},
			},
		},
		{
			name:     "为 after a measure",
			sentence: "群众满意度为98%，法律明白人86名。",
			want: []wantFact{
				{98, "%", "", "", "群众满意度"},
				{86, "名", "", "legal_literates", "法律明白人"},
			},
		},
		{
			name:     "words ending in a qualifier are not qualifiers",
			sentence: "签约3户，就近安置20人，传达5次。",
			want: []wantFact{
				{3, "户", "", "", "签约"},
				{20, "人", "", "", "就近安置"},
				{5, "次", "", "", "传达"},
			},
		},
		{
			name:     "Chinese figures with 余 and 百分之",
			sentence: "全年调处各类纠纷一百二十余起，调解成功率达百分之九十八。",
			want: []wantFact{
				{120, "起", "余", "disputes_mediated", "调处各类纠纷"},
				{98, "%", "", "mediation_rate", "调解成功率"},
			},
		},
		{
			name:     "full-width digits",
			sentence: "悬挂党风廉政建设宣传标语４５幅。",
			want:     []wantFact{{45, "幅", "", "banners", "悬挂党风廉政建设宣传标语"}},
		},
		{
			name:     "demo villages follow a figure",
			sentence: "目前，拾万镇10个村（社区）中2个创建成为“民主法治示范村”，另外2个正在进行申报。",
			want: []wantFact{
				{10, "个", "", "villages", "拾万镇村（社区）中"},
				{2, "个", "", "demo_villages", "创建成为民主法治示范村"},
				{2, "个", "", "", "正在进行申报"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := ingest.ExtractFacts(tt.sentence)
			got := gotFacts(fs)
			if len(got) != len(tt.want) {
				t.Fatalf("ExtractFacts(%q) gave %d facts, want %d:\n got %+v\nwant %+v", tt.sentence, len(got), len(tt.want), got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("fact %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
				if fs[i].Quote != strings.TrimSpace(tt.sentence) {
					t.Errorf("fact %d: Quote = %q, want the trimmed sentence", i, fs[i].Quote)
				}
			}
		})
	}
}

func TestExtractFactsNone(t *testing.T) {
	sentences := []string{
		"2020年，渔门镇认真贯彻落实依法治国基本方略。",
		"紧扣《盐边县法治宣传教育第七个五年规划(2016—2020 年)》和《中共盐边县委全面依法治县委员会 2020 年工作要点》。",
		"9月15日县法院绿色生态巡回法庭在渔门镇犀牛村公开审理了一起村民失火毁林案件。",
		"渔门镇人民政府2021年2月1日",
		"濮镇字〔2021〕8号",
		"大足府办法〔2021〕69号文件要求",
		"在“3.15”消费者权益保护日、6 月安全宣传月、“6.26”禁毒日、“11.9”消防日和“12.4”宪法日等重要普法宣传日，广泛开展法制宣传。",
		"全面推进依法治镇、依法行政、“七五”普法等工作。",
		"稳步增强八五普法深入力度。",
		"深入学习贯彻党的十九大精神。",
		"带头学习中央依法治国委第一次、第二次、第三次、第四次议精神。",
		"一是领导干部带头学法用法；二是结合专项工作定向普法。",
		"充分利用一村（社区）一法律顾问的法律服务工作机制。",
		"各村均已完成一户一档、一人一策工作。",
		"做到一站式服务和服务型执法。",
		"坚持矛盾纠纷100%排查、100%化解的指导思想。",
		"二是法治思维运用到解决实际工作困难上还有差距，有“两张皮”的现象。",
		"增强“四个意识”、坚定“四个自信”、做到“两个维护”。",
		"办理回复12345市民热线。",
		"坚定不移走进千家万户。",
		"村居法律顾问每周四为所服务的村提供现场法律服务。",
		"扎实推进“十四五”规划，落实《法治政府建设实施纲要(2021-2025)》。",
		"组织巡逻队员开展G20安保培训。",
		"营造一个良好的法治环境。",
		"统一名称，统一标识。",
		"第3次会议审议通过，历时3个月完成，5个工作日内办结，提高2个百分点。",
		"社区矫正对象无一人重新犯罪。",
		"做到两个到位：信息畅通到位。",
		"实现矛盾纠纷100%全覆盖。",
		"处罚两、三轮电动车。",
		"进一步推进法治政府建设。",
		"",
		"   ",
	}
	for _, s := range sentences {
		t.Run(s, func(t *testing.T) {
			if got := ingest.ExtractFacts(s); len(got) != 0 {
				t.Errorf("ExtractFacts(%q) = %+v, want no facts", s, gotFacts(got))
			}
		})
	}
}

func TestMetricFor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"调解了多少矛盾纠纷", "disputes_mediated"},
		{"渔门镇2020年共排查、调解各类矛盾纠纷多少件？", "disputes_mediated"},
		{"黄桷镇2021年调解了多少起矛盾纠纷？", "disputes_mediated"},
		{"大钟庄镇2021年全年共调处各类矛盾纠纷多少件次？", "disputes_mediated"},
		{"受理信访案件多少宗", "petitions"},
		{"拾万镇2021年共受理信访案件多少宗？", "petitions"},
		{"罚款多少元", "fines"},
		{"拾万镇交通违法共罚款多少元？", "fines"},
		{"拾万镇道路交通安全专项整治处罚交通违法行为多少起？", "traffic_violations"},
		{"调解成功率", "mediation_rate"},
		{"渔门镇2020年矛盾纠纷调解成功率是多少？", "mediation_rate"},
		{"调成率", "mediation_rate"},
		{"调解成功", "mediation_success"},
		{"渔门镇2020年办理回复12345市民热线多少件？", "hotline_cases"},
		{"2020年渔门镇党委会专题学法多少次？", "law_study_sessions"},
		{"大钟庄镇2021年开展会前学法多少次？", "law_study_sessions"},
		{"泉掌镇要求领导干部年度学法时间不少于多少小时？", "law_study_hours"},
		{"大钟庄镇一年来悬挂了多少幅党风廉政建设宣传标语？", "banners"},
		{"区里为大钟庄镇聘用了多少名法律顾问？", "legal_advisers"},
		{"城关镇全镇调解员有多少人？", "mediators"},
		{"城关镇在职职工中持有行政执法证的有多少人？", "enforcement_certificates"},
		{"城关镇优化了多少项政务行政审批流程？", "approval_items"},
		{"拾万镇有几个村（社区）已创建成为民主法治示范村？", "demo_villages"},
		{"城关镇2020年举办了多少场法律培训？", "trainings"},
		{"累计培训多少人次", "people_trained"},
		{"渔门镇2020年办理行政复议案件多少件？", "administrative_reconsideration"},
		{"泉掌镇2021年行政应诉案件多少件", "administrative_litigation"},
		{"发放宣传资料多少份", "materials_distributed"},
		{"社区矫正人员有多少名", "community_corrections"},
		{"建立了多少个调解组织", "mediation_orgs"},
		{"在职职工", "staff"},
		{"规范性文件", "normative_documents"},
		{"合法性审查规范性文件多少件", "legality_reviews"},
		{"开展法治讲座多少场", "law_lectures"},
		{"开展街头法律宣传活动多少次", "publicity_events"},
		{"今天天气怎么样", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ingest.MetricFor(tt.in); got != tt.want {
				t.Errorf("MetricFor(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	ms := ingest.Metrics()
	required := []string{
		"disputes_mediated", "mediation_success", "mediation_rate", "petitions", "hotline_cases",
		"legal_advisers", "lawyers", "mediators", "mediation_orgs", "trainings", "people_trained",
		"law_study_sessions", "law_lectures", "publicity_events", "materials_distributed", "banners",
		"fines", "traffic_violations", "enforcement_certificates", "staff", "approval_items",
		"disclosed_items", "administrative_reconsideration", "administrative_litigation",
		"normative_documents", "legality_reviews", "demo_villages", "villages", "community_corrections",
	}
	keys := map[string]bool{}
	for _, m := range ms {
		if keys[m.Key] {
			t.Errorf("duplicate metric key %q", m.Key)
		}
		keys[m.Key] = true
		if m.Label == "" || m.English == "" || len(m.Keywords) == 0 {
			t.Errorf("metric %q: label %q, english %q, %d keywords; want all set", m.Key, m.Label, m.English, len(m.Keywords))
		}
		for _, k := range m.Keywords {
			if strings.ContainsAny(k, " \t|") {
				t.Errorf("metric %q: keyword %q holds a separator", m.Key, k)
			}
		}
	}
	for _, k := range required {
		if !keys[k] {
			t.Errorf("metric %q missing from the table", k)
		}
	}
	// Metrics returns copies: changing them does not change the table.
	ms[0].Keywords[0] = "changed"
	if ingest.Metrics()[0].Keywords[0] == "changed" {
		t.Error("Metrics returned the table's own slices")
	}
}

// factSeedText reads a seed report and cleans it as ingest does.
func factSeedText(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return ingest.Clean(string(b))
}

func factSeedPaths(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "reports", "*.txt"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no seed reports found: %v", err)
	}
	return paths
}

// factFormat renders facts one per line: value, unit, approx, metric,
// subject, quote, tab-separated.
func factFormat(fs []ingest.Fact) string {
	var b strings.Builder
	b.WriteString("# value\tunit\tapprox\tmetric\tsubject\tquote\n")
	for _, f := range fs {
		b.WriteString(strconv.FormatFloat(f.Value, 'f', -1, 64))
		for _, s := range []string{f.Unit, f.Approx, f.Metric, f.Subject, f.Quote} {
			b.WriteByte('\t')
			b.WriteString(s)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestFactsGolden(t *testing.T) {
	for _, path := range factSeedPaths(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			var fs []ingest.Fact
			for _, s := range ingest.Sentences(factSeedText(t, path)) {
				fs = append(fs, ingest.ExtractFacts(s)...)
			}
			got := factFormat(fs)
			golden := filepath.Join("testdata", "facts", name+".golden")
			if factUpdating() {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./ingest -run TestFactsGolden -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("facts of %s differ from %s (rerun with -update and review the diff):\n%s", name, golden, factLineDiff(string(want), got))
			}
		})
	}
}

// factLineDiff lists the lines only in want (-) and only in got (+).
func factLineDiff(want, got string) string {
	in := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if g[l] == 0 {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if w[l] == 0 {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// TestSeedFactsRequired pins the figures the eval questions ask about, so
// a golden regenerated by mistake cannot silently drop them.
func TestSeedFactsRequired(t *testing.T) {
	var all []ingest.Fact
	for _, path := range factSeedPaths(t) {
		for _, s := range ingest.Sentences(factSeedText(t, path)) {
			all = append(all, ingest.ExtractFacts(s)...)
		}
	}
	tests := []struct {
		value           float64
		unit, metric    string
		subjectContains string
	}{
		{368, "件", "disputes_mediated", "排查、调解各类矛盾纠纷"},
		{111, "件", "hotline_cases", "12345市民热线"},
		{132, "人", "mediators", "调解员"},
		{2730, "元", "fines", "罚款"},
		{34, "宗", "petitions", "信访案件"},
		{68, "件次", "disputes_mediated", "矛盾纠纷"},
		{98, "%", "mediation_rate", "调解成功率"},
		{350, "件", "mediation_success", "调解成功"},
		{33, "次", "law_study_sessions", "专题学法"},
		{12, "次", "law_study_sessions", "会前学法"},
		{45, "幅", "banners", "党风廉政建设宣传标语"},
		{10, "名", "legal_advisers", "法律顾问"},
		{20, "人", "enforcement_certificates", "执法证"},
		{133, "项", "approval_items", "审批"},
		{164, "起", "traffic_violations", "交通违法行为"},
		{40, "小时", "law_study_hours", "学法时间"},
		{46, "件", "disputes_mediated", "矛盾纠纷"},
		{8, "场", "trainings", "培训"},
		{2, "个", "demo_villages", "民主法治示范村"},
		{45, "村", "villages", ""},
	}
	for _, tt := range tests {
		t.Run(strconv.FormatFloat(tt.value, 'f', -1, 64)+tt.unit, func(t *testing.T) {
			for _, f := range all {
				if f.Value == tt.value && f.Unit == tt.unit && f.Metric == tt.metric && strings.Contains(f.Subject, tt.subjectContains) {
					return
				}
			}
			t.Errorf("no fact %v %s metric %s with subject containing %q", tt.value, tt.unit, tt.metric, tt.subjectContains)
		})
	}
}

func FuzzExtractFacts(f *testing.F) {
	seeds := []string{
		"2020年共排查、调解各类矛盾纠纷368件，调解成功350件，调解成功率98%。",
		"镇村两级投资10多万元，完善了45村法治阵地建设，完成率100%。",
		"每村聘任调解员 3-5 名，全镇调解员达到 132 人",
		"一百二十名、两千余份、十余次、百分之九十五",
		"9999999999999999999999万亿元",
		"1.2.3件 1,234,567元 ，,，5%%",
		"第一次“四个意识”一村一法律顾问",
		"（（（3名）））》》《《",
		"约近不少于以上",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fact := range ingest.ExtractFacts(s) {
			if math.IsNaN(fact.Value) || math.IsInf(fact.Value, 0) {
				t.Errorf("ExtractFacts(%q): value %v is not finite", s, fact.Value)
			}
			if fact.Unit == "" {
				t.Errorf("ExtractFacts(%q): fact without unit: %+v", s, fact)
			}
			if fact.Quote != strings.TrimSpace(s) {
				t.Errorf("ExtractFacts(%q): Quote %q is not the trimmed sentence", s, fact.Quote)
			}
		}
		ingest.MetricFor(s)
		if v, ok := ingest.ParseNumber(s); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Errorf("ParseNumber(%q) = %v, not finite", s, v)
		}
	})
}

func BenchmarkExtractFacts(b *testing.B) {
	var sentences []string
	for _, path := range factSeedPaths(b) {
		sentences = append(sentences, ingest.Sentences(factSeedText(b, path))...)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range sentences {
			ingest.ExtractFacts(s)
		}
	}
}
