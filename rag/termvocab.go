package rag

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"fazhi/ingest"
)

// termVocab is the vocabulary whose sentence counts a report carries from
// ingest (ingest.Report.TermCounts): the Han bigrams a question about a
// metric is made of — the tokens of every metric's keywords and label,
// of the glossary's Chinese forms and of the synonym sets, each with its
// synonym variants (expandForms). A total over every report reads these
// counts from the store instead of splitting every report holding the
// term into sentences (Engine.termCounts). It comes from the data tables
// alone, never from a question.
type termVocab struct {
	tokens  []string         // sorted
	index   map[string]int   // token → its position in tokens
	pairs   map[uint64]int32 // the token's two characters (pairKey) → its position
	version string           // names tokens: counts made under another version are not these
	// first and second hold a bit for each character of the Basic
	// Multilingual Plane that starts or ends a token: most pairs of a
	// text are ruled out by them without a look-up in pairs.
	first, second [1 << 16 / 64]uint64
}

// mayPair says whether the bit sets leave r1 followed by r2 possibly a
// token (characters outside the Basic Multilingual Plane always may).
func (v *termVocab) mayPair(r1, r2 rune) bool {
	return (r1 > 0xFFFF || v.first[r1>>6]&(1<<(r1&63)) != 0) && (r2 > 0xFFFF || v.second[r2>>6]&(1<<(r2&63)) != 0)
}

// pairKey is the key of two characters in termVocab.pairs.
func pairKey(r1, r2 rune) uint64 { return uint64(r1)<<32 | uint64(uint32(r2)) }

var defaultTermVocab = sync.OnceValue(func() *termVocab {
	var forms []string
	for _, m := range ingest.Metrics() {
		forms = append(forms, m.Label)
		for _, kw := range m.Keywords {
			forms = append(forms, kw)
			for _, t := range strings.Split(kw, "+") {
				forms = append(forms, strings.TrimPrefix(t, "!"))
			}
		}
	}
	if g := DefaultGlossary(); g != nil {
		for _, e := range g.entries {
			forms = append(forms, e.chinese...)
		}
	}
	for _, set := range synonyms {
		forms = append(forms, set...)
	}
	return newTermVocab(forms)
})

// newTermVocab is the vocabulary of the Han bigrams of forms and of their
// synonym variants.
func newTermVocab(forms []string) *termVocab {
	seen := map[string]bool{}
	var toks []string
	for _, f := range forms {
		for _, v := range expandForms([]string{f}) {
			for _, t := range Tokens(v) {
				if isHanBigram(t) && !seen[t] {
					seen[t] = true
					toks = append(toks, t)
				}
			}
		}
	}
	slices.Sort(toks)
	v := &termVocab{tokens: toks, index: make(map[string]int, len(toks)), pairs: make(map[uint64]int32, len(toks))}
	for i, t := range toks {
		v.index[t] = i
		r1, n := utf8.DecodeRuneInString(t)
		r2, _ := utf8.DecodeRuneInString(t[n:])
		v.pairs[pairKey(r1, r2)] = int32(i)
		if r1 <= 0xFFFF {
			v.first[r1>>6] |= 1 << (r1 & 63)
		}
		if r2 <= 0xFFFF {
			v.second[r2>>6] |= 1 << (r2 & 63)
		}
	}
	sum := sha256.Sum256([]byte(strings.Join(toks, "\n")))
	v.version = hex.EncodeToString(sum[:8])
	return v
}

// TermVocabVersion names the vocabulary of the term counts this version
// of fazhi makes at ingest: a store's counts made under another are not
// read (fazhi reindex counts them again).
func TermVocabVersion() string { return defaultTermVocab().version }

// termTally counts, sentence by sentence, how many distinct sentences of
// a report hold each token of a vocabulary: for a Han bigram, a sentence
// holds it when strings.Contains says so, as countTerms counts.
type termTally struct {
	v      *termVocab
	counts []int32
	last   []int32 // the sentence that last counted each token (1-based)
	n      int32
}

func newTermTally(v *termVocab) *termTally {
	return &termTally{v: v, counts: make([]int32, len(v.tokens)), last: make([]int32, len(v.tokens))}
}

// add counts one sentence; the caller passes each distinct sentence of
// the report once. Every two characters standing next to each other are
// looked up: a valid UTF-8 bigram is found in a string exactly at a
// character boundary, which the decoder visits, and a character decoded
// from broken UTF-8 (utf8.RuneError) is in no token, so in no bit set.
func (t *termTally) add(s string) {
	t.n++
	var prev rune = utf8.RuneError
	for _, r := range s {
		if r >= 0x2E80 && prev >= 0x2E80 && t.v.mayPair(prev, r) {
			if k, ok := t.v.pairs[pairKey(prev, r)]; ok && t.last[k] != t.n {
				t.last[k] = t.n
				t.counts[k]++
			}
		}
		prev = r
	}
}

// encode is the tally in the form stores keep (ingest.Report.TermCounts):
// for each token counted in at least one sentence, in vocabulary order,
// the gap from the previous such token's position and the count, both as
// unsigned varints. Nil when no token was counted.
func (t *termTally) encode() []byte {
	var out []byte
	prev := -1
	for k, c := range t.counts {
		if c == 0 {
			continue
		}
		out = binary.AppendUvarint(out, uint64(k-prev))
		out = binary.AppendUvarint(out, uint64(c))
		prev = k
	}
	if out == nil {
		return []byte{} // counted, none held: not the nil of "not counted"
	}
	return out
}

// decode calls f with the position and count of each token in enc, an
// encoding made under v (termTally.encode).
func (v *termVocab) decode(enc []byte, f func(k, count int)) error {
	k := -1
	for at := 0; at < len(enc); {
		gap, n := binary.Uvarint(enc[at:])
		if n <= 0 || gap == 0 || gap > uint64(len(v.tokens)-1-k) {
			return fmt.Errorf("term counts: bad token gap at byte %d", at)
		}
		at += n
		c, m := binary.Uvarint(enc[at:])
		if m <= 0 || c == 0 || c > 1<<31 {
			return fmt.Errorf("term counts: bad count at byte %d", at)
		}
		at += m
		k += int(gap)
		f(k, int(c))
	}
	return nil
}

// DecodeTermCounts reads counts a report carries (ingest.Report.TermCounts)
// made under vocabulary version vocab: how many of its sentences hold each
// token, tokens none holds left out. It fails when vocab is not
// TermVocabVersion or the encoding is damaged.
func DecodeTermCounts(vocab string, enc []byte) (map[string]int, error) {
	v := defaultTermVocab()
	if vocab != v.version {
		return nil, fmt.Errorf("term counts made under vocabulary %q, this version counts %q", vocab, v.version)
	}
	out := map[string]int{}
	err := v.decode(enc, func(k, c int) { out[v.tokens[k]] = c })
	return out, err
}
