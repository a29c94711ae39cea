package rag

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Relative years in questions ("去年", "last year") are resolved against
// the engine's clock, the date the question is asked: asked in 2026,
// 今年 is 2026, 去年 2025, 前年 2024 — when the place asked about has a
// report for that year. Reports are published after the year they cover
// and officials speak of the newest one as this or last year's, so when
// it has none, 今年 and 去年 mean the place's newest report and 前年 the
// year before it. A question that also names a year ("2021年比去年…")
// keeps its words as they are, and so does a comparison ("比去年增加了多少").
var (
	relativeZh = []struct {
		words []string
		delta int
	}{
		{[]string{"前年"}, -2},
		{[]string{"去年"}, -1},
		{[]string{"今年", "本年度", "本年"}, 0},
	}
	relativeEn = regexp.MustCompile(`(?i)\b(?:(?:in|during|for)\s+)?(the year before last|last year|this year|the previous year|the past year)\b`)
)

// resolveRelativeYears writes a relative year of a question as the year
// it means on now's date; years(text) lists the years of the reports of
// the places the text names (none: the clock decides).
func resolveRelativeYears(text string, now time.Time, years func(string) []int) string {
	if yearInQ.MatchString(text) {
		return text
	}
	var have []int
	asked := false
	pick := func(delta int) int {
		if !asked && years != nil {
			have, asked = years(text), true // only for a question with a relative year
		}
		y := now.Year() + delta
		if len(have) == 0 || slices.Contains(have, y) {
			return y
		}
		newest := slices.Max(have)
		if delta <= -2 {
			return newest - 1
		}
		return newest
	}
	for _, r := range relativeZh {
		for _, w := range r.words {
			i := strings.Index(text, w)
			if i < 0 {
				continue
			}
			if before := text[:i]; strings.HasSuffix(before, "比") || strings.HasSuffix(before, "较") || strings.HasSuffix(before, "与") || strings.HasSuffix(before, "同") {
				return text // "比去年增加": a comparison, not the year asked about
			}
			return text[:i] + strconv.Itoa(pick(r.delta)) + "年" + text[i+len(w):]
		}
	}
	return relativeEn.ReplaceAllStringFunc(text, func(m string) string {
		l := strings.ToLower(m)
		switch {
		case strings.Contains(l, "before last"):
			return "in " + strconv.Itoa(pick(-2))
		case strings.Contains(l, "last") || strings.Contains(l, "previous") || strings.Contains(l, "past"):
			return "in " + strconv.Itoa(pick(-1))
		default:
			return "in " + strconv.Itoa(pick(0))
		}
	})
}

// yearsOfPlaces returns a function listing the report years of the places
// a question names.
func (e *Engine) yearsOfPlaces(c *catalog) func(string) []int {
	return func(text string) []int {
		q := analyse(text, c.towns, e.gloss)
		var out []int
		for _, r := range c.reports {
			if r.Year > 0 && contains(q.Towns, r.Town) {
				out = append(out, r.Year)
			}
		}
		return out
	}
}
