package rag

import (
	"testing"
	"time"
)

func TestResolveRelativeYears(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct{ in, want string }{
		{"渔门镇去年调解了多少矛盾纠纷？", "渔门镇2025年调解了多少矛盾纠纷？"},
		{"渔门镇前年调解了多少矛盾纠纷？", "渔门镇2024年调解了多少矛盾纠纷？"},
		{"今年城关镇开展了几次普法？", "2026年城关镇开展了几次普法？"},
		{"2021年渔门镇比去年多调解了多少件？", "2021年渔门镇比去年多调解了多少件？"},
		{"How many disputes did Yumen mediate last year?", "How many disputes did Yumen mediate in 2025?"},
		{"How many disputes did Yumen mediate in the year before last?", "How many disputes did Yumen mediate in 2024?"},
		{"How many disputes did Yumen mediate this year?", "How many disputes did Yumen mediate in 2026?"},
		{"渔门镇调解了多少矛盾纠纷？", "渔门镇调解了多少矛盾纠纷？"},
		{"渔门镇调解纠纷比去年增加了多少？", "渔门镇调解纠纷比去年增加了多少？"},
	}
	for _, tt := range tests {
		if got := resolveRelativeYears(tt.in, now, nil); got != tt.want {
			t.Errorf("resolveRelativeYears(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResolveRelativeYearsByReports(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	years := func(string) []int { return []int{2021, 2022} }
	tests := []struct{ in, want string }{
		{"青山镇去年来信来访多少批次？", "青山镇2022年来信来访多少批次？"},
		{"拾万今年一共受理了多少宗信访案件？", "拾万2022年一共受理了多少宗信访案件？"},
		{"青山镇前年来信来访多少批次？", "青山镇2021年来信来访多少批次？"},
		{"How many petitions did Qingshan handle last year?", "How many petitions did Qingshan handle in 2022?"},
	}
	for _, tt := range tests {
		if got := resolveRelativeYears(tt.in, now, years); got != tt.want {
			t.Errorf("resolveRelativeYears(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := resolveRelativeYears("青山镇去年来信来访多少批次？", now, func(string) []int { return []int{2024, 2025} }); got != "青山镇2025年来信来访多少批次？" {
		t.Errorf("with a report for the clock's last year: got %q", got)
	}
}
