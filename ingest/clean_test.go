package ingest_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"fazhi/ingest"
)

// The -update flag rewrites golden files. Other test files of this package
// may register it too; init functions run after all package variables are
// initialised, so registering here only when absent works either way.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

// updating reports whether -update was given.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// seedReports returns the paths of the seed reports.
func seedReportPaths(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob("../testdata/reports/*.txt")
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no seed reports found (%v)", err)
	}
	return paths
}

// mustRead returns the content of path.
func fixtureText(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkCleanGolden(t *testing.T, golden, got string) {
	t.Helper()
	if updating() {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := fixtureText(t, golden)
	if got != want {
		t.Errorf("output differs from %s (run go test ./ingest -run %s -update to accept):\n%s", golden, t.Name(), firstLineDiff(got, want))
	}
}

// firstDiff describes the first differing line of two texts.
func firstLineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return "(no line differs)"
}

func TestCleanGolden(t *testing.T) {
	for _, path := range seedReportPaths(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			got := ingest.Clean(fixtureText(t, path))
			checkCleanGolden(t, filepath.Join("testdata", "clean", name+".golden"), got)
			if again := ingest.Clean(got); again != got {
				t.Errorf("Clean is not idempotent on %s:\n%s", name, firstLineDiff(again, got))
			}
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"only white space", " \r\n\u3000\n\t\n", ""},
		{"newlines normalised", "第一句。\r\n第二句。\r第三句。", "第一句。\n第二句。\n第三句。\n"},
		{"BOM and zero-width characters", "\uFEFF报告\u200B全文。", "报告全文。\n"},
		{"full-width digits, letters, percent and space", "共调解３６８件，成功率９８％，ＡＰＰ　ｘｙｚ。", "共调解368件，成功率98%，APP xyz。\n"},
		{"Chinese punctuation kept", "（一）依法行政，“七五”普法；《宪法》〔2021〕！", "（一）依法行政，“七五”普法；《宪法》〔2021〕！\n"},
		{"bookmarks", "[bookmark: _GoBack] 拾万府文〔2021〕165号[bookmark: x1]", "拾万府文〔2021〕165号\n"},
		{"markdown heading and emphasis", "## 一、主要举措\n\n### **（三）依法办事**\n\n**1、强化教育。**一是加强。", "一、主要举措\n\n（三）依法办事\n\n1、强化教育。一是加强。\n"},
		{"hash inside text kept", "第#3号文件。", "第#3号文件。\n"},
		{"page numbers", "第一段。\n- 3 -\n第二段。\n—3—\n第3页\n3/10\n12\n第 2 页 共 10 页\nPage 4 of 9", "第一段。\n第二段。\n"},
		{"web page chrome", "来源：司法所　发布时间：2021-02-05　浏览次数：1024\n信息索引号：000014349/2021-00123\n【打印】【关闭】\n【字体：大 中 小】\n当前位置：首页 > 政务公开\n正文。\n上一篇：关于某某的通知", "正文。\n"},
		{"text mentioning web words kept", "作者认为依法行政很重要，来源于实践。", "作者认为依法行政很重要，来源于实践。\n"},
		{"spaces between digits and CJK", "渔门镇 2020 年度共 368 件，132 人，2021 年 2 月 1 日，98% 以上", "渔门镇2020年度共368件，132人，2021年2月1日，98%以上\n"},
		{"spaces next to full-width punctuation", "（一）加强监督。 建设法治政府 ，依法行政。", "（一）加强监督。建设法治政府，依法行政。\n"},
		{"spaces between Latin words kept", "rule  of law 与 APP 注册", "rule of law 与 APP 注册\n"},
		{"blank lines collapsed, lines trimmed", "\n\n第一段。   \n\n\n\n  第二段。  \n\n", "第一段。\n\n第二段。\n"},
		{"sentence cut by a page break joined", "2020年渔门镇积极开展内容丰富的法治学习培训、\n\n- 3 -\n\n宣传活动，充分利用广播、板报。", "2020年渔门镇积极开展内容丰富的法治学习培训、宣传活动，充分利用广播、板报。\n"},
		{"cut before the final mark joined", "一是广大人民群众的法治教育需要进一步加强，尤其是农村违法违规现象仍然时有发\n\n生。", "一是广大人民群众的法治教育需要进一步加强，尤其是农村违法违规现象仍然时有发生。\n"},
		{"cut after a closing title mark joined", "积极开展法律法规宣传，以宣传《传染病防治法》《森林法》《攀枝花市森林草原防灭火条例》\n为重点，以案说法。", "积极开展法律法规宣传，以宣传《传染病防治法》《森林法》《攀枝花市森林草原防灭火条例》为重点，以案说法。\n"},
		{"heading not joined", "一、总体情况\n成立了领导小组。", "一、总体情况\n成立了领导小组。\n"},
		{"heading with commas not joined", "（一）加强组织领导，落实主体责任，强化保障措施\n成立了以镇长为组长的领导小组。", "（一）加强组织领导，落实主体责任，强化保障措施\n成立了以镇长为组长的领导小组。\n"},
		{"run-in heading joined", "（一）推进依法执政规范化。一是坚持落实党委中心组集中学法制度，会前学\n法制度。", "（一）推进依法执政规范化。一是坚持落实党委中心组集中学法制度，会前学法制度。\n"},
		{"title lines not joined", "泉掌镇人民政府\n\n2021 年度法治建设工作报告\n\n今年以来，我镇的法治乡镇创建工作稳步推进。", "泉掌镇人民政府\n\n2021年度法治建设工作报告\n\n今年以来，我镇的法治乡镇创建工作稳步推进。\n"},
		{"signature and date not joined", "促进辖区社会和谐稳定。\n\n渔门镇人民政府\n2021 年 2 月 1 日", "促进辖区社会和谐稳定。\n\n渔门镇人民政府\n2021年2月1日\n"},
		{"line not joined onto a heading", "全面推进依法治镇、依法行政、依法执政、法治教育等工作\n二、存在问题", "全面推进依法治镇、依法行政、依法执政、法治教育等工作\n二、存在问题\n"},
		{"line not joined onto an enumerated item", "加强社会治理制度、体制机制、能力、人才队伍建设\n二是推进村(社区)自治水平。", "加强社会治理制度、体制机制、能力、人才队伍建设\n二是推进村(社区)自治水平。\n"},
		{"line not joined onto a date", "特此报告，请审阅并提出宝贵意见和建议为盼\n2021年11月23日", "特此报告，请审阅并提出宝贵意见和建议为盼\n2021年11月23日\n"},
		{"table rows not joined", "项目\t数量\n调解纠纷\t368件", "项目\t数量\n调解纠纷\t368件\n"},
		{"Latin words joined with a space", "In 2020 the town mediated many disputes, and the\nrate reached 98 percent.", "In 2020 the town mediated many disputes, and the rate reached 98 percent.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ingest.Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := ingest.Clean(got); again != got {
				t.Errorf("not idempotent: Clean(%q) = %q", got, again)
			}
		})
	}
}

