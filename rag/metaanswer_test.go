package rag

import (
	"slices"
	"testing"
)

func TestIssuersAndAddressee(t *testing.T) {
	tests := []struct {
		open      string
		issuers   []string
		addressee string
	}{
		{"中共楠木铺乡党委楠木铺乡人民政府关于2024年法治政府建设工作的报告沅陵县人民政府门户网站", []string{"中共楠木铺乡党委", "楠木铺乡人民政府"}, ""},
		{"中共浚县县委 浚县人民政府关于2024年法治政府建设情况的报告\n市委、市政府:\n2024年,我县坚持", []string{"中共浚县县委", "浚县人民政府"}, "市委、市政府"},
		{"中共深圳市龙华区龙华街道工作委员会 深圳市龙华区龙华街道办事处2023年法治政府建设年度报告\n文件已失效", []string{"中共深圳市龙华区龙华街道工作委员会", "深圳市龙华区龙华街道办事处"}, ""},
		{"中共重庆市荣昌区广顺街道工作委员会重庆市荣昌区人民政府广顺街道办事处关于2025年度法治政府建设情况的报告区委、区政府:", []string{"中共重庆市荣昌区广顺街道工作委员会", "重庆市荣昌区人民政府广顺街道办事处"}, "区委、区政府"},
		{"城中区委全面依法治区委员会:\n在全面建设社会主义现代化国家新征程上,人民街街道办事处坚持", nil, "城中区委全面依法治区委员会"},
		{"2021年,我镇坚持以习近平法治思想为指导", nil, ""},
		{"海安镇2020年法治建设工作报告海府〔2020〕57号 签发人:梁汉飞徐闻县人民政府:2020年来,我镇在县委", nil, "徐闻县人民政府"},
	}
	for _, tt := range tests {
		t.Run(tt.open[:12], func(t *testing.T) {
			if got := issuersIn(tt.open); !slices.Equal(got, tt.issuers) {
				t.Errorf("issuersIn: got %q, want %q", got, tt.issuers)
			}
			if got := addresseeIn(tt.open); got != tt.addressee {
				t.Errorf("addresseeIn: got %q, want %q", got, tt.addressee)
			}
		})
	}
}
