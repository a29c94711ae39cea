package rag

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tmc/langchaingo/schema"
)

// CheckNumbers is the numeric guard on a generated answer. Every number the
// answer states must also be stated by the context blocks it cites ([n],
// 1-based into docs), or by any block when the answer cites none. It
// returns the offending numbers as the answer writes them, each once, in
// order of appearance; nil means the answer passes.
//
// Numbers are compared by value: "2,730" matches "2730", "98%" matches
// "98", "1.2万" matches "12000", and Chinese numerals such as 三百六十八
// match 368. Citation markers, list enumerators ("1." at the start of a
// line, "(2)") are not figures. A block's header as the prompt shows it
// (year, title, section, source) counts as part of that block.
func CheckNumbers(answer string, docs []schema.Document) (unsupported []string) {
	cited := citedBlocks(answer)
	var support []schema.Document
	for _, n := range cited {
		if n >= 1 && n <= len(docs) {
			support = append(support, docs[n-1])
		}
	}
	if len(cited) == 0 {
		support = docs
	}
	return unsupportedNumbers(answer, support, nil)
}

// unsupportedNumbers returns the numbers in answer that no doc in support
// states and that are not in allowed (e.g. numbers taken from the question).
func unsupportedNumbers(answer string, support []schema.Document, allowed map[string]bool) []string {
	have := map[string]bool{}
	for k := range allowed {
		have[k] = true
	}
	for _, d := range support {
		for _, n := range blockNumbers(d) {
			for _, k := range n.keys {
				have[k] = true
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range answerNumbers(answer) {
		ok := false
		for _, k := range n.keys {
			if have[k] {
				ok = true
				break
			}
		}
		if !ok && !seen[n.text] {
			seen[n.text] = true
			out = append(out, n.text)
		}
	}
	return out
}

// blockNumbers returns every number a context block shows the model: its
// text and its header (year, title, section, source).
func blockNumbers(d schema.Document) []guardNumber {
	var hdr strings.Builder
	if y := metaInt(d, metaYear); y != 0 {
		hdr.WriteString(strconv.Itoa(y))
	}
	hdr.WriteString("\n")
	hdr.WriteString(metaString(d, metaTitle))
	hdr.WriteString("\n")
	hdr.WriteString(metaString(d, metaSection))
	hdr.WriteString("\n")
	hdr.WriteString(metaString(d, metaSource))
	hdr.WriteString("\n")
	hdr.WriteString(d.PageContent)
	return findNumbers(hdr.String(), false)
}

// answerNumbers returns the numbers an answer states, leaving out its
// citation markers and list enumerators.
func answerNumbers(answer string) []guardNumber {
	s := citationRe.ReplaceAllString(answer, " ")
	s = enumeratorRe.ReplaceAllString(s, "$1 $2")
	s = parenEnumeratorRe.ReplaceAllString(s, " ")
	return findNumbers(s, true)
}

// guardNumber is one number found in text: as written, and the normalised
// value keys it matches under.
type guardNumber struct {
	text string
	keys []string
}

var (
	// citationRe matches citation markers: [1], [1,2], [1][3], ［2］, 【3】,
	// and the labelled forms small models write: [片段1], [Block 2], [#3].
	citationRe = regexp.MustCompile(`[\[［【]\s*(?:片段|块|(?i:block)|#)?\s*[0-9０-９]{1,3}(?:\s*[,，、;；]\s*(?:片段|块|(?i:block)|#)?\s*[0-9０-９]{1,3})*\s*[\]］】]`)
	// enumeratorRe matches a list enumerator at the start of a line: "1. ", "2、", "3）".
	enumeratorRe = regexp.MustCompile(`(?m)(^[ \t]*(?:[-*•][ \t]*)?)[0-9]{1,2}(?:[、）)]|\.([^0-9]|$))`)
	// parenEnumeratorRe matches "(1)" and "（2）".
	parenEnumeratorRe = regexp.MustCompile(`[(（][0-9]{1,2}[)）]`)
	// arabicRe matches an Arabic number with optional thousands separators
	// (ASCII commas only: a Chinese "，" between numbers separates clauses),
	// a decimal part and a percent sign.
	arabicRe = regexp.MustCompile(`[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?`)
)

// digitFolder maps full-width digits and punctuation to ASCII.
var digitFolder = strings.NewReplacer(
	"０", "0", "１", "1", "２", "2", "３", "3", "４", "4",
	"５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
	"．", ".", "％", "%",
)

// numberMultipliers are the Chinese magnitude words that may follow an
// Arabic number ("1.2万"), as powers of ten.
var numberMultipliers = map[rune]int{'万': 4, '亿': 8, '千': 3}

// findNumbers finds Arabic numbers and Chinese numerals in s. strict is for
// answers: a Chinese numeral counts only when it reads as a quantity (see
// chineseQuantity), so words like 一些 or 千方百计 are not taken as figures.
func findNumbers(s string, strict bool) []guardNumber {
	s = digitFolder.Replace(s)
	var out []guardNumber
	for _, loc := range arabicRe.FindAllStringIndex(s, -1) {
		// A comma-grouped match must not run on into more digits ("1,2345").
		text := s[loc[0]:loc[1]]
		if strings.Contains(text, ",") && !validGrouping(text) {
			for _, part := range strings.Split(text, ",") {
				out = append(out, guardNumber{text: part, keys: []string{numberKey(part)}})
			}
			continue
		}
		n := guardNumber{text: text, keys: []string{numberKey(text)}}
		if r, _ := utf8.DecodeRuneInString(s[loc[1]:]); numberMultipliers[r] != 0 {
			n.keys = append(n.keys, scaledKey(text, numberMultipliers[r]))
		}
		if strings.HasPrefix(s[loc[1]:], "%") {
			n.text += "%"
		}
		out = append(out, n)
	}
	out = append(out, chineseNumbers(s, strict)...)
	return out
}

func validGrouping(text string) bool {
	intPart, _, _ := strings.Cut(text, ".")
	groups := strings.Split(intPart, ",")
	if len(groups[0]) > 3 {
		return false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return false
		}
	}
	return true
}

// numberKey normalises an Arabic number: no separators, no leading zeros,
// no trailing decimal zeros.
func numberKey(text string) string {
	t := strings.ReplaceAll(text, ",", "")
	intPart, frac, hasFrac := strings.Cut(t, ".")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	if hasFrac {
		frac = strings.TrimRight(frac, "0")
	}
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}

// scaledKey is the key of an Arabic number times 10^exp, computed on the
// digits so that 1.2万 is exactly 12000.
func scaledKey(text string, exp int) string {
	t := strings.ReplaceAll(text, ",", "")
	intPart, frac, _ := strings.Cut(t, ".")
	for len(frac) < exp {
		frac += "0"
	}
	return numberKey(intPart + frac[:exp] + "." + frac[exp:])
}

// Chinese numerals.

var (
	cnDigits = map[rune]int64{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	cnUnits  = map[rune]int64{'十': 10, '百': 100, '千': 1000}
	cnBig    = map[rune]int64{'万': 1e4, '亿': 1e8}
)

// cnQuantityFollowers are measure words and units after which a Chinese
// numeral in an answer is read as a figure.
const cnQuantityFollowers = "件次人名个项场起户家所元万亿余多批期条份篇套处座台辆册本天年月日小时位宗例"

func isCNNumeral(r rune) bool {
	_, d := cnDigits[r]
	_, u := cnUnits[r]
	_, b := cnBig[r]
	return d || u || b
}

// chineseNumbers finds runs of Chinese numerals in s. Outside strict mode
// every run counts (it only widens what a block supports). In strict mode
// a run counts when it is a quantity: it has at least two characters or a
// unit character (十, 百, …) and is followed by a measure word, or it comes
// after 百分之. Runs directly after an Arabic digit are magnitudes of that
// number (12万), not numbers of their own.
func chineseNumbers(s string, strict bool) []guardNumber {
	rs := []rune(s)
	var out []guardNumber
	for i := 0; i < len(rs); {
		if !isCNNumeral(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) && isCNNumeral(rs[j]) {
			j++
		}
		run := rs[i:j]
		start := i
		i = j
		if start > 0 && rs[start-1] >= '0' && rs[start-1] <= '9' {
			continue
		}
		// 百分之九十八: the 百 is part of the percent phrase.
		if string(run) == "百" && strings.HasPrefix(string(rs[j:]), "分之") {
			continue
		}
		v, ok := parseChineseNumeral(run)
		if !ok {
			continue
		}
		if strict {
			percent := start >= 3 && string(rs[start-3:start]) == "百分之"
			quantity := (len(run) >= 2 || hasCNUnit(run)) && j < len(rs) && strings.ContainsRune(cnQuantityFollowers, rs[j])
			if !percent && !quantity {
				continue
			}
		}
		out = append(out, guardNumber{text: string(run), keys: []string{strconv.FormatInt(v, 10)}})
	}
	return out
}

func hasCNUnit(run []rune) bool {
	for _, r := range run {
		if cnUnits[r] != 0 || cnBig[r] != 0 {
			return true
		}
	}
	return false
}

// parseChineseNumeral reads 三百六十八 (368), 十二 (12), 一万二千 (12000),
// 两千 (2000), and digit strings such as 二〇二〇 (2020).
func parseChineseNumeral(run []rune) (int64, bool) {
	if !hasCNUnit(run) {
		// A plain digit string: 二〇二〇.
		var v int64
		for _, r := range run {
			v = v*10 + cnDigits[r]
		}
		return v, true
	}
	var total, section, digit int64
	for _, r := range run {
		switch {
		case cnUnits[r] != 0:
			if digit == 0 {
				digit = 1 // 十二 = 12
			}
			section += digit * cnUnits[r]
			digit = 0
		case cnBig[r] != 0:
			section += digit
			if section == 0 {
				section = 1
			}
			total += section * cnBig[r]
			section, digit = 0, 0
		default:
			digit = cnDigits[r]
		}
	}
	return total + section + digit, true
}

// citedBlocks returns the block numbers an answer cites with [n] markers,
// each once, in order of first appearance. Numbers outside the prompt's
// blocks are returned too: the caller decides what an invalid citation means.
func citedBlocks(answer string) []int {
	var out []int
	seen := map[int]bool{}
	for _, m := range citationRe.FindAllString(digitFolder.Replace(answer), -1) {
		for _, f := range citationNumberRe.FindAllString(m, -1) {
			n, err := strconv.Atoi(f)
			if err != nil || seen[n] {
				continue
			}
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

var citationNumberRe = regexp.MustCompile(`[0-9]+`)
