package rag

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
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

// Question analysis is linear in the text: 300,000 characters of kept
// words (the quadratic worst case, half a minute before) take well under
// the bound, which is generous for a loaded machine and the race detector.
func TestAnalyseLongTextIsLinear(t *testing.T) {
	s := strings.Repeat("存在的问题", 60_000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		towns := makeTownNames([]string{"渔门镇", "城关镇"})
		analyse(s, towns, DefaultGlossary())
		termGroups(s, Query{Lang: "zh"}, towns, DefaultGlossary())
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("analysing 300,000 characters took over 20 s: quadratic again?")
	}
}
