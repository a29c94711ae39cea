package rag

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"fazhi/internal/testcorpus"
)

// tokensPlain is Tokens as first written, over a slice of runes: the
// reference the faster Tokens must agree with.
func tokensPlain(text string) []string {
	var out []string
	rs := []rune(text)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.Is(unicode.Han, r):
			j := i
			for j < len(rs) && unicode.Is(unicode.Han, rs[j]) {
				j++
			}
			if j-i == 1 {
				out = append(out, string(rs[i]))
			}
			for k := i; k+1 < j; k++ {
				out = append(out, string(rs[k:k+2]))
			}
			i = j
		case unicode.IsDigit(r):
			j := i
			for j < len(rs) && (unicode.IsDigit(rs[j]) || (rs[j] == '.' && j+1 < len(rs) && unicode.IsDigit(rs[j+1]))) {
				j++
			}
			out = append(out, string(rs[i:j]))
			i = j
		case unicode.IsLetter(r):
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) && !unicode.Is(unicode.Han, rs[j]) {
				j++
			}
			out = append(out, strings.ToLower(string(rs[i:j])))
			i = j
		default:
			i++
		}
	}
	return out
}

// TestIsHan checks the shortcut against unicode.Han for every code point.
func TestIsHan(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got, want := isHan(r), unicode.Is(unicode.Han, r); got != want {
			t.Fatalf("isHan(%U) = %v, want %v", r, got, want)
		}
	}
}

// TestTokensAsPlain checks Tokens against the plain version on every
// seed and real report and on random strings mixing Han, digits, dots,
// Latin and other letters, spaces and bytes that are not UTF-8.
func TestTokensAsPlain(t *testing.T) {
	texts := testcorpus.Texts(t, "..")
	pieces := []string{"法", "治", "镇", "〇", "𠀀", "3", "٣", "12.5", ".", "..", "a", "B", "Ég", "ß", "İ", "Ω", " ", "，", "\xff", "\xe6\xb3", "ー", "한", "x1", "_"}
	texts = append(texts, testcorpus.Jumbles(7, pieces, 5000, 12)...)
	for _, text := range texts {
		if got, want := Tokens(text), tokensPlain(text); !slices.Equal(got, want) {
			t.Fatalf("Tokens(%.80q):\n got %q\nwant %q", text, got, want)
		}
	}
}
