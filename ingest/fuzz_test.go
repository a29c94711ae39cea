package ingest_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"fazhi/ingest"
)

var fuzzSeeds = []string{
	"渔门镇 2020 年度法治政府建设工作报告\n一、主要举措\n（一）加强领导。2020年共排查、调解各类矛盾纠纷368件。\n渔门镇人民政府\n2021年2月1日",
	"濮阳县城关镇人民政府文件\n濮镇字〔2021〕8号\n城关镇人民政府\n2020年法治政府建设工作情况报告\n二〇二一年二月五日",
	"关于河西街道办事处2021年度法治政府建设工作情况的报告\n1.深入开展普法。（1）全年开展活动24场次；",
	"", "。。。", "一、\n（一）\n1、\n（1）", strings.Repeat("法", 5000),
}

// FuzzDecodeText loads arbitrary bytes as a .txt report (UTF-8, BOM,
// UTF-16, GB18030): never a panic, and the text is valid UTF-8.
func FuzzDecodeText(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte{0xef, 0xbb, 0xbf, 0xe6, 0xb3})
	f.Add([]byte{0xff, 0xfe, 0x55, 0x6e})
	f.Add([]byte{0xd5, 0xe2, 0xca, 0xc7})
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := ingest.LoadBytes(context.Background(), "fuzz.txt", data, ingest.Limits{MaxFileBytes: 1 << 20})
		if err == nil && !utf8.ValidString(text) {
			t.Fatalf("LoadBytes(%q) returned invalid UTF-8", data)
		}
	})
}

// FuzzDetectMeta: metadata detection never panics and returns a
// well-formed date and a plausible year.
func FuzzDetectMeta(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m := ingest.DetectMeta(ingest.Clean(text))
		if m.Date != "" && len(m.Date) != len("2021-02-01") {
			t.Fatalf("DetectMeta date %q is not YYYY-MM-DD", m.Date)
		}
		if m.Year != 0 && (m.Year < 1900 || m.Year > 2100) {
			t.Fatalf("DetectMeta year %d is implausible", m.Year)
		}
	})
}

// FuzzChunkText: chunking never panics, never exceeds the limit (but for
// a single over-long sentence, which is cut) and keeps text valid UTF-8.
func FuzzChunkText(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, 40, 10)
	}
	f.Fuzz(func(t *testing.T, text string, max, overlap int) {
		if max <= 0 || max > 2000 || overlap < 0 || overlap >= max || !utf8.ValidString(text) {
			return
		}
		for _, c := range ingest.ChunkText(text, ingest.ChunkOptions{MaxRunes: max, Overlap: overlap}) {
			if !utf8.ValidString(c.Text) || strings.TrimSpace(c.Text) == "" {
				t.Fatalf("chunk %d: %q is empty or not UTF-8", c.Seq, c.Text)
			}
			if n := utf8.RuneCountInString(c.Text); n > max && len(ingest.Sentences(c.Text)) > 1 {
				t.Fatalf("chunk %d has %d runes over the limit %d in several sentences", c.Seq, n, max)
			}
		}
	})
}