// TestCleanHardWrapped checks text hard-wrapped at a fixed width, as
// pdftotext prints it, including wrapped lines with no punctuation at all
// and a heading too long for one line.
func TestCleanHardWrapped(t *testing.T) {
	paras := []string{
		"（一）加强组织领导，全面落实法治政府建设第一责任人职责，推动各项任务落地见效",
		"成立了以镇长为组长的法治政府建设领导小组，领导小组成员严格履行法治政府建设工作职责，层层细化工作任务，严格落实主体责任，形成了主要领导负责抓，分管领导具体抓，相关部门配合抓的工作局面。",
		"根据《法治政府建设与责任落实督察工作规定》和大足区政府办公室关于印发大足区法治政府建设工作要点的通知文件要求结合单位实际现将法治政府建设情况报告如下：",
		"2020年共排查、调解各类矛盾纠纷368件，调解成功350件，调解成功率98%，办理回复12345市民热线111件，接待答复来信来访群众62余次。",
		"二、存在问题",
		"一是广大人民群众的法治教育需要进一步加强，遵法、守法的自觉性有待进一步提高，尤其是农村违法违规现象仍然时有发生。",
	}
	const width = 28 // characters per line in GB/T 9704 official documents
	var wrapped []string
	for _, p := range paras {
		rs := []rune(p)
		for len(rs) > width {
			wrapped = append(wrapped, string(rs[:width]))
			rs = rs[width:]
		}
		wrapped = append(wrapped, string(rs))
	}
	got := ingest.Clean(strings.Join(wrapped, "\n"))
	want := strings.Join(paras, "\n") + "\n"
	if got != want {
		t.Errorf("hard-wrapped text not rejoined:\n%s", firstLineDiff(got, want))
	}
}

func TestCleanIdempotentOnRaw(t *testing.T) {
	for _, path := range seedReportPaths(t) {
		once := ingest.Clean(fixtureText(t, path))
		if twice := ingest.Clean(once); twice != once {
			t.Errorf("%s: %s", filepath.Base(path), firstLineDiff(twice, once))
		}
	}
}

func FuzzClean(f *testing.F) {
	f.Add("## 一、2020 年度推进法治政府建设的主要举措\n\n**1、强化教育。**一是加强\n\n- 3 -\n\n了群众的法治意识。")
	f.Add("[bookmark: _GoBack] \r\n\r\n拾万府文〔2021〕165号\r\n重庆市大足区拾万镇人民政府\r\n 关于拾万镇２０２１年法治政府建设情况的报告\f第 2 页")
	f.Add("来源：司法所 发布时间：2021-02-05 浏览次数：1024\n【打印】【关闭】\n项目\t数量\nrule of\nlaw, 2021 年")
	f.Add("# # **#** [book[bookmark: x]mark: y]\n\n\n   \t\n  ")
	f.Fuzz(func(t *testing.T, in string) {
		out := ingest.Clean(in)
		if again := ingest.Clean(out); again != out {
			t.Fatalf("not idempotent:\n in: %q\nout: %q\nagain: %q", in, out, again)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of valid input: %q", out)
		}
		if strings.ContainsAny(out, "\r\f") || strings.Contains(out, "\n\n\n") || strings.HasPrefix(out, "\n") {
			t.Fatalf("line breaks not normalised: %q", out)
		}
		for _, line := range strings.Split(out, "\n") {
			if line != strings.TrimSpace(line) {
				t.Fatalf("line not trimmed: %q", line)
			}
		}
		if out != "" && !strings.HasSuffix(out, "\n") {
			t.Fatalf("no final newline: %q", out)
		}
	})
}

func ExampleClean() {
	raw := "## 渔门镇 2020 年度法治政府建设工作报告\n\n" +
		"2020 年共排查、调解各类矛盾纠纷 ３６８ 件，调解成功\n" +
		"- 2 -\n" +
		"350 件。\n"
	fmt.Print(ingest.Clean(raw))
	// Output:
	// 渔门镇2020年度法治政府建设工作报告
	//
	// 2020年共排查、调解各类矛盾纠纷368件，调解成功350件。
}

func BenchmarkClean(b *testing.B) {
	raw := fixtureText(b, "../testdata/reports/001_7e465fa291371142.txt")
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		ingest.Clean(raw)
	}
}
