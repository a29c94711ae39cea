package rag

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// removeFillersQuadratic is removeFillers as it was: each kept word
// marked one occurrence at a time, which is quadratic in the text.
func removeFillersQuadratic(s string) string {
	const mark = '\uE000'
	var kept []string
	for _, w := range keepWords {
		for strings.Contains(s, w) {
			s = strings.Replace(s, w, string(mark+rune(len(kept))), 1)
			kept = append(kept, w)
		}
	}
	for _, f := range zhFiller {
		s = strings.ReplaceAll(s, f, " ")
	}
	for i := len(kept) - 1; i >= 0; i-- {
		s = strings.Replace(s, string(mark+rune(i)), kept[i], 1)
	}
	return s
}

// The linear removeFillers gives what the quadratic one gave, on texts
// made of kept words, fillers and other characters.
func TestRemoveFillersSameResult(t *testing.T) {
	pieces := append(append([]string{"调解", "矛盾纠纷", "渔门镇", "2020", "，", "？"}, keepWords...), zhFiller...)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		var b strings.Builder
		for range 1 + rng.IntN(30) {
			p := pieces[rng.IntN(len(pieces))]
			if rng.IntN(4) == 0 { // half a word: a kept word's piece
				r := []rune(p)
				p = string(r[:len(r)/2+1])
			}
			b.WriteString(p)
		}
		s := b.String()
		if got, want := removeFillers(s), removeFillersQuadratic(s); got != want {
			t.Fatalf("case %d %q: got %q, want %q", i, s, got, want)
		}
	}
}

// Question analysis of a very long text finishes: 300,000 characters of
// kept words, the quadratic worst case that once took half a minute. How
// fast is BenchmarkAnalyseLongText's to say (its sizes double, so a
// quadratic cost shows as a fourfold step); a test asserts no timing.
func TestAnalyseLongTextFinishes(t *testing.T) {
	towns := makeTownNames([]string{"渔门镇", "城关镇"})
	s := strings.Repeat("存在的问题", 60_000)
	q := analyse(s, towns, DefaultGlossary())
	if len(q.Groups) == 0 {
		t.Fatal("no term groups read from the long text")
	}
	termGroups(s, Query{Lang: "zh"}, towns, DefaultGlossary())
}

func BenchmarkAnalyseLongText(b *testing.B) {
	towns := makeTownNames([]string{"渔门镇", "城关镇"})
	for _, n := range []int{15_000, 30_000, 60_000} {
		s := strings.Repeat("存在的问题", n)
		b.Run(strconv.Itoa(5*n)+"chars", func(b *testing.B) {
			for b.Loop() {
				analyse(s, towns, DefaultGlossary())
			}
		})
	}
}
