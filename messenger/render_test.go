package messenger

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
		spans []Span
		limit int
		want  []string
	}{
		{"short", []Span{Plain("a<b & c")}, 100, []string{"a&lt;b &amp; c"}},
		{"tag", []Span{Plain("x "), Styled(StyleBold, "<y>")}, 100, []string{"x <b>&lt;y&gt;</b>"}},
		{"empty dropped", []Span{Plain("\n\n"), Plain("  ")}, 100, nil},
		{"prefer newline",
			[]Span{Plain("aaaa bbbb\ncccc dddd\neeee")}, 12,
			[]string{"aaaa bbbb", "cccc dddd", "eeee"}},
		{"sentence end when no newline",
			[]Span{Plain("一二三。四五六七八九")}, 8,
			[]string{"一二三。", "四五六七八九"}},
		{"hard cut is rune-safe",
			[]Span{Plain(strings.Repeat("法", 10))}, 4,
			[]string{"法法法法", "法法法法", "法法"}},
		{"entity never split",
			[]Span{Plain("ab&&&&")}, 7, // "&amp;" costs 5
			[]string{"ab&amp;", "&amp;", "&amp;", "&amp;"}},
		{"tag closed and reopened",
			[]Span{Styled(StyleQuote, "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十")}, 45, // 25 for the tags
			[]string{"<blockquote>一二三四五六七八九十一二三四五六七八九十</blockquote>", "<blockquote>一二三四五六七八九十</blockquote>"}},
		{"span moves to next message rather than cut badly",
			[]Span{Plain("标题\n"), Plain("一二三四五六七八九十")}, 12,
			[]string{"标题", "一二三四五六七八九十"}},
		{"astral runes count two", []Span{Plain("😀😀😀")}, 4, []string{"😀😀", "😀"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HTML.Render(tt.spans, tt.limit)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("renderHTML = %q, want %q", got, tt.want)
			}
			for _, m := range got {
				if n := HTML.Len(m); n > tt.limit {
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
	parts := HTML.Render([]Span{Plain(text), Styled(StyleQuote, text)}, telegramLimit)
	if len(parts) < 4 {
		t.Fatalf("%d parts, want several", len(parts))
	}
	var joined strings.Builder
	for i, p := range parts {
		if n := HTML.Len(p); n > telegramLimit {
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

// TestRenderBytes checks the byte-measured formats WeCom and DingTalk use:
// every part fits its limit in UTF-8 bytes, escapes are never split, and
// quotes stay quotes across a cut.
func TestRenderBytes(t *testing.T) {
	text := strings.Repeat("渔门镇调解矛盾纠纷368件；*重点*_难点_。\n", 200)
	for _, tt := range []struct {
		name  string
		f     Format
		limit int
	}{
		{"text 2048", Text, 2048},
		{"markdown 2048", Markdown, 2048},
		{"markdown 300", Markdown, 300},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parts := tt.f.Render([]Span{Styled(StyleBold, "来源"), Plain("\n" + text), Styled(StyleQuote, text)}, tt.limit)
			if len(parts) < 2 {
				t.Fatalf("%d parts, want several", len(parts))
			}
			var joined strings.Builder
			for i, p := range parts {
				if len(p) > tt.limit {
					t.Errorf("part %d is %d bytes, limit %d", i, len(p), tt.limit)
				}
				if !utf8.ValidString(p) {
					t.Errorf("part %d is not valid UTF-8", i)
				}
				if strings.HasSuffix(p, `\`) {
					t.Errorf("part %d ends inside an escape", i)
				}
				joined.WriteString(p)
			}
			if n := strings.Count(joined.String(), "368"); n != 400 {
				t.Errorf("parts hold 368 %d times, want 400", n)
			}
		})
	}
	if got := Markdown.Render([]Span{Plain("a*b_c\nd\n"), Styled(StyleQuote, "q1\nq2"), Plain("\ne")}, 100); len(got) != 1 || got[0] != "a\\*b\\_c  \nd  \n> q1  \n> q2\n  \ne" {
		t.Errorf("Markdown = %q", got)
	}
}
