package ingest

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"fazhi/internal/testcorpus"
)

// The ingest path takes shortcuts in hot loops; each must give what the
// plain definition gives, for every character.

// TestIsWideShortcuts checks isWide against its definition over every
// code point.
func TestIsWideShortcuts(t *testing.T) {
	plain := func(r rune) bool {
		return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
			(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF) ||
			r == 0x2014 || r == 0x2026 || (r >= 0x2018 && r <= 0x201F)
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got, want := isWide(r), plain(r); got != want {
			t.Fatalf("isWide(%U) = %v, want %v", r, got, want)
		}
	}
}

// TestNavWordsSplit checks that the words of a navigation line are those
// that splitting on the old separator pattern (then on spaces) gives,
// for every character of the Basic Multilingual Plane between two words.
func TestNavWordsSplit(t *testing.T) {
	sepRe := regexp.MustCompile(`[【】\[\]|｜/、:：\s]+`)
	for r := rune(0); r < 0x10000; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		line := "打印" + string(r) + "关闭" + string(r) + string(r) + "x"
		want := strings.Fields(sepRe.ReplaceAllString(line, " "))
		if got := strings.FieldsFunc(line, isNavSep); !slices.Equal(got, want) {
			t.Fatalf("words of %q: got %q, want %q", line, got, want)
		}
	}
}

// TestBookSpans checks bookSpans and dropBooks against the regular
// expression they stand for, on the seed and real reports and on random
// strings of brackets, text and bytes that are not UTF-8.
func TestBookSpans(t *testing.T) {
	re := regexp.MustCompile(`《[^》]*》|〔[^〕]*〕`)
	texts := testcorpus.Texts(t, "..")
	pieces := []string{"《", "》", "〔", "〕", "法治", "2021", "\n", "、", "\xe3\x80", "\xff", "〈", "》》"}
	texts = append(texts, testcorpus.Jumbles(3, pieces, 5000, 10)...)
	books := 0
	for _, text := range texts {
		var want [][2]int
		for _, m := range re.FindAllStringIndex(text, -1) {
			want = append(want, [2]int{m[0], m[1]})
		}
		books += len(want)
		if got := bookSpans(text); !slices.Equal(got, want) {
			t.Fatalf("bookSpans(%.80q) = %v, want %v", text, got, want)
		}
		if got, want := dropBooks(text), re.ReplaceAllString(text, ""); got != want {
			t.Fatalf("dropBooks(%.80q) = %q, want %q", text, got, want)
		}
	}
	if books == 0 {
		t.Fatal("no 《…》 in any text: the test checks nothing")
	}
}
