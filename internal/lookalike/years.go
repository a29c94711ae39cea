package lookalike

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	yearRunRe = regexp.MustCompile(`\d+`)
	// What may follow a year: 年, the rest of a numeric date, the other
	// end of a range, or the closing bracket of a document number.
	yearAfterRe = regexp.MustCompile(`^(?:\s*年|[-./]\d{1,2}[-./]\d{1,2}|\s*(?:-|—|–|~|～|至|到)\s*(?:19|20)\d{2}|\s*[〕\]］)）])`)
	// What may precede a year: the start of a range or an opening bracket.
	yearBeforeRe = regexp.MustCompile(`(?:(?:19|20)\d{2}\s*(?:-|—|–|~|～|至|到)\s*|[〔\[［(（]\s*)$`)
	cnYearRe     = regexp.MustCompile(`[〇○零一二三四五六七八九]{4}年`)
)

const cnDigits = "〇一二三四五六七八九"

// shiftYears adds delta to every year written in text: Arabic years
// before 年, in numeric dates, ranges and document numbers (濮镇字〔2021〕8
// 号), and years in Chinese numerals (二〇二一年). Years inside 《…》 name
// real documents and stay as written.
func shiftYears(text string, delta int) string {
	if delta == 0 {
		return text
	}
	prot := protected(text)
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, m := range yearRunRe.FindAllStringIndex(text, -1) {
		if m[1]-m[0] != 4 || prot.contains(m[0]) {
			continue
		}
		y, _ := strconv.Atoi(text[m[0]:m[1]])
		if y < 1900 || y > 2099 {
			continue
		}
		after := text[m[1]:min(len(text), m[1]+16)]
		before := text[max(0, m[0]-16):m[0]]
		if !yearAfterRe.MatchString(after) && !yearBeforeRe.MatchString(before) {
			continue
		}
		b.WriteString(text[last:m[0]])
		b.WriteString(strconv.Itoa(y + delta))
		last = m[1]
	}
	b.WriteString(text[last:])
	text = b.String()

	prot = protected(text)
	b.Reset()
	last = 0
	for _, m := range cnYearRe.FindAllStringIndex(text, -1) {
		if prot.contains(m[0]) {
			continue
		}
		old := []rune(text[m[0]:m[1]])[:4]
		y := 0
		for _, r := range old {
			y = 10*y + cnDigit(r)
		}
		if y < 1900 || y > 2099 {
			continue
		}
		b.WriteString(text[last:m[0]])
		for i, r := range []rune(strconv.Itoa(y + delta)) {
			d := []rune(cnDigits)[r-'0']
			if d == '〇' && (old[i] == '○' || old[i] == '零') {
				d = old[i] // keep the seed's way of writing zero
			}
			b.WriteRune(d)
		}
		b.WriteString("年")
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

func cnDigit(r rune) int {
	if r == '○' || r == '零' {
		return 0
	}
	for i, c := range []rune(cnDigits) {
		if c == r {
			return i
		}
	}
	return 0
}
