package rag

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// ellipsisFiller are the words of an elliptical follow-up that carry no
// subject: "那城关镇呢？", "What about Chengguan?".
var ellipsisFiller = []string{"那么", "那", "呢", "怎么样", "情况", "又", "还有", "如何", "的", "吗", "是", "多少", "呀"}

// resolveFollowUp makes a follow-up standalone by carrying over what it
// leaves out from the last question in history: "那城关镇呢？" after
// "渔门镇2020年调解了多少矛盾纠纷？" becomes "城关镇2020年调解了多少矛盾纠纷？".
// A question that names its own subject, town and year is returned as is.
func resolveFollowUp(text string, history []Turn, towns []townName, g *Glossary) string {
	prev := ""
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Role == "user" && strings.TrimSpace(history[i].Content) != "" {
			prev = history[i].Content
			break
		}
	}
	if prev == "" || utf8.RuneCountInString(prev) > MaxQuestionRunes {
		// No earlier question, or a turn no question could be: nothing
		// to carry over, and nothing to analyse at its length.
		return text
	}
	// The previous question may itself have been a follow-up.
	prevQ := analyse(prev, towns, g)
	cur := analyse(text, towns, g)
	if isElliptical(text, cur, towns) {
		out := prev
		if len(cur.Towns) == 0 && cur.UnknownTown != "" && len(prevQ.Towns) > 0 {
			// "那三川镇呢？" about a place no report covers: ask about it,
			// so that the answer says there is none.
			name, _, _ := strings.Cut(cur.UnknownTown, "（")
			out = replaceTowns(out, prevQ.Towns, []string{name}, towns)
		}
		if len(cur.Towns) > 0 {
			if len(prevQ.Towns) > 0 {
				out = replaceTowns(out, prevQ.Towns, cur.Towns, towns)
			} else {
				out = strings.Join(cur.Towns, "和") + out
			}
		}
		if cur.Year != 0 {
			if prevQ.Year != 0 {
				out = strings.Replace(out, strconv.Itoa(prevQ.Year), strconv.Itoa(cur.Year), 1)
			} else {
				out = strconv.Itoa(cur.Year) + "年" + out
			}
		}
		return out
	}
	// A question with its own subject inherits the place and time it
	// leaves out.
	prefix := ""
	if len(cur.Towns) == 0 && cur.UnknownTown == "" && len(prevQ.Towns) > 0 && cur.Aggregate == "" {
		prefix += strings.Join(prevQ.Towns, "和")
	}
	if cur.Year == 0 && prevQ.Year != 0 && cur.Aggregate == "" {
		prefix += strconv.Itoa(prevQ.Year) + "年"
	}
	if prefix == "" {
		return text
	}
	if cur.Lang == "en" {
		return text + " (" + prefix + ")"
	}
	return prefix + text
}

func isElliptical(text string, q Query, towns []townName) bool {
	if q.Lang == "en" {
		l := strings.ToLower(strings.TrimSpace(text))
		if strings.HasPrefix(l, "what about") || strings.HasPrefix(l, "how about") || strings.HasPrefix(l, "and ") {
			n := 0
			for _, g := range q.Groups {
				if len(g.Forms) > 0 {
					n++
				}
			}
			return n == 0
		}
		return false
	}
	s := stripTowns(text, towns)
	s = yearInQ.ReplaceAllString(s, "")
	for _, f := range ellipsisFiller {
		s = strings.ReplaceAll(s, f, "")
	}
	han := 0
	for _, seg := range hanSegments(s) {
		han += len([]rune(seg))
	}
	return han <= 1
}

func replaceTowns(text string, old, repl []string, towns []townName) string {
	joined := strings.Join(repl, "和")
	done := false
	for _, o := range old {
		for _, tn := range towns {
			if tn.full != o {
				continue
			}
			for _, form := range append([]string{tn.full, tn.short}, tn.aliases...) {
				if form == "" || !strings.Contains(text, form) {
					continue
				}
				if !done {
					text = strings.Replace(text, form, joined, 1)
					done = true
				} else {
					text = strings.Replace(text, form, "", 1)
				}
				break
			}
		}
	}
	if !done {
		// The earlier question may have named the town in pinyin: "Yumen".
		if out, ok := replacePinyin(text, old, joined, towns); ok {
			return out
		}
		text = joined + text
	}
	return text
}

// replacePinyin replaces the first run of one to three Latin words that
// spells one of the old towns in pinyin by repl.
func replacePinyin(text string, old []string, repl string, towns []townName) (string, bool) {
	words := latinWord.FindAllStringIndex(text, -1)
	for i := range words {
		for n := 3; n >= 1; n-- {
			if i+n > len(words) {
				continue
			}
			var b strings.Builder
			for _, w := range words[i : i+n] {
				b.WriteString(strings.ToLower(trimPossessive(text[w[0]:w[1]])))
			}
			for _, tn := range towns {
				if !contains(old, tn.full) || !contains(tn.pinyins, b.String()) {
					continue
				}
				start, end := words[i][0], words[i+n-1][1]
				return text[:start] + repl + text[end:], true
			}
		}
	}
	return text, false
}
