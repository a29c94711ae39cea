package ingest_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"fazhi/ingest"
)

// cleanSeed returns the cleaned text of the seed report with this file name.
func cleanSeed(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "reports", name))
	if err != nil {
		tb.Fatal(err)
	}
	return ingest.Clean(string(b))
}

func TestDetectMetaSeeds(t *testing.T) {
	tests := []struct {
		file string
		want ingest.Meta
	}{
		{"000_cd4b96a87fea5f69.txt", ingest.Meta{
			Title: "渔门镇2020年度法治政府建设工作报告", Place: "渔门镇", Level: ingest.LevelTownship, Town: "渔门镇", County: "盐边县",
			City: "攀枝花市", Province: "四川省", DivisionCode: "510422102", Year: 2020, Date: "2021-02-01",
		}},
		{"001_7e465fa291371142.txt", ingest.Meta{
			Place: "大钟庄镇", Level: ingest.LevelTownship, Town: "大钟庄镇", County: "宝坻区", City: "天津市", Province: "天津市",
			DivisionCode: "120115107", Year: 2021,
		}},
		{"002_36a972dc84b9d279.txt", ingest.Meta{
			Title: "泉掌镇人民政府2021年度法治建设工作报告", Place: "泉掌镇", Level: ingest.LevelTownship, Town: "泉掌镇",
			County: "新绛县", City: "运城市", Province: "山西省", DivisionCode: "140825107", Year: 2021,
		}},
		{"003_77ad51e2d2cfaeb9.txt", ingest.Meta{
			Title: "城关镇人民政府2020年法治政府建设工作情况报告", Place: "城关镇", Level: ingest.LevelTownship, Town: "城关镇", County: "濮阳县",
			City: "濮阳市", Province: "河南省", DivisionCode: "410928100", Year: 2020,
			Date: "2021-02-05", DocNumber: "濮镇字〔2021〕8号",
		}},
		{"004_40507ad071df1468.txt", ingest.Meta{
			Title: "重庆市大足区拾万镇人民政府关于拾万镇2021年法治政府建设情况的报告", Place: "拾万镇", Level: ingest.LevelTownship, Town: "拾万镇",
			County: "大足区", City: "重庆市", Province: "重庆市", DivisionCode: "500111108", Year: 2021,
			Date: "2021-11-23", DocNumber: "拾万府文〔2021〕165号",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := ingest.DetectMeta(cleanSeed(t, tt.file))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DetectMeta:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDetectMetaSynthetic(t *testing.T) {
	lines := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	tests := []struct {
		name string
		text string
		want ingest.Meta
	}{
		{
			name: "街道 report",
			text: lines(
				"桂花街道办事处2022年法治政府建设工作报告",
				"2022年，桂花街道在区委、区政府的坚强领导下，深入推进法治政府建设，现将有关情况报告如下：",
				"一、主要举措",
				"桂花街道全年共调解矛盾纠纷86件，调解成功率97%。",
				"桂花街道党工委理论学习中心组专题学法6次。",
				"二、存在问题",
				"桂花街道法治宣传的针对性还不够强。",
				"桂花街道办事处",
				"2023年1月10日",
			),
			want: ingest.Meta{Title: "桂花街道办事处2022年法治政府建设工作报告", Place: "桂花街道", Level: ingest.LevelTownship, Town: "桂花街道", Year: 2022, Date: "2023-01-10"},
		},
		{
			name: "乡 report",
			text: lines(
				"清水乡2021年法治政府建设工作报告",
				"2021年，清水乡党委、政府认真贯彻落实全面依法治国基本方略，现将工作情况报告如下：",
				"一、主要做法",
				"清水乡全年开展法治宣传活动12场，发放宣传资料3000余份。",
				"清水乡人民政府",
				"2022年1月20日",
			),
			want: ingest.Meta{Title: "清水乡2021年法治政府建设工作报告", Place: "清水乡", Level: ingest.LevelTownship, Town: "清水乡", Year: 2021, Date: "2022-01-20"},
		},
		{
			name: "year from the body when the title has none",
			text: lines(
				"关于法治政府建设工作情况的报告",
				"2023年，石桥镇坚持以习近平法治思想为指导，扎实推进法治政府建设。",
				"一、2023年度主要工作",
				"2023年，石桥镇共排查调处矛盾纠纷72件，调解成功70件。",
				"石桥镇2023年组织干部学法11次。",
				"二、2024年工作打算",
				"石桥镇将继续加强法治宣传教育。",
				"石桥镇人民政府",
				"2024年3月5日",
			),
			want: ingest.Meta{Title: "关于法治政府建设工作情况的报告", Place: "石桥镇", Level: ingest.LevelTownship, Town: "石桥镇", Year: 2023, Date: "2024-03-05"},
		},
		{
			name: "Chinese-numeral date",
			text: lines(
				"白沙镇2020年法治政府建设工作报告",
				"一年来，白沙镇认真落实法治政府建设各项任务。",
				"白沙镇人民政府",
				"二〇二一年二月五日",
			),
			want: ingest.Meta{Title: "白沙镇2020年法治政府建设工作报告", Place: "白沙镇", Level: ingest.LevelTownship, Town: "白沙镇", Year: 2020, Date: "2021-02-05"},
		},
		{
			name: "Chinese-numeral date with ○ and 十",
			text: lines(
				"白沙镇2020年法治政府建设工作报告",
				"一年来，白沙镇认真落实法治政府建设各项任务。",
				"白沙镇人民政府",
				"二○二○年十二月二十八日",
			),
			want: ingest.Meta{Title: "白沙镇2020年法治政府建设工作报告", Place: "白沙镇", Level: ingest.LevelTownship, Town: "白沙镇", Year: 2020, Date: "2020-12-28"},
		},
		{
			name: "no town named: empty, not guessed",
			text: lines(
				"关于2021年度法治政府建设情况的报告",
				"今年以来，我单位认真贯彻落实上级部署，推进城乡一体化，指导各乡镇开展普法宣传。",
				"全年开展法治讲座5场，受教育群众600余人次。",
				"2022年1月15日",
			),
			want: ingest.Meta{Title: "关于2021年度法治政府建设情况的报告", Year: 2021, Date: "2022-01-15"},
		},
		{
			name: "依法治县, 社区 and 辖区 are not counties",
			text: lines(
				"青山镇2021年法治政府建设工作报告",
				"青山镇认真落实全面依法治县委员会的部署，在辖区内各社区开展普法宣传。",
				"青山镇城南社区党委组织党员学法，辖区人民法院法官现场释法。",
				"青山镇全年调解矛盾纠纷40件。",
				"青山镇人民政府",
				"2022年2月8日",
			),
			want: ingest.Meta{Title: "青山镇2021年法治政府建设工作报告", Place: "青山镇", Level: ingest.LevelTownship, Town: "青山镇", Year: 2021, Date: "2022-02-08"},
		},
		{
			name: "county stated before the town and as a county body",
			text: lines(
				"中共盐边县委全面依法治县委员会办公室：",
				"现将盐边县渔门镇2020年度法治政府建设工作报告如下：",
				"渔门镇全年调解矛盾纠纷368件。",
				"渔门镇人民政府",
				"2021年2月1日",
			),
			want: ingest.Meta{Title: "", Place: "渔门镇", Level: ingest.LevelTownship, Town: "渔门镇", County: "盐边县", City: "攀枝花市", Province: "四川省",
				DivisionCode: "510422102", Year: 2020, Date: "2021-02-01"},
		},
		{
			name: "document number on its own line",
			text: lines(
				"河口镇人民政府文件",
				"河镇发〔2022〕12号",
				"河口镇2021年法治政府建设工作报告",
				"河口镇全年调解矛盾纠纷20件。",
				"河口镇人民政府",
				"2022年1月5日",
			),
			want: ingest.Meta{Title: "河口镇2021年法治政府建设工作报告", Place: "河口镇", Level: ingest.LevelTownship, Town: "河口镇", Year: 2021, Date: "2022-01-05", DocNumber: "河镇发〔2022〕12号"},
		},
		{
			name: "empty text",
			text: "",
			want: ingest.Meta{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ingest.DetectMeta(tt.text)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DetectMeta:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestDetectMetaRobust checks that DetectMeta never panics and never
// returns a malformed date or an implausible year on arbitrary text.
func TestDetectMetaRobust(t *testing.T) {
	inputs := []string{
		"镇", "乡", "街道", "县", "区", "年", "2021年", "二〇二一年十三月五日", "2021年13月45日",
		"〔2021〕号", "一、\n（一）\n1、", strings.Repeat("镇", 1000), strings.Repeat("2021年", 500),
		"\xff\xfe镇", "某某镇某某镇某某镇",
	}
	for _, in := range inputs {
		m := ingest.DetectMeta(in)
		if m.Date != "" && (len(m.Date) != 10 || m.Date[4] != '-' || m.Date[7] != '-') {
			t.Errorf("DetectMeta(%.20q).Date = %q, want YYYY-MM-DD or empty", in, m.Date)
		}
		if m.Year != 0 && (m.Year < 1900 || m.Year > 2100) {
			t.Errorf("DetectMeta(%.20q).Year = %d, want 0 or a plausible year", in, m.Year)
		}
	}
}

func TestPageDate(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"page line", "来源: https://x.gov.cn/a.html\n\n标题\n\n来源:龙华街道办 日期:2023年12月25日 【字体:\n正文。", "2023-12-25"},
		{"dashes", "发布时间：2021-02-05　浏览次数：1024\n正文。", "2021-02-05"},
		{"slashes", "发布日期: 2022/3/9\n正文。", "2022-03-09"},
		{"written", "索引号：001\n成文日期：2020年1月2日\n正文。", "2020-01-02"},
		{"issued", "发文日期: 2019.12.31 来源：司法所\n正文。", "2019-12-31"},
		{"no page line", "某镇2021年法治政府建设情况报告\n2021年，我镇……", ""},
		{"impossible date", "日期:2023年13月40日\n正文。", ""},
		{"too far down", strings.Repeat("正文。\n", 45) + "日期:2023年12月25日", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ingest.PageDate(tt.raw); got != tt.want {
				t.Errorf("PageDate = %q, want %q", got, tt.want)
			}
		})
	}
}
