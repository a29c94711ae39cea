package rag

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"fazhi/ingest"
)

// candidates returns the sentences to consider: every sentence of the
// reports in scope when they are few, else those of the chunks that
// hybrid retrieval finds in scope.
func (e *Engine) candidates(ctx context.Context, c *catalog, q Query, scope []ReportInfo) ([]sentence, error) {
	if readWhole(q, scope) {
		return e.allSentences(ctx, scope)
	}
	hits, err := e.retrieve(ctx, q, 24)
	if err != nil {
		return nil, err
	}
	var out []sentence
	seen := map[string]bool{}
	for _, h := range hits {
		ri := c.byID[h.ReportID]
		for _, s := range ingest.Sentences(h.Text) {
			key := h.ReportID + s
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, newSentence(s, h.Section, ri))
		}
	}
	return out, nil
}

// allSentences returns every sentence of the reports in scope.
func (e *Engine) allSentences(ctx context.Context, scope []ReportInfo) ([]sentence, error) {
	var out []sentence
	for _, r := range scope {
		d, err := e.doc(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, d.sentences...)
	}
	return out, nil
}

// readWhole says whether every sentence of the reports in scope is read,
// rather than those of the chunks retrieval finds.
func readWhole(q Query, scope []ReportInfo) bool {
	return len(scope) <= maxScopeReports || ((len(q.Towns) > 0 || len(q.ReportIDs) > 0) && len(scope) <= maxTownReports)
}

// reportsOf lists the distinct reports of sentences, in order.
func reportsOf(sents []sentence) []ReportInfo {
	seen := map[string]bool{}
	var out []ReportInfo
	for _, s := range sents {
		if !seen[s.report.ID] {
			seen[s.report.ID] = true
			out = append(out, s.report)
		}
	}
	return out
}

// searchText is the Chinese text a question is searched with: its own
// Han text plus the glossary's forms of its English terms.
func searchText(q Query) string {
	var b strings.Builder
	b.WriteString(q.Text)
	for _, g := range q.Groups {
		for _, f := range g.Forms {
			b.WriteByte(' ')
			b.WriteString(f)
		}
	}
	return b.String()
}

// retrieve runs keyword (BM25) and vector search in the question's scope
// and fuses them by reciprocal rank.
func (e *Engine) retrieve(ctx context.Context, q Query, k int) ([]Hit, error) {
	sc := Scope{Towns: q.Towns, Year: q.Year}
	text := searchText(q)
	// The two searches are independent: run them side by side.
	var kw, vec []Hit
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		kw, err = e.store.Keyword(gctx, queryTokens(q), sc, k)
		return err
	})
	g.Go(func() error {
		v, err := e.emb.Embed(gctx, text)
		if err != nil {
			if gctx.Err() != nil {
				return fmt.Errorf("embed question: %w", err)
			}
			// The embedding model failed or timed out: keyword search
			// still finds the passages.
			e.log.Warn("embedding the question failed; keyword search only", "err", err)
			return nil
		}
		vec, err = e.store.Vector(gctx, v, sc, k)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return fuse(k, kw, vec), nil
}

// queryTokens are the keyword-search terms: those of the question's term
// groups, which question words, town names and years have already left
// (the question's own tokens when it has no groups).
func queryTokens(q Query) []string {
	var b strings.Builder
	for _, g := range q.Groups {
		for _, f := range g.Forms {
			b.WriteString(f)
			b.WriteByte(' ')
		}
	}
	if toks := Tokens(b.String()); len(toks) > 0 {
		return toks
	}
	return Tokens(q.Text)
}

// fuse merges ranked lists by reciprocal-rank fusion.
func fuse(k int, lists ...[]Hit) []Hit {
	const rrfK = 60
	score := map[int64]float64{}
	byID := map[int64]Hit{}
	for _, l := range lists {
		for rank, h := range l {
			score[h.ChunkID] += 1 / float64(rrfK+rank+1)
			byID[h.ChunkID] = h
		}
	}
	out := make([]Hit, 0, len(byID))
	for id, h := range byID {
		h.Score = score[id]
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ChunkID < out[j].ChunkID
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}
