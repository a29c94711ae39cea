package rag_test

import (
	"slices"
	"testing"

	"fazhi/rag"

	"github.com/tmc/langchaingo/schema"
)

func TestCheckNumbers(t *testing.T) {
	block := func(text string, meta map[string]any) schema.Document {
		return schema.Document{PageContent: text, Metadata: meta}
	}
	yumen := []schema.Document{yumen2020, dazhongzhuang2021}
	tests := []struct {
		name   string
		answer string
		docs   []schema.Document
		want   []string
	}{
		{"supported figures", "渔门镇2020年共排查、调解各类矛盾纠纷368件[1]，调解成功率98%[1]。", yumen, nil},
		{"invented figure", "共排查、调解各类矛盾纠纷512件[1]。", yumen, []string{"512"}},
		{"each offending number once, in order", "共512件[1]，成功500件，再次强调512件。", yumen, []string{"512", "500"}},
		{"figure only in an uncited block", "共368件[2]。", yumen, []string{"368"}},
		{"figure of the cited second block", "全年共调处68件次[2]，法律顾问10名[2]。", yumen, nil},
		{"several citations in one marker", "368件，68件次[1,2]。", yumen, nil},
		{"adjacent markers", "368件[1][2]，68件次。", yumen, nil},
		{"labelled markers", "368件[片段1]，68件次[Block 2]。", yumen, nil},
		{"labelled marker citing the other block", "368件[片段2]。", yumen, []string{"368"}},
		{"full-width marker and digits", "共３６８件【1】。", yumen, nil},
		{"no citation: any block supports", "368件，68件次。", yumen, nil},
		{"no citation: invented figure", "共调解999件。", yumen, []string{"999"}},
		{"out-of-range citation supports nothing", "共368件[7]。", yumen, []string{"368"}},
		{"citation numbers are not figures", "共368件[1][2]。", yumen, nil},
		{"thousands separator in the answer", "共2,730人[1]。", []schema.Document{block("全年培训2730人。", nil)}, nil},
		{"thousands separator in the block", "共2730人[1]。", []schema.Document{block("全年培训2,730人。", nil)}, nil},
		{"Chinese comma is not a thousands separator", "分别为120，340件[1]。", []schema.Document{block("分别为120件、340件。", nil)}, nil},
		{"decimals and trailing zeros", "成功率98.0%，投入3.50万元[1]。", []schema.Document{block("成功率98%，投入3.5万元。", nil)}, nil},
		{"wrong decimal", "投入3.6万元[1]。", []schema.Document{block("投入3.5万元。", nil)}, []string{"3.6"}},
		{"magnitude words", "投入12000元[1]。", []schema.Document{block("投入1.2万元。", nil)}, nil},
		{"percent sign kept in the report", "成功率为97%[1]。", yumen, []string{"97%"}},
		{"Chinese numeral answer", "共三百六十八件[1]。", yumen, nil},
		{"invented Chinese numeral", "共五百一十二件[1]。", yumen, []string{"五百一十二"}},
		{"Chinese numeral in the block", "共368件[1]。", []schema.Document{block("共调解纠纷三百六十八件。", nil)}, nil},
		{"percent in Chinese", "成功率百分之九十八[1]。", yumen, nil},
		{"words that merely contain numerals", "千方百计化解矛盾，一是排查，二是调解，形成合力，老百姓满意[1]。", yumen, nil},
		{"list enumerators", "1. 排查368件[1]；\n2. 成功350件[1]；\n(3) 成功率98%[1]。", yumen, nil},
		{"year from the block header", "2020年共368件[1]。", []schema.Document{block("共排查、调解各类矛盾纠纷368件。", map[string]any{"year": 2020})}, nil},
		{"year not shown anywhere", "2019年共368件[1]。", yumen, []string{"2019"}},
		{"dates", "9月15日公开审理[1]。", []schema.Document{block("9月15日，县法院在犀牛村公开审理一起失火毁林案。", nil)}, nil},
		{"no numbers", "存在“两张皮”现象[1]。", yumen, nil},
		{"no docs", "共368件。", nil, []string{"368"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rag.CheckNumbers(tt.answer, tt.docs)
			if !slices.Equal(got, tt.want) {
				t.Errorf("CheckNumbers(%q) = %q, want %q", tt.answer, got, tt.want)
			}
		})
	}
}
