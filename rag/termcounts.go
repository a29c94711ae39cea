package rag

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"fazhi/ingest"
)

// termCounter keeps, for each term a total or comparison has asked
// about, how many distinct sentences of each report hold it: with a
// report's sentence count, the weight the term has when the question is
// asked of that report alone (matcherFor over its sentences). A report's
// counts never change (its ID is its content); the counts are dropped
// when the store changes, as a term's counts must cover every report.
type termCounter struct {
	mu      sync.Mutex
	version int64
	counts  map[string]map[string]int // term → report ID → sentences holding it
	stored  *storedCounts             // the store's counts at version; nil until read
}

// storedCounts are the term counts every stored report keeps
// (TermCountStore), as encoded, read from the store once per store
// version: each term first asked after that is decoded from memory (a
// few hundred bytes a report) instead of read again.
type storedCounts struct {
	complete bool     // every stored report has counts of this vocabulary; else nothing is kept
	ids      []string // report IDs
	encs     [][]byte // each report's encoding, in blocks of storedBlock bytes
}

// storedBlock is the size of the blocks the encodings are copied into:
// one allocation for some hundreds of reports.
const storedBlock = 256 << 10

// maxCountedTerms bounds the terms kept: past it the counts start again.
const maxCountedTerms = 512

// termCounts returns, for each of tokens, how many distinct sentences of
// each stored report hold it (reports without it are absent). Terms not
// counted yet are read from the counts stored with every report at ingest
// when they are in the term vocabulary and every report has counts of
// this vocabulary (storedTermCounts); the others are counted from the
// chunks that hold them, found through the keyword index in one query: a
// sentence holding a term stands in a chunk holding it.
func (e *Engine) termCounts(ctx context.Context, tokens []string) (map[string]map[string]int, error) {
	tc := e.lockTerms()
	defer tc.mu.Unlock()
	if len(tc.counts)+len(tokens) > maxCountedTerms {
		tc.counts = map[string]map[string]int{}
	}
	var missing []string
	for _, t := range tokens {
		if _, ok := tc.counts[t]; !ok {
			missing = append(missing, t)
		}
	}
	stored, missing, err := e.storedTermCounts(ctx, tc, missing)
	if err != nil {
		return nil, err
	}
	for t, byReport := range stored {
		tc.counts[t] = byReport
	}
	if len(missing) > 0 {
		hits, err := e.store.ChunksWith(ctx, missing, Scope{})
		if err != nil {
			return nil, err
		}
		for t, byReport := range countTerms(hits, missing) {
			tc.counts[t] = byReport
		}
	}
	out := make(map[string]map[string]int, len(tokens))
	for _, t := range tokens {
		out[t] = tc.counts[t]
	}
	return out, nil
}

// storedTermCounts reads the counts of the tokens in the term vocabulary
// from those the store keeps with every report (TermCountStore), and
// returns the tokens it could not read: those outside the vocabulary, or
// all of them when the store keeps no counts or not every report's of
// this vocabulary. The caller holds tc.mu.
func (e *Engine) storedTermCounts(ctx context.Context, tc *termCounter, tokens []string) (counts map[string]map[string]int, rest []string, err error) {
	if _, ok := e.store.(TermCountStore); !ok || len(tokens) == 0 {
		return nil, tokens, nil
	}
	v := defaultTermVocab()
	want := make([]int, len(v.tokens)) // vocabulary position → 1 + the token's index in asked
	var asked []string
	for _, t := range tokens {
		if k, ok := v.index[t]; ok {
			if want[k] == 0 {
				asked = append(asked, t)
				want[k] = len(asked)
			}
		} else {
			rest = append(rest, t)
		}
	}
	if len(asked) == 0 {
		return nil, tokens, nil
	}
	if err := e.loadStoredCounts(ctx, tc); err != nil {
		return nil, nil, err
	}
	if !tc.stored.complete {
		return nil, tokens, nil
	}
	byToken := make([]map[string]int, len(asked))
	for i := range byToken {
		byToken[i] = map[string]int{}
	}
	sc := tc.stored
	for r, id := range sc.ids {
		err := v.decode(sc.encs[r], func(k, c int) {
			if i := want[k]; i > 0 {
				byToken[i-1][id] = c
			}
		})
		if err != nil {
			// loadStoredCounts decoded every report's once: this is no
			// store's damage but a bug; count from the chunks instead.
			e.log.Error("stored term counts fail to decode", "report", id, "err", err)
			return nil, tokens, nil
		}
	}
	counts = make(map[string]map[string]int, len(asked))
	for i, t := range asked {
		counts[t] = byToken[i]
	}
	return counts, rest, nil
}

