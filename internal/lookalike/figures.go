package lookalike

import (
	"math"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// figureRe matches a stated figure: an Arabic number (or range) followed
// by an optional multiplier and qualifier (万, 余, 多) and a unit.
var figureRe = regexp.MustCompile(`(\d+(?:\.\d+)?)(?:(\s*(?:-|—|–|~|～|至|到)\s*)(\d+(?:\.\d+)?))?(\s*[万千百亿]?(?:余|多)?[万千]?\s*)(人次|件次|户次|小时|[件起人次名元%％项份场个条幅户宗期篇家册张套批村])`)

// spans are byte ranges of text that are left as written.
type spans [][2]int

// protectedRe matches what figures and years are never changed inside:
// titles of cited documents.
var protectedRe = regexp.MustCompile(`《[^《》]*》`)

func protected(text string) spans {
	var out spans
	for _, m := range protectedRe.FindAllStringIndex(text, -1) {
		out = append(out, [2]int{m[0], m[1]})
	}
	return out
}

// contains reports whether byte offset i lies inside one of the spans
// (which are sorted and disjoint).
func (s spans) contains(i int) bool {
	k := sort.Search(len(s), func(k int) bool { return s[k][1] > i })
	return k < len(s) && s[k][0] <= i
}

// perturbFigures changes every stated figure in text by up to about 30%
// (percentages by up to about 10%, never above 100 when they were not).
// The same number is changed the same way throughout one text, so a
// figure repeated in a summary stays consistent. Zeros, ordinals (第3次),
// hotlines (12345) and numbers inside 《…》 are left alone.
func perturbFigures(text string, rng *rand.Rand) string {
	prot := protected(text)
	memo := map[string]string{}
	change := func(num string, pct bool) string {
		key := num
		if pct {
			key += "%"
		}
		if v, ok := memo[key]; ok {
			return v
		}
		v := perturbNumber(num, pct, rng)
		memo[key] = v
		return v
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, m := range figureRe.FindAllStringSubmatchIndex(text, -1) {
		start := m[0]
		if prot.contains(start) || !figureStart(text, start) {
			continue
		}
		num := text[m[2]:m[3]]
		if isHotline(num) {
			continue
		}
		unit := text[m[10]:m[11]]
		pct := unit == "%" || unit == "％"
		b.WriteString(text[last:start])
		lo := change(num, pct)
		b.WriteString(lo)
		if m[4] >= 0 { // a range: keep its bounds in order
			hiNum := text[m[6]:m[7]]
			hi := change(hiNum, pct)
			if f(hi) <= f(lo) {
				hi = formatLike(f(lo)+1, hiNum)
			}
			b.WriteString(text[m[4]:m[5]])
			b.WriteString(hi)
		}
		b.WriteString(text[m[8]:m[1]])
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// figureStart reports whether a number starting at byte i is a figure of
// its own: not the tail of a longer number or code, not an ordinal.
func figureStart(text string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	switch {
	case r == '.' || r == '·' || r == '-' || r == '/':
		return false
	case r < utf8.RuneSelf && (unicode.IsDigit(r) || unicode.IsLetter(r)):
		return false
	case r == '第':
		return false
	}
	return true
}

// isHotline reports whether num is a service hotline number such as
// 12345 or 12348, which reports quote as names, not counts.
func isHotline(num string) bool {
	return len(num) == 5 && strings.HasPrefix(num, "123")
}

func f(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

// formatLike formats v with as many decimals as like has.
func formatLike(v float64, like string) string {
	d := 0
	if i := strings.IndexByte(like, '.'); i >= 0 {
		d = len(like) - i - 1
	}
	return strconv.FormatFloat(v, 'f', d, 64)
}

// perturbNumber returns num changed by a random factor, with the same
// number of decimals, never equal to num unless num is zero. A
// percentage of at most 100 stays within [0, 100].
func perturbNumber(num string, pct bool, rng *rand.Rand) string {
	v := f(num)
	if v == 0 {
		return num
	}
	d := 0
	if i := strings.IndexByte(num, '.'); i >= 0 {
		d = len(num) - i - 1
	}
	step := math.Pow(10, -float64(d))
	spread := 0.3
	if pct {
		spread = 0.1
	}
	nv := v * (1 - spread + 2*spread*rng.Float64())
	nv = math.Round(nv/step) * step
	if nv < step {
		nv = step
	}
	if pct && v <= 100 && nv > 100 {
		nv = 100
	}
	if math.Abs(nv-v) < step/2 {
		switch {
		case pct && v >= 100:
			nv = v - step*float64(1+rng.IntN(3))
		case v-step >= step && rng.IntN(2) == 0:
			nv = v - step
		default:
			nv = v + step
		}
	}
	return strconv.FormatFloat(nv, 'f', d, 64)
}
