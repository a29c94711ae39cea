package bot

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var tags = regexp.MustCompile(`</?(b|i|code|blockquote)>`)

func unrender(s string) string { return html.UnescapeString(tags.ReplaceAllString(s, "")) }

func TestRenderHTML(t *testing.T) {
	tests := []struct {
		name  string
		spans []span
		limit int
		want  []string
	}{
		{"short", []span{plain("a<b & c")}, 100, []string{"a&lt;b &amp; c"}},
		{"tag", []span{plain("x "), styled("b", "<y>")}, 100, []string{"x <b>&lt;y&gt;</b>"}},
		{"empty dropped", []span{plain("\n\n"), plain("  ")}, 100, nil},
		{"prefer newline",
			[]span{plain("aaaa bbbb\ncccc dddd\neeee")}, 12,
			[]string{"aaaa bbbb", "cccc dddd", "eeee"}},
		{"sentence end when no newline",
			[]span{plain("一二三。四五六七八九")}, 8,
			[]string{"一二三。", "四五六七八九"}},
		{"hard cut is rune-safe",
			[]span{plain(strings.Repeat("法", 10))}, 4,
			[]string{"法法法法", "法法法法", "法法"}},
		{"entity never split",
			[]span{plain("ab&&&&")}, 7, // "&amp;" costs 5
			[]string{"ab&amp;", "&amp;", "&amp;", "&amp;"}},
		{"tag closed and reopened",
			[]span{styled("blockquote", "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十")}, 45, // 25 for the tags
			[]string{"<blockquote>一二三四五六七八九十一二三四五六七八九十</blockquote>", "<blockquote>一二三四五六七八九十</blockquote>"}},
		{"span moves to next message rather than cut badly",
			[]span{plain("标题\n"), plain("一二三四五六七八九十")}, 12,
			[]string{"标题", "一二三四五六七八九十"}},
		{"astral runes count two", []span{plain("😀😀😀")}, 4, []string{"😀😀", "😀"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderHTML(tt.spans, tt.limit)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("renderHTML = %q, want %q", got, tt.want)
			}
			for _, m := range got {
				if n := utf16Len(m); n > tt.limit {
					t.Errorf("message %q is %d units, limit %d", m, n, tt.limit)
				}
			}
		})
	}
}

// TestRenderHTMLKeepsText checks on a long mixed text that every part fits,
// is valid UTF-8 and that the parts add up to the text.
func TestRenderHTMLKeepsText(t *testing.T) {
	var b strings.Builder
	for i := range 400 {
		b.WriteString(strings.Repeat("<法&治>", i%17) + "。")
		if i%5 == 0 {
			b.WriteString("\n")
		}
		if i%7 == 0 {
			b.WriteString(" word ")
		}
	}
	text := b.String()
	parts := renderHTML([]span{plain(text), styled("blockquote", text)}, maxMessageLen)
	if len(parts) < 4 {
		t.Fatalf("%d parts, want several", len(parts))
	}
	var joined strings.Builder
	for i, p := range parts {
		if n := utf16Len(p); n > maxMessageLen {
			t.Errorf("part %d: %d units", i, n)
		}
		if !utf8.ValidString(p) {
			t.Errorf("part %d is not valid UTF-8", i)
		}
		if strings.Count(p, "<blockquote>") != strings.Count(p, "</blockquote>") {
			t.Errorf("part %d has unbalanced tags", i)
		}
		joined.WriteString(unrender(p))
	}
	squash := func(s string) string { return strings.NewReplacer("\n", "", " ", "").Replace(s) }
	if squash(joined.String()) != squash(text+text) {
		t.Error("parts do not add up to the text")
	}
}
