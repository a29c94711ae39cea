package divisions

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Matcher finds every occurrence of a set of patterns in a text in one
// pass over it (Aho-Corasick over runes). Its trie is laid out breadth
// first, each node's children contiguous and sorted by rune, so a step is
// a binary search and building needs no hashing. It is read-only once
// built and safe for concurrent use.
type Matcher struct {
	first []int32 // index of a node's first child
	count []int32 // number of children
	char  []rune  // the rune on the edge into a node
	fail  []int32
	out   []int32 // pattern ending at this node, or -1
	link  []int32 // nearest node on the fail chain with an output, or 0
	plen  []int   // pattern length in bytes
	// root is the root's child for each rune below len(root) (0: none).
	// The root has a child for every first character of a name, thousands,
	// and most steps of a scan start from it: a table instead of a binary
	// search there.
	root []int32
}

// rootTableEnd is where the root's table ends: past the CJK Unified
// Ideographs, where the first characters of place names are.
const rootTableEnd = 0xA000

// indexRoot fills the root's table from its children.
func (m *Matcher) indexRoot() {
	m.root = make([]int32, rootTableEnd)
	for c := m.first[0]; c < m.first[0]+m.count[0]; c++ {
		if r := m.char[c]; r >= 0 && r < rootTableEnd {
			m.root[r] = c
		}
	}
}

// MatchAt is one occurrence: text[Start:End] is pattern Pattern.
type MatchAt struct {
	Start, End int
	Pattern    int
}

// NewMatcher builds a matcher over patterns; empty patterns are ignored
// and a repeated one keeps its first index.
func NewMatcher(patterns []string) *Matcher {
	type pat struct {
		rs  []rune
		idx int
	}
	order := make([]int, 0, len(patterns))
	m := &Matcher{plen: make([]int, len(patterns))}
	for i, p := range patterns {
		m.plen[i] = len(p)
		if p != "" {
			order = append(order, i)
		}
	}
	// UTF-8 byte order is rune order.
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(patterns[a], patterns[b]) })
	ps := make([]pat, len(order))
	for k, i := range order {
		ps[k] = pat{[]rune(patterns[i]), i}
	}
	// Breadth-first: each queued node owns the sorted patterns [lo, hi)
	// that pass through it at depth.
	type span struct{ lo, hi, depth int }
	m.char = append(m.char, 0)
	m.out = append(m.out, -1)
	spans := []span{{0, len(ps), 0}}
	for v := 0; v < len(spans); v++ {
		s := spans[v]
		lo := s.lo
		for lo < s.hi && len(ps[lo].rs) == s.depth {
			if m.out[v] < 0 {
				m.out[v] = int32(ps[lo].idx)
			}
			lo++
		}
		m.first = append(m.first, int32(len(m.char)))
		n := 0
		for lo < s.hi {
			r := ps[lo].rs[s.depth]
			hi := lo + 1
			for hi < s.hi && ps[hi].rs[s.depth] == r {
				hi++
			}
			m.char = append(m.char, r)
			m.out = append(m.out, -1)
			spans = append(spans, span{lo, hi, s.depth + 1})
			n++
			lo = hi
		}
		m.count = append(m.count, int32(n))
	}
	nodes := len(m.char)
	m.fail = make([]int32, nodes)
	m.link = make([]int32, nodes)
	// Node ids are breadth-first, so a node's fail target is always done.
	for v := 0; v < nodes; v++ {
		for c := m.first[v]; c < m.first[v]+m.count[v]; c++ {
			if v == 0 {
				continue // depth-1 nodes fail to the root
			}
			f := m.fail[v]
			for {
				if t, ok := m.step(f, m.char[c]); ok {
					m.fail[c] = t
					break
				}
				if f == 0 {
					break
				}
				f = m.fail[f]
			}
			if fc := m.fail[c]; m.out[fc] >= 0 {
				m.link[c] = fc
			} else {
				m.link[c] = m.link[fc]
			}
		}
	}
	m.indexRoot()
	return m
}

// step follows the edge labelled r out of node v.
func (m *Matcher) step(v int32, r rune) (int32, bool) {
	if v == 0 && uint32(r) < uint32(len(m.root)) {
		c := m.root[r]
		return c, c != 0
	}
	lo, hi := m.first[v], m.first[v]+m.count[v]
	for lo < hi {
		mid := (lo + hi) / 2
		if m.char[mid] < r {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < m.first[v]+m.count[v] && m.char[lo] == r {
		return lo, true
	}
	return 0, false
}

// FindAll returns every occurrence of every pattern in text, overlapping
// ones included, ordered by end position.
func (m *Matcher) FindAll(text string) []MatchAt {
	var out []MatchAt
	node := int32(0)
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		for {
			if c, ok := m.step(node, r); ok {
				node = c
				break
			}
			if node == 0 {
				break
			}
			node = m.fail[node]
		}
		v := node
		if m.out[v] < 0 {
			v = m.link[v]
		}
		for v > 0 {
			p := m.out[v]
			out = append(out, MatchAt{Start: i - m.plen[p], End: i, Pattern: int(p)})
			v = m.link[v]
		}
	}
	return out
}
