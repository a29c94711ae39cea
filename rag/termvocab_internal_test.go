package rag

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTermTallyMatchesContains counts random texts of vocabulary
// characters, other Han characters, Latin letters, marks and broken UTF-8
// and checks each token's count against strings.Contains sentence by
// sentence, as countTerms decides; the encoding reads back the same.
func TestTermTallyMatchesContains(t *testing.T) {
	v := newTermVocab([]string{"调解", "矛盾纠纷", "法律顾问", "𠀀𠀁"})
	alphabet := []string{"调", "解", "矛", "盾", "纠", "纷", "法", "律", "顾", "问", "𠀀", "𠀁", "镇", "a", "1", "，", " ", "\xe8", "\xe8\xb0", "\xff", "\x00"}
	r := rand.New(rand.NewPCG(7, 7))
	for round := range 200 {
		tally := newTermTally(v)
		want := make([]int, len(v.tokens))
		for range 1 + r.IntN(8) {
			var b strings.Builder
			for range r.IntN(24) {
				b.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			s := b.String()
			tally.add(s)
			for k, tok := range v.tokens {
				if strings.Contains(s, tok) {
					want[k]++
				}
			}
		}
		got := make([]int, len(v.tokens))
		if err := v.decode(tally.encode(), func(k, c int) { got[k] = c }); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for k, tok := range v.tokens {
			if got[k] != want[k] {
				t.Fatalf("round %d: %s counted %d, strings.Contains says %d", round, tok, got[k], want[k])
			}
		}
	}
}

// TestTermCountsDecodeErrors reads damaged encodings: each is an error,
// never a count of another token.
func TestTermCountsDecodeErrors(t *testing.T) {
	v := newTermVocab([]string{"调解", "纠纷"})
	if len(v.tokens) > 100 {
		t.Fatalf("%d tokens: the test writes a gap in one byte", len(v.tokens))
	}
	for _, tc := range []struct {
		name string
		enc  []byte
	}{
		{"gap past the vocabulary", []byte{byte(len(v.tokens) + 1), 1}},
		{"zero gap", []byte{1, 1, 0, 1}},
		{"zero count", []byte{1, 0}},
		{"cut after a gap", []byte{1}},
		{"cut varint", []byte{1, 0x80}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := v.decode(tc.enc, func(int, int) {}); err == nil {
				t.Errorf("decode(%x) = nil error", tc.enc)
			}
		})
	}
	if _, err := DecodeTermCounts("other", nil); err == nil {
		t.Error("DecodeTermCounts under another vocabulary: nil error")
	}
	if err := v.decode([]byte{}, func(int, int) { t.Error("a count in an empty encoding") }); err != nil {
		t.Errorf("decode(empty) = %v", err)
	}
}
