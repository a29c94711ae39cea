package sqlitestore

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"modernc.org/libc"
)

// keywordIndex is an in-memory copy of the FTS5 index: for every term,
// the chunks holding it and how often, with each chunk's length, unit and
// year. It scores a query with FTS5's own bm25() (same statistics, same
// formula, same order of additions) term by term, so it returns what the
// FTS5 query returns without SQLite visiting every matching row: for a
// question naming no town that is most of the corpus. It is immutable once
// built; the store drops it when the stored chunks change and builds it
// again in the background (see Warm), answering from FTS5 meanwhile.
type keywordIndex struct {
	terms  map[string]int32 // term → index into post
	post   [][]uint32       // per term: doc<<8 | min(tf, 255), by doc
	bigTF  map[uint64]int32 // term<<32 | doc → tf, for tf ≥ 255
	ids    []int64          // doc → chunk id (ascending)
	size   []int32          // doc → tokens in the row (FTS5 docsize)
	town   []int32          // doc → index into towns
	year   []int32          // doc → year
	towns  []string
	avgdl  float64
	nRows  int64
	gen    uint64    // the store's index generation it was built at
	broken string    // why the index cannot stand in for FTS5, if it cannot
	acc    sync.Pool // *kwAcc sized for this index

	lastDoc, tf []int32 // per term, while building: the last doc counted and its count there
}

// count counts term t once more in doc d, noting in docTerms the terms
// met in d for the first time. t may be part of a row's bytes: the index
// keeps a copy of a term it has not met before.
func (x *keywordIndex) count(t []byte, d int32, docTerms *[]int32) {
	ti, ok := x.terms[string(t)]
	if !ok {
		ti = int32(len(x.post))
		x.terms[string(t)] = ti
		x.post = append(x.post, nil)
		x.lastDoc = append(x.lastDoc, -1)
		x.tf = append(x.tf, 0)
	}
	if x.lastDoc[ti] != d {
		x.lastDoc[ti], x.tf[ti] = d, 0
		*docTerms = append(*docTerms, ti)
	}
	x.tf[ti]++
}

// plainToken reports whether unicode61 keeps s whole and as it is: ASCII
// lower-case letters and digits, and ideographs of the CJK block as
// Unicode 6.1 (the tokenizer's tables) has them.
func plainToken(s []byte) bool {
	for _, r := range string(s) {
		if !plainRune(r) {
			return false
		}
	}
	return true
}

// plainTerm is plainToken of a string.
func plainTerm(s string) bool {
	for _, r := range s {
		if !plainRune(r) {
			return false
		}
	}
	return true
}

// plainRune reports whether r is a character plainToken accepts.
func plainRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 0x4E00 && r <= 0x9FCC
}

// ftsTokens splits text as FTS5's unicode61 tokenizer (remove_diacritics
// 0) does: runs of letters, numbers and private-use characters (marks
// continue a run), folded to lower case.
func ftsTokens(text string) []string {
	var out []string
	start := -1
	for i, r := range text {
		in := unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
		if !in && start >= 0 && r >= 0x80 && unicode.Is(unicode.Mn, r) {
			in = true
		}
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			out = append(out, strings.ToLower(text[start:i]))
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, strings.ToLower(text[start:]))
	}
	return out
}

