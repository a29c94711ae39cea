package ingest

import (
	"math"
	"strconv"
	"strings"
)

// ParseNumber parses a number as written in township reports: Arabic
// numerals with optional thousands separators and decimals ("368", "2,730",
// "1.5"), Chinese numerals ("三", "十二", "两", "一百二十", "二〇二〇"),
// full-width digits, and either with a 万/千/亿 multiplier and a qualifier
// ("1万" → 10000, "3万余" → 30000, "10多万" → 100000, "十余" → 10).
// Qualifiers written around the number (约, 近, 不少于, 以上, 左右 …) and a
// trailing % or a leading 百分之 are accepted and dropped; a range ("3-5",
// "1至2") parses to its lower bound. ok is false when s is not a number.
func ParseNumber(s string) (v float64, ok bool) {
	rs := []rune(strings.TrimSpace(s))
	for i, r := range rs {
		rs[i] = numNormRune(r)
	}
	rs = numTrimSpaces(rs)
	for changed := true; changed; {
		changed = false
		for _, q := range numPreQualifiers {
			if hasRunePrefix(rs, q.text) {
				rs = numTrimSpaces(rs[len([]rune(q.text)):])
				changed = true
			}
		}
		if hasRunePrefix(rs, "百分之") {
			rs = numTrimSpaces(rs[3:])
			changed = true
		}
		for _, q := range numPostQualifiers {
			if hasRuneSuffix(rs, q) {
				rs = numTrimSpaces(rs[:len(rs)-len([]rune(q))])
				changed = true
			}
		}
		if len(rs) > 0 && rs[len(rs)-1] == '%' {
			rs = numTrimSpaces(rs[:len(rs)-1])
			changed = true
		}
	}
	if len(rs) == 0 {
		return 0, false
	}
	tok, ok := numScan(rs, 0)
	if !ok || tok.end != len(rs) {
		return 0, false
	}
	return tok.value, true
}

// numTok is one number found by numScan in a rune slice.
type numTok struct {
	start, end int     // rune offsets, end exclusive
	value      float64 // the lower bound for a range
	approx     string  // 余 or 多 written inside the number ("3万余", "10多万")
	rangeText  string  // "3-5" when a range was written, else ""
	chinese    bool    // the (first) number is written in Chinese numerals
	text       string  // the number as written, spaces removed
}

// numQualifier is a qualifier written before a number; approx says whether
// it makes the figure inexact (约) or is a plain filler verb (达到).
type numQualifier struct {
	text   string
	approx bool
}

// numPreQualifiers are qualifiers and filler verbs written just before a
// number, longest first so that 不少于 wins over 少于.
var numPreQualifiers = []numQualifier{
	{"不少于", true}, {"不低于", true}, {"不超过", true}, {"不多于", true},
	{"将近", true}, {"大约", true}, {"约为", true}, {"至少", true}, {"超过", true},
	{"多于", true}, {"少于", true}, {"高于", true}, {"低于", true}, {"不到", true},
	{"不足", true}, {"接近", true}, {"约", true}, {"近", true}, {"逾", true},
	{"达到", false}, {"共计", false}, {"合计", false}, {"总计", false}, {"累计", false},
	{"分别为", false}, {"达", false}, {"共", false}, {"计", false}, {"仅", false},
	{"就", false}, {"为", false}, {"是", false},
}

// numPostQualifiers are written after the unit ("90%以上", "50人左右").
var numPostQualifiers = []string{"以上", "左右", "以下", "以内", "开外"}

// numNormRune maps full-width digits and signs to ASCII so that offsets in
// the normalised rune slice stay the same as in the original.
func numNormRune(r rune) rune {
	switch {
	case r >= '０' && r <= '９':
		return r - '０' + '0'
	case r == '％':
		return '%'
	case r == '．':
		return '.'
	case r == '，':
		return r // a full-width comma is never a thousands separator here
	case r == '\u00a0' || r == '\u3000' || r == '\u2002' || r == '\u2003' || r == '\u2009' || r == '\t':
		return ' '
	}
	return r
}

