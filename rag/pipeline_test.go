package rag

import (
	"testing"
)

func TestStripFurniture(t *testing.T) {
	tests := []struct{ in, want string }{
		{"来源: http://www.yuanling.gov.cn/c119054/6a9bd7af.shtml中共楠木铺乡党委楠木铺乡人民政府关于2024年法治政府建设工作的报告沅陵县人民政府门户网站 www.yuanling.gov.cn 发布时间:2025-04-03 15:222024年是全面贯彻落实党的二十届三中全会精神的开局之年。",
			"中共楠木铺乡党委楠木铺乡人民政府关于2024年法治政府建设工作的报告沅陵县人民政府   2024年是全面贯彻落实党的二十届三中全会精神的开局之年。"},
		{"来源: http://www.x.gov.cn/a.html", ""},
		{"• 索 引 号:370406/2026-00156• 主题分类:法治政府建设• 发布机构:徐庄镇• 效力状态:有效山亭区徐庄镇2025年度法治政府建设情况报告今年以来,徐庄镇坚决贯彻落实《山亭区2025年法治政府建设工作计划》。",
			"有效山亭区徐庄镇2025年度法治政府建设情况报告今年以来,徐庄镇坚决贯彻落实《山亭区2025年法治政府建设工作计划》。"},
	}
	for _, tt := range tests {
		if got := stripFurniture(tt.in); got != tt.want {
			t.Errorf("stripFurniture(%q):\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestIsFurniture(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"来源: http://www.rongchang.gov.cn/jz/t20260107_15297903.html中共重庆市荣昌区广顺街道工作委员会", true},
		{"沅陵县人民政府门户网站 www.yuanling.gov.cn 发布时间:2025-04-03 15:22", true},
		{"当前位置: 首页 > 专题专栏 > 法治建设", true},
		{"索引号:11410621MB1545750L/2025-00012 发布机构:王河乡", true},
		{"全年共调解各类矛盾纠纷68件，调解成功68件。", false},
		{"2024年是全面贯彻落实党的二十届三中全会精神的开局之年。", false},
	}
	for _, tt := range tests {
		if got := isFurniture(tt.s); got != tt.want {
			t.Errorf("isFurniture(%q): got %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestPartAsked(t *testing.T) {
	tests := []struct{ q, want string }{
		{"浦沿街道2024年报告第(三)部分讲的是哪两方面工作?", "三"},
		{"报告第二部分写了什么？", "二"},
		{"第3节讲什么", "3"},
		{"渔门镇2020年调解了多少矛盾纠纷？", ""},
	}
	for _, tt := range tests {
		if got := partAsked(tt.q); got != tt.want {
			t.Errorf("partAsked(%q): got %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestChoiceRoute(t *testing.T) {
	m := newMatcher(nil, newIDF(nil))
	tests := []struct {
		name string
		q    Query
		want string
	}{
		{"count", Query{Kind: KindCount}, routeFigure},
		{"rate", Query{Kind: KindRate}, routeFigure},
		{"which reports", Query{Kind: KindWhat, Aggregate: "list"}, routeList},
		{"what, no heading matches", Query{Kind: KindWhat}, routeSentence},
		{"who", Query{Kind: KindWho}, routeSentence},
		{"when", Query{Kind: KindWhen}, routeSentence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := choiceRoute(tt.q, m, nil); got != tt.want {
				t.Errorf("route %q, want %q", got, tt.want)
			}
		})
	}
}
