package ingest

import (
	"strings"
	"testing"
)

func TestTableRowSentence(t *testing.T) {
	tests := []struct {
		header, row, want string
	}{
		{"指标名称\t单位\t完成数\t备注", "排查化解矛盾纠纷\t件\t248\t调解成功241件", "排查化解矛盾纠纷248件，调解成功241件。"},
		{"指标名称\t单位\t完成数", "罚没款\t万元\t12.6", "罚没款12.6万元。"},
		{"纠纷类别\t受理件数\t调解成功件数\t涉及金额（万元）", "婚姻家庭纠纷\t52\t51\t86.4", "婚姻家庭纠纷受理52件，调解成功51件，涉及金额86.4万元。"},
		{"指标\t单位\t2023年\t2022年\t增减", "共享法庭在线调解\t件\t41\t27\t+14", "共享法庭在线调解2023年41件，2022年27件。"},
		{"", "调解成功率\t97.8%", "调解成功率97.8%。"},
	}
	for _, tt := range tests {
		t.Run(tt.row, func(t *testing.T) {
			var header []string
			if tt.header != "" {
				header = strings.Split(tt.header, "\t")
			}
			got, ok := TableRowSentence(tt.row, header)
			if !ok || got != tt.want {
				t.Errorf("got %q (ok %v), want %q", got, ok, tt.want)
			}
		})
	}
	if _, ok := TableRowSentence("纠纷类别\t受理件数\t调解成功件数", nil); ok {
		t.Errorf("a header row read as a row of figures")
	}
}