func numTrimSpaces(rs []rune) []rune {
	for len(rs) > 0 && rs[0] == ' ' {
		rs = rs[1:]
	}
	for len(rs) > 0 && rs[len(rs)-1] == ' ' {
		rs = rs[:len(rs)-1]
	}
	return rs
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// numCNDigit returns the value of a Chinese digit character.
func numCNDigit(r rune) (int, bool) {
	switch r {
	case '零', '〇', '○':
		return 0, true
	case '一':
		return 1, true
	case '二', '两':
		return 2, true
	case '三':
		return 3, true
	case '四':
		return 4, true
	case '五':
		return 5, true
	case '六':
		return 6, true
	case '七':
		return 7, true
	case '八':
		return 8, true
	case '九':
		return 9, true
	}
	return 0, false
}

// numCNUnit returns the value of a Chinese multiplier character.
func numCNUnit(r rune) (float64, bool) {
	switch r {
	case '十':
		return 10, true
	case '百':
		return 100, true
	case '千':
		return 1000, true
	case '万':
		return 1e4, true
	case '亿':
		return 1e8, true
	}
	return 0, false
}

func isCNNumeral(r rune) bool {
	if _, ok := numCNDigit(r); ok {
		return true
	}
	_, ok := numCNUnit(r)
	return ok
}

// numMultiplier is the value of 万/千/亿 written after Arabic digits.
func numMultiplier(r rune) (float64, bool) {
	switch r {
	case '万':
		return 1e4, true
	case '千':
		return 1e3, true
	case '亿':
		return 1e8, true
	}
	return 0, false
}

// numIsBareMultiplier reports whether a Chinese numeral is only multiplier
// characters (百, 千, 万): alone these are words (千家万户), not counts.
func numIsBareMultiplier(text string) bool {
	for _, r := range text {
		if _, ok := numCNDigit(r); ok || r == '十' {
			return false
		}
	}
	return true
}

// numScan reads a number starting at rs[i]: Arabic or Chinese digits, an
// optional range ("3-5", "1 至 2"), an optional 多/余 and 万/千/亿
// multiplier. Spaces between the parts are skipped. It does not read a
// unit. ok is false when no well-formed number starts at i.
func numScan(rs []rune, i int) (numTok, bool) {
	tok := numTok{start: i}
	v, end, chinese, ok := numScanPlain(rs, i)
	if !ok {
		return tok, false
	}
	tok.value, tok.chinese = v, chinese
	p := end
	// A range: "3-5", "3～5", "1 至 2". The upper bound must be larger, so
	// dates like 2021-11-23 do not read as ranges.
	if q := numSkipSpaces(rs, p); q < len(rs) && strings.ContainsRune("-－~～—–至到", rs[q]) {
		if q2 := numSkipSpaces(rs, q+1); q2 < len(rs) {
			if hi, end2, _, ok2 := numScanPlain(rs, q2); ok2 && hi > v {
				tok.rangeText = numCompact(rs[i:end2])
				p = end2
			}
		}
	}
	mult := 1.0
	q := numSkipSpaces(rs, p)
	if q+1 < len(rs) && (rs[q] == '多' || rs[q] == '余') {
		if m, ok := numMultiplier(rs[q+1]); ok && !chinese {
			// "10多万": the qualifier sits before the multiplier.
			tok.approx, mult, p = string(rs[q]), m, q+2
			q = numSkipSpaces(rs, p)
		}
	}
	if mult == 1 && q < len(rs) {
		if m, ok := numMultiplier(rs[q]); ok && !chinese {
			mult, p = m, q+1
			q = numSkipSpaces(rs, p)
		}
	}
	if tok.approx == "" && q < len(rs) && (rs[q] == '多' || rs[q] == '余') {
		tok.approx, p = string(rs[q]), q+1
		// "十多万" written in Chinese: qualifier, then the multiplier.
		if q+1 < len(rs) {
			if m, ok := numMultiplier(rs[q+1]); ok && chinese {
				mult, p = m, q+2
			}
		}
	}
	tok.value *= mult
	if math.IsInf(tok.value, 0) || math.IsNaN(tok.value) {
		return tok, false
	}
	tok.end = p
	tok.text = numCompact(rs[i:p])
	return tok, true
}

// numScanPlain reads bare digits (Arabic with separators and decimals, or a
// run of Chinese numerals) at rs[i].
func numScanPlain(rs []rune, i int) (v float64, end int, chinese, ok bool) {
	if i >= len(rs) {
		return 0, i, false, false
	}
	if isASCIIDigit(rs[i]) {
		v, end, ok = numScanArabic(rs, i)
		return v, end, false, ok
	}
	j := i
	for j < len(rs) && isCNNumeral(rs[j]) {
		j++
	}
	if j == i {
		return 0, i, false, false
	}
	v, ok = numParseCN(rs[i:j])
	return v, j, true, ok
}

// numScanArabic reads "368", "2,730", "1.5" at rs[i]. A second decimal
// point (a version or a date like 2021.11.23) makes it not a number.
func numScanArabic(rs []rune, i int) (float64, int, bool) {
	var b strings.Builder
	j := i
	for j < len(rs) {
		r := rs[j]
		switch {
		case isASCIIDigit(r):
			b.WriteRune(r)
			j++
			continue
		case r == ',' && b.Len() > 0 && numThreeDigits(rs, j+1):
			j++
			continue
		}
		break
	}
	if j < len(rs) && rs[j] == '.' && j+1 < len(rs) && isASCIIDigit(rs[j+1]) {
		b.WriteByte('.')
		j++
		for j < len(rs) && isASCIIDigit(rs[j]) {
			b.WriteRune(rs[j])
			j++
		}
		if j < len(rs) && rs[j] == '.' && j+1 < len(rs) && isASCIIDigit(rs[j+1]) {
			return 0, j, false
		}
	}
	s := b.String()
	if len(s) > 18 {
		return 0, j, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, j, false
	}
	return v, j, true
}

// numThreeDigits reports whether exactly three digits start at rs[i], as
// after a thousands separator.
func numThreeDigits(rs []rune, i int) bool {
	if i+3 > len(rs) {
		return false
	}
	for k := i; k < i+3; k++ {
		if !isASCIIDigit(rs[k]) {
			return false
		}
	}
	return i+3 == len(rs) || !isASCIIDigit(rs[i+3])
}

// numParseCN parses a run of Chinese numerals: "十二", "一百二十",
// "一百零五", "三万", "两千", "二〇二〇" (digit by digit). Runs of plain
// digits without a zero ("七五", "十四五") are names, not numbers.
func numParseCN(rs []rune) (float64, bool) {
	hasUnit, hasZero, hasLiang := false, false, false
	for _, r := range rs {
		if _, ok := numCNUnit(r); ok {
			hasUnit = true
		}
		if r == '〇' || r == '○' || r == '零' {
			hasZero = true
		}
		if r == '两' {
			hasLiang = true
		}
	}
	if !hasUnit && len(rs) > 1 {
		// Digit by digit, as in years: only with a zero or four digits.
		if hasLiang || !(hasZero || len(rs) >= 4) {
			return 0, false
		}
		v := 0.0
		for _, r := range rs {
			d, _ := numCNDigit(r)
			v = v*10 + float64(d)
		}
		return v, true
	}
	var total, section float64
	digit, haveDigit, prevNonZeroDigit, prevUnit := 0, false, false, false
	lastSmall := 1e9 // the last of 十/百/千 within the section
	for idx, r := range rs {
		if d, ok := numCNDigit(r); ok {
			if prevNonZeroDigit {
				return 0, false
			}
			if r == '两' && idx > 0 && !prevUnit {
				return 0, false
			}
			digit, haveDigit, prevNonZeroDigit, prevUnit = d, true, d != 0, false
			continue
		}
		u, _ := numCNUnit(r)
		switch {
		case u < 1e4:
			if u >= lastSmall {
				return 0, false
			}
			if !haveDigit {
				digit = 1
			}
			section += float64(digit) * u
			lastSmall = u
		case u == 1e4:
			section += float64(digit)
			if section == 0 {
				section = 1
			}
			total += section * u
			section, lastSmall = 0, 1e9
		default: // 亿
			section += float64(digit)
			if section == 0 && total == 0 {
				section = 1
			}
			total = (total + section) * u
			section, lastSmall = 0, 1e9
		}
		digit, haveDigit, prevNonZeroDigit, prevUnit = 0, false, false, true
	}
	if haveDigit {
		// Colloquial "一百二" is 120 and "三千五" 3500: a digit right after
		// 百/千 counts one place lower.
		if prevUnitBefore(rs) && lastSmall >= 100 && lastSmall < 1e9 {
			section += float64(digit) * lastSmall / 10
		} else {
			section += float64(digit)
		}
	}
	return total + section, true
}

// prevUnitBefore reports whether the last rune of rs directly follows a
// multiplier (百, 千), as in "一百二".
func prevUnitBefore(rs []rune) bool {
	if len(rs) < 2 {
		return false
	}
	u, ok := numCNUnit(rs[len(rs)-2])
	return ok && (u == 100 || u == 1000)
}

func numSkipSpaces(rs []rune, i int) int {
	for i < len(rs) && rs[i] == ' ' {
		i++
	}
	return i
}

// numCompact returns rs as a string without spaces.
func numCompact(rs []rune) string {
	var b strings.Builder
	for _, r := range rs {
		if r != ' ' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hasRunePrefix(rs []rune, p string) bool {
	i := 0
	for _, r := range p {
		if i >= len(rs) || rs[i] != r {
			return false
		}
		i++
	}
	return true
}

func hasRuneSuffix(rs []rune, s string) bool {
	ss := []rune(s)
	if len(ss) > len(rs) {
		return false
	}
	for i := range ss {
		if rs[len(rs)-len(ss)+i] != ss[i] {
			return false
		}
	}
	return true
}