// loadStoredCounts reads the term counts the store keeps with every
// report (TermCountStore) into tc.stored, once per store version. They
// serve only when every stored report has counts of this version's
// vocabulary and each decodes: a report without them, or with damaged
// ones, leaves every term to be counted from the chunks until `fazhi
// reindex` counts it again. Only the store's failure to read is an error.
// The caller holds tc.mu, with tc.version the store's version.
func (e *Engine) loadStoredCounts(ctx context.Context, tc *termCounter) error {
	ts, ok := e.store.(TermCountStore)
	if !ok || tc.stored != nil {
		return nil
	}
	v := defaultTermVocab()
	sc := &storedCounts{}
	var block []byte
	damaged := ""
	complete, err := ts.TermCounts(ctx, v.version, func(id string, enc []byte) error {
		if damaged == "" && v.decode(enc, func(int, int) {}) != nil {
			damaged = id
		}
		if cap(block)-len(block) < len(enc) {
			block = make([]byte, 0, max(storedBlock, len(enc)))
		}
		block = append(block, enc...)
		sc.ids = append(sc.ids, id)
		sc.encs = append(sc.encs, block[len(block)-len(enc):len(block):len(block)])
		return nil
	})
	if err != nil {
		return fmt.Errorf("read term counts: %w", err)
	}
	switch {
	case damaged != "":
		complete = false
		e.log.Warn("totals count their terms from the reports' chunks: a stored report's term counts are damaged; `fazhi reindex` counts them again", "report", damaged)
	case !complete:
		e.log.Info("totals count their terms from the reports' chunks: some stored reports have no term counts of this version's vocabulary; `fazhi reindex` fills them in", "vocabulary", v.version)
	}
	if !complete {
		sc = &storedCounts{} // nothing of it serves: every token is counted from the chunks
	}
	sc.complete = complete
	tc.stored = sc
	return nil
}

// preloadTermCounts reads the stored term counts (loadStoredCounts) ahead
// of termCounts, which then finds them read: a total reads them while it
// reads its figures.
func (e *Engine) preloadTermCounts(ctx context.Context) error {
	tc := e.lockTerms()
	defer tc.mu.Unlock()
	return e.loadStoredCounts(ctx, tc)
}

// lockTerms locks the engine's term counter and returns it, emptied when
// the store changed since it counted. The caller unlocks tc.mu.
func (e *Engine) lockTerms() *termCounter {
	e.mu.RLock()
	v := e.version
	e.mu.RUnlock()
	tc := &e.terms
	tc.mu.Lock()
	if tc.counts == nil || tc.version != v {
		tc.counts, tc.version, tc.stored = map[string]map[string]int{}, v, nil
	}
	return tc
}

// countTerms counts, for each of terms, the distinct sentences of each
// report among chunks that hold it, a sentence in several chunks of its
// report (their overlap) once, as a report's doc holds it.
func countTerms(chunks []Hit, terms []string) map[string]map[string]int {
	out := make(map[string]map[string]int, len(terms))
	for _, t := range terms {
		out[t] = map[string]int{}
	}
	ft := newFactTerms(terms)
	type key struct{ report, sentence string }
	seen := map[key]bool{}
	for _, h := range chunks {
		for _, s := range ingest.Sentences(h.Text) {
			k := key{h.ReportID, s}
			if seen[k] {
				continue
			}
			seen[k] = true
			for t := range ft.in(s) {
				out[t][h.ReportID]++
			}
		}
	}
	return out
}

