package rag

import "testing"

// FuzzAnalyse: question analysis and follow-up resolution never panic on
// any text, and the towns found are stored towns.
func FuzzAnalyse(f *testing.F) {
	for _, s := range []string{
		"渔门镇2020年调解了多少矛盾纠纷？", "How many disputes did Yumen's town mediate in 2020?",
		"那城关镇呢？", "哪个镇最多", "2019年呢", "", "？？？", "多少多少几几", "Huangjue's 'x' 2099",
		"普坪乡有没有行政复议或者行政诉讼案件？", "\uE000\uE001存在",
	} {
		f.Add(s)
	}
	towns := makeTownNames([]string{"渔门镇", "城关镇", "普坪彝族乡", "河西街道"})
	known := map[string]bool{"渔门镇": true, "城关镇": true, "普坪彝族乡": true, "河西街道": true}
	g := DefaultGlossary()
	f.Fuzz(func(t *testing.T, q string) {
		a := analyse(q, towns, g)
		for _, town := range a.Towns {
			if !known[town] {
				t.Fatalf("analyse(%q) found town %q, which is not stored", q, town)
			}
		}
		resolveFollowUp(q, []Turn{{Role: "user", Content: "渔门镇2020年调解了多少矛盾纠纷？"}}, towns, g)
		splitQuestion(q, func(string) bool { return false })
	})
}