// buildKeywordIndex reads the FTS5 table's content and sizes into a
// keywordIndex. A row whose tokens, split as unicode61 splits them, do not
// number what FTS5 counted marks the index broken (and so unused): the
// tokenizer's Unicode tables then disagree with Go's for some character.
func buildKeywordIndex(ctx context.Context, db *sql.DB, gen uint64) (*keywordIndex, error) {
	x := &keywordIndex{terms: map[string]int32{}, bigTF: map[uint64]int32{}, gen: gen}
	rows, err := db.QueryContext(ctx, `SELECT c.id, c.c0, c.c1, c.c2, d.sz FROM chunks_fts_content c JOIN chunks_fts_docsize d ON d.id = c.id ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("build keyword index: %w", err)
	}
	defer rows.Close()
	townIdx := map[string]int32{}
	var (
		id         int64
		text, town sql.RawBytes
		year       sql.NullInt64
		sz         sql.RawBytes
		docTerms   []int32
		total      int64
	)
	for rows.Next() {
		if err := rows.Scan(&id, &text, &town, &year, &sz); err != nil {
			return nil, fmt.Errorf("build keyword index: %w", err)
		}
		d := int32(len(x.ids))
		size, err := docsize(sz)
		if err != nil {
			return nil, fmt.Errorf("build keyword index: chunk %d: %w", id, err)
		}
		n := 0
		docTerms = docTerms[:0]
		for piece := range bytes.SplitSeq(text, []byte{' '}) {
			if len(piece) == 0 {
				continue
			}
			if plainToken(piece) {
				n++
				x.count(piece, d, &docTerms)
				continue
			}
			for _, t := range ftsTokens(string(piece)) {
				n++
				x.count([]byte(t), d, &docTerms)
			}
		}
		if n != int(size) && x.broken == "" {
			x.broken = fmt.Sprintf("chunk %d: %d tokens here, %d in FTS5", id, n, size)
		}
		for _, ti := range docTerms {
			tf := x.tf[ti]
			if tf >= 255 {
				x.bigTF[uint64(ti)<<32|uint64(d)] = tf
				tf = 255
			}
			x.post[ti] = append(x.post[ti], uint32(d)<<8|uint32(tf))
		}
		ti, ok := townIdx[string(town)]
		if !ok {
			ti = int32(len(x.towns))
			townIdx[string(town)] = ti
			x.towns = append(x.towns, string(town))
		}
		x.ids = append(x.ids, id)
		x.size = append(x.size, size)
		x.town = append(x.town, ti)
		x.year = append(x.year, int32(year.Int64))
		total += int64(size)
		if len(x.ids) >= 1<<24 {
			return nil, errors.New("build keyword index: more than 16M chunks")
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("build keyword index: %w", err)
	}
	for i, p := range x.post {
		x.post[i] = slices.Clip(p)
	}
	x.lastDoc, x.tf = nil, nil
	x.nRows = int64(len(x.ids))
	x.acc.New = func() any { return &kwAcc{score: make([]float64, x.nRows), seen: make([]bool, x.nRows)} }
	if x.nRows > 0 {
		x.avgdl = float64(total) / float64(x.nRows)
	}
	return x, nil
}

// docsize sums the column sizes of an FTS5 docsize record: SQLite
// varints (big-endian groups of seven bits, the high bit set on all but
// the last byte).
func docsize(b []byte) (int32, error) {
	var n int64
	for len(b) > 0 {
		var v int64
		k := 0
		for {
			if k >= len(b) || k >= 8 {
				return 0, errors.New("bad FTS5 docsize record")
			}
			c := b[k]
			k++
			v = v<<7 | int64(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
		n += v
		b = b[k:]
	}
	return int32(n), nil
}

// search returns the k chunks of the scope with the best bm25 scores, as
// `ORDER BY bm25(chunks_fts) LIMIT k` over `chunks_fts MATCH ftsQuery(tokens)`
// does: scores are FTS5's negated (higher is better), equal scores go by
// chunk id. ok is false when the index cannot answer the query (a term
// unicode61 splits in several tokens, a phrase): ask FTS5 then.
func (x *keywordIndex) search(tokens []string, towns []string, year int, k int) (hits []kwHit, ok bool) {
	if x.broken != "" {
		return nil, false
	}
	// The phrases of ftsQuery, in its order; each must be one token.
	var phrases []int32 // term index, or -1 for a term no chunk holds
	seen := map[string]bool{}
	for _, t := range tokens {
		if seen[t] {
			continue
		}
		seen[t] = true
		ft := ftsTokens(t)
		if len(ft) != 1 {
			return nil, false
		}
		ti, held := x.terms[ft[0]]
		if !held {
			ti = -1
		}
		phrases = append(phrases, ti)
	}
	if len(phrases) == 0 || k <= 0 || x.nRows == 0 {
		return nil, true
	}
	var townOK []bool
	if len(towns) > 0 {
		townOK = make([]bool, len(x.towns))
		for i, t := range x.towns {
			townOK[i] = slices.Contains(towns, t)
		}
	}
	inScope := func(d uint32) bool {
		return (townOK == nil || townOK[x.town[d]]) && (year == 0 || int(x.year[d]) == year)
	}
	// Variables, not constants: FTS5 computes k1+1 at run time, and Go's
	// exact constant arithmetic could round it another way.
	k1, b := 1.2, 0.75
	// FTS5 takes the logarithm from SQLite's C library, which on some
	// platforms differs from math.Log in the last bit.
	tls := libc.NewTLS()
	defer tls.Close()
	acc := x.acc.Get().(*kwAcc)
	defer x.acc.Put(acc)
	score, seenDoc := acc.score, acc.seen
	order := acc.order[:0]
	defer func() {
		for _, d := range order {
			score[d], seenDoc[d] = 0, false
		}
		acc.order = order[:0]
	}()
	for _, ti := range phrases {
		if ti < 0 {
			continue // matches no row: adds nothing to any score
		}
		post := x.post[ti]
		nHit := int64(len(post))
		idf := libc.Xlog(tls, (float64(x.nRows-nHit)+0.5)/(float64(nHit)+0.5))
		if idf <= 0 {
			idf = 1e-6
		}
		for _, p := range post {
			d := p >> 8
			if !inScope(d) {
				continue
			}
			tf := float64(p & 0xff)
			if tf == 255 {
				tf = float64(x.bigTF[uint64(ti)<<32|uint64(d)])
			}
			D := float64(x.size[d])
			if !seenDoc[d] {
				seenDoc[d] = true
				order = append(order, d)
			}
			score[d] += idf * (float64(tf*(k1+1)) / (tf + float64(k1*(1-b+float64(b*D)/x.avgdl))))
		}
	}
	// The best k: a heap with the worst kept on top.
	top := make(kwTop, 0, k)
	for _, d := range order {
		h := kwHit{id: x.ids[d], score: score[d]}
		if len(top) < k {
			heap.Push(&top, h)
		} else if kwWorse(top[0], h) {
			top[0] = h
			heap.Fix(&top, 0)
		}
	}
	slices.SortFunc(top, func(a, b kwHit) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	return top, true
}

// kwAcc is a search's scratch space: a score per row and the rows
// scored, cleared after use and kept for the next search.
type kwAcc struct {
	score []float64
	seen  []bool
	order []uint32
}

// kwWorse orders keyword hits from worst to best: lower score, then
// higher chunk id.
func kwWorse(a, b kwHit) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return a.id > b.id
}

type kwTop []kwHit

func (t kwTop) Len() int           { return len(t) }
func (t kwTop) Less(i, j int) bool { return kwWorse(t[i], t[j]) }
func (t kwTop) Swap(i, j int)      { t[i], t[j] = t[j], t[i] }
func (t *kwTop) Push(x any)        { *t = append(*t, x.(kwHit)) }
func (t *kwTop) Pop() any {
	x := (*t)[len(*t)-1]
	*t = (*t)[:len(*t)-1]
	return x
}

// kwHit is a chunk a keyword search found, with its bm25 score.
type kwHit struct {
	id    int64
	score float64
}