// factRows keeps the figures the fact query returned, by query, until the
// store changes: a total asked again, or another question of the same
// metric and scope, reads no row again, nor the texts of its figures.
type factRows struct {
	mu      sync.Mutex
	version int64
	sets    map[string]*factSet // FactQuery's key → its figures
}

// factSet is the figures one fact query returned, with the texts each is
// scored on (textsOf), read once when first needed.
type factSet struct {
	rows  []MetricFact
	once  sync.Once
	texts []factTexts // by row, once made
}

// textsOf returns the texts of every row, by row.
func (s *factSet) textsOf() []factTexts {
	s.once.Do(func() {
		s.texts = make([]factTexts, len(s.rows))
		for i, f := range s.rows {
			if f.HasContext {
				s.texts[i] = textsOf(f.Fact, f.Context)
			}
		}
	})
	return s.texts
}

// maxFactQueries bounds the queries kept: past it they start again.
const maxFactQueries = 16

// metricFacts returns the store's MetricFacts for q, kept until the store
// changes. The rows are shared: callers do not change them.
func (e *Engine) metricFacts(ctx context.Context, q FactQuery) (*factSet, error) {
	e.mu.RLock()
	v := e.version
	e.mu.RUnlock()
	key := q.Metric + "\x00" + strconv.Itoa(q.Year) + "\x00" + strings.Join(q.Places, "\x00")
	fr := &e.factRows
	fr.mu.Lock()
	if fr.sets == nil || fr.version != v || len(fr.sets) >= maxFactQueries {
		fr.sets, fr.version = map[string]*factSet{}, v
	}
	set, ok := fr.sets[key]
	fr.mu.Unlock()
	if ok {
		return set, nil
	}
	rows, err := e.store.MetricFacts(ctx, q)
	if err != nil {
		return nil, err
	}
	set = &factSet{rows: rows}
	fr.mu.Lock()
	if fr.version == v {
		fr.sets[key] = set
	}
	fr.mu.Unlock()
	return set, nil
}

// CountTerms fills in the term counts of the stored reports that have
// none made under this version's vocabulary (a store made before they
// were counted at ingest, or under another vocabulary), counted from
// their stored chunks exactly as Prepare counts them, so that totals read
// them instead of the reports' sentences without ingesting again. It
// returns how many reports it counted; a store that keeps no counts (not
// a TermCountStore) has none to fill.
func (e *Engine) CountTerms(ctx context.Context) (int, error) {
	ts, ok := e.store.(TermCountStore)
	if !ok {
		return 0, nil
	}
	v := defaultTermVocab()
	have := map[string]bool{} // reports with counts of this vocabulary that decode
	damaged := false
	complete, err := ts.TermCounts(ctx, v.version, func(id string, enc []byte) error {
		if v.decode(enc, func(int, int) {}) != nil {
			damaged = true // counted again below
			return nil
		}
		have[id] = true
		return nil
	})
	if err != nil || complete && !damaged {
		return 0, err
	}
	reps, err := e.store.Reports(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range reps {
		if have[r.ID] {
			continue
		}
		hits, err := e.store.Chunks(ctx, Scope{Towns: []string{r.Unit()}, Year: r.Year})
		if err != nil {
			return n, err
		}
		tally := newTermTally(v)
		seen := map[string]bool{}
		for _, h := range hits {
			if h.ReportID != r.ID {
				continue
			}
			for _, s := range ingest.Sentences(h.Text) {
				if !seen[s] {
					seen[s] = true
					tally.add(s)
				}
			}
		}
		if err := ts.SetTermCounts(ctx, r.ID, v.version, tally.encode()); errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		} else if err != nil {
			return n, fmt.Errorf("term counts of %s: %w", r.Source, err)
		}
		n++
	}
	if n > 0 {
		return n, e.refresh(ctx)
	}
	return n, nil
}
