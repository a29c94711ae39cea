package rag

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tokens splits text into the terms both the keyword index and the
// default embedder use: overlapping bigrams of each run of Han characters
// (a lone character stands as itself), lower-case Latin words, and
// numbers (digits with an optional decimal part). Terms are substrings of
// text where they can be: tokenizing is on every report's ingest path.
func Tokens(text string) []string {
	var out []string
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case isHan(r):
			prev, j := i, i+n // the last Han character seen, and the end of the run so far
			for j < len(text) {
				r, n := utf8.DecodeRuneInString(text[j:])
				if !isHan(r) {
					break
				}
				out = append(out, text[prev:j+n])
				prev, j = j, j+n
			}
			if prev == i {
				out = append(out, text[i:j])
			}
			i = j
		case unicode.IsDigit(r):
			j := i + n
			for j < len(text) {
				r, n := utf8.DecodeRuneInString(text[j:])
				if unicode.IsDigit(r) {
					j += n
					continue
				}
				if r == '.' && j+1 < len(text) {
					if next, _ := utf8.DecodeRuneInString(text[j+1:]); unicode.IsDigit(next) {
						j++
						continue
					}
				}
				break
			}
			out = append(out, text[i:j])
			i = j
		case unicode.IsLetter(r):
			j := i + n
			for j < len(text) {
				r, n := utf8.DecodeRuneInString(text[j:])
				if !(unicode.IsLetter(r) || unicode.IsDigit(r)) || isHan(r) {
					break
				}
				j += n
			}
			out = append(out, strings.ToLower(text[i:j]))
			i = j
		default:
			i += n
		}
	}
	return out
}

// isHan is unicode.Is(unicode.Han, r), answering at once for the
// characters most of a report is made of.
func isHan(r rune) bool {
	switch {
	case r < 0x2E80:
		return false // the first Han character is U+2E80
	case r >= 0x4E00 && r <= 0x9FFF:
		return true // CJK Unified Ideographs
	}
	return unicode.Is(unicode.Han, r)
}
