package ingest_test

import (
	"testing"

	"fazhi/ingest"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"368", 368},
		{"2,730", 2730},
		{"1,234,567", 1234567},
		{"1.5", 1.5},
		{"０３６８", 368},
		{" 33 ", 33},
		{"三", 3},
		{"十", 10},
		{"十二", 12},
		{"二十", 20},
		{"三十二", 32},
		{"两", 2},
		{"两千", 2000},
		{"一百二十", 120},
		{"一百二", 120},
		{"一百零五", 105},
		{"三千五百", 3500},
		{"一千两百", 1200},
		{"三万", 30000},
		{"十二万", 120000},
		{"一亿二千万", 120000000},
		{"二〇二〇", 2020},
		{"1万", 10000},
		{"1.5万", 15000},
		{"3万余", 30000},
		{"1万余", 10000},
		{"10多万", 100000},
		{"十余", 10},
		{"十多万", 100000},
		{"百余", 100},
		{"1500多", 1500},
		{"62余", 62},
		{"98%", 98},
		{"百分之九十八", 98},
		{"约53", 53},
		{"不少于40", 40},
		{"100以上", 100},
		{"3-5", 3},
		{"1 至 2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ingest.ParseNumber(tt.in)
			if !ok || got != tt.want {
				t.Errorf("ParseNumber(%q) = %v, %v; want %v, true", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestParseNumberRejects(t *testing.T) {
	for _, in := range []string{
		"", " ", "件", "三件", "368件", "七五", "十四五", "两三", "一二", "十百",
		"3.15.2", "1.2.3", "abc", "12a", "约", "%", "2021-11-23", "第一", "五一",
	} {
		t.Run(in, func(t *testing.T) {
			if v, ok := ingest.ParseNumber(in); ok {
				t.Errorf("ParseNumber(%q) = %v, true; want ok=false", in, v)
			}
		})
	}
}
