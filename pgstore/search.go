package pgstore

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"fazhi/rag"
)

// BM25 constants of SQLite's FTS5, which the embedded store ranks with.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Limits of PostgreSQL's tsvector: a lexeme's length in bytes, a
// position, and how many positions one lexeme keeps.
const (
	maxLexemeBytes = 2046
	maxPosition    = 16383
	maxPositions   = 256
)

// efSearch is the HNSW candidate list length for unfiltered and
// year-filtered vector searches: pgvector's default of 40 loses recall
// on look-alike reports, and 100 costs little.
const efSearch = 100

const hitColumns = `c.id, c.report_id, r.source, r.title, r.town, r.year, c.section, c.text`

func scanHits(rows pgx.Rows) ([]rag.Hit, error) {
	defer rows.Close()
	var out []rag.Hit
	for rows.Next() {
		var h rag.Hit
		if err := rows.Scan(&h.ChunkID, &h.ReportID, &h.Source, &h.Title, &h.Town, &h.Year, &h.Section, &h.Text, &h.Score); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Chunks returns every chunk of the reports in scope, by town, year,
// source and position.
func (s *Store) Chunks(ctx context.Context, sc rag.Scope) ([]rag.Hit, error) {
	var q query
	q.WriteString(`SELECT ` + hitColumns + `, 0::float8 FROM chunks c JOIN reports r ON r.id = c.report_id WHERE true`)
	q.scope(sc, "r.town", "r.year")
	q.WriteString(` ORDER BY r.town COLLATE "C", r.year, r.source COLLATE "C", c.seq`)
	rows, err := s.pool.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("read chunks: %w", err)
	}
	hits, err := scanHits(rows)
	if err != nil {
		return nil, fmt.Errorf("read chunks: %w", err)
	}
	return hits, nil
}

// Keyword returns the k chunks in scope that best match any of tokens,
// ranked by BM25 as SQLite's FTS5 ranks them: the GIN index finds the
// chunks holding a term, and the corpus statistics kept by Put and Delete
// give each term its weight.
func (s *Store) Keyword(ctx context.Context, tokens []string, sc rag.Scope, k int) ([]rag.Hit, error) {
	terms := queryTerms(tokens)
	if len(terms) == 0 || k <= 0 {
		return nil, nil
	}
	var q query
	pTerms, pQuery := q.arg(terms), q.arg(tsqueryLiteral(terms))
	q.WriteString(`WITH q AS MATERIALIZED (
			SELECT t.term, ln(((SELECT greatest(chunks, 1) FROM corpus)::float8 - coalesce(d.df, 0)::float8 + 0.5) / (coalesce(d.df, 0)::float8 + 0.5)) AS idf
			FROM unnest(` + pTerms + `::text[]) AS t(term) LEFT JOIN terms d ON d.term = t.term
		), m AS (
			SELECT c.id, sum(
				CASE WHEN q.idf > 0 THEN q.idf ELSE 1e-6 END * tf.n * ` + ftoa(bm25K1+1) + `::float8
				/ (tf.n + ` + ftoa(bm25K1) + `::float8 * (` + ftoa(1-bm25B) + `::float8 + ` + ftoa(bm25B) + `::float8 * c.ntokens::float8
					/ (SELECT nullif(tokens, 0)::float8 / greatest(chunks, 1) FROM corpus)))
			) AS score
			FROM chunks c
			-- Only the query's lexemes are unnested: setweight marks them A
			-- (all others are D) and ts_filter keeps the A ones.
			CROSS JOIN LATERAL unnest(ts_filter(setweight(c.tokens, 'A', ` + pTerms + `::text[]), '{a}')) AS u
			JOIN q ON q.term = u.lexeme
			CROSS JOIN LATERAL (SELECT cardinality(u.positions)::float8 AS n) AS tf
			WHERE c.tokens @@ ` + pQuery + `::tsquery`)
	q.scope(sc, "c.town", "c.year")
	q.WriteString(`
			GROUP BY c.id
			ORDER BY score DESC, c.id
			LIMIT ` + q.arg(k) + `
		)
		SELECT ` + hitColumns + `, m.score FROM m JOIN chunks c ON c.id = m.id JOIN reports r ON r.id = c.report_id
		ORDER BY m.score DESC, c.id`)
	rows, err := s.pool.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("keyword search: %w", err)
	}
	hits, err := scanHits(rows)
	if err != nil {
		return nil, fmt.Errorf("keyword search: %w", err)
	}
	return hits, nil
}

// ChunksWith returns every chunk in scope whose keyword terms hold any
// of tokens: the GIN index over the chunks' terms finds them.
func (s *Store) ChunksWith(ctx context.Context, tokens []string, sc rag.Scope) ([]rag.Hit, error) {
	terms := queryTerms(tokens)
	if len(terms) == 0 {
		return nil, nil
	}
	var q query
	q.WriteString(`SELECT c.id, c.report_id, c.section, c.text FROM chunks c WHERE c.tokens @@ ` + q.arg(tsqueryLiteral(terms)) + `::tsquery`)
	q.scope(sc, "c.town", "c.year")
	rows, err := s.pool.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("chunks with terms: %w", err)
	}
	defer rows.Close()
	var out []rag.Hit
	for rows.Next() {
		var h rag.Hit
		if err := rows.Scan(&h.ChunkID, &h.ReportID, &h.Section, &h.Text); err != nil {
			return nil, fmt.Errorf("chunks with terms: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chunks with terms: %w", err)
	}
	return out, nil
}

// Vector returns the k chunks in scope nearest to v by cosine; a hit's
// Score is its cosine similarity.
//
// A search restricted to towns scans those towns' chunks exactly: they
// are few, found through the (town, year) index, and an HNSW scan with a
// restrictive filter can return fewer than k rows. Other searches use the
// HNSW index with a candidate list of efSearch (at least k), and with
// pgvector ≥ 0.8 an iterative scan that goes on until k rows pass a year
// filter; should the index still come back short, the search is redone
// exactly.
func (s *Store) Vector(ctx context.Context, v []float32, sc rag.Scope, k int) ([]rag.Hit, error) {
	if k <= 0 || len(v) == 0 {
		return nil, nil
	}
	if len(v) != s.emb.Dim {
		return nil, fmt.Errorf("vector search: query has %d dimensions, want %d", len(v), s.emb.Dim)
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return nil, nil // nothing is similar to the zero vector
	}
	lit := vectorLiteral(v)
	if s.ann && len(sc.Towns) == 0 && k <= 1000 {
		hits, err := s.vectorANN(ctx, lit, sc, k)
		if err != nil {
			return nil, fmt.Errorf("vector search: %w", err)
		}
		if len(hits) == k {
			return hits, nil
		}
	}
	var q query
	pv := q.arg(lit)
	q.WriteString(`WITH n AS MATERIALIZED (
			SELECT c.id, c.embedding <=> ` + pv + `::vector AS d FROM chunks c WHERE true`)
	q.scope(sc, "c.town", "c.year")
	q.WriteString(`
		)
		SELECT ` + hitColumns + `, 1 - n.d FROM n JOIN chunks c ON c.id = n.id JOIN reports r ON r.id = c.report_id
		WHERE n.d <> 'NaN'
		ORDER BY n.d, c.id
		LIMIT ` + q.arg(k))
	rows, err := s.pool.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("vector search: %w", err)
	}
	hits, err := scanHits(rows)
	if err != nil {
		return nil, fmt.Errorf("vector search: %w", err)
	}
	return hits, nil
}

// vectorANN searches through the HNSW index, with the scan settings
// local to a read-only transaction.
func (s *Store) vectorANN(ctx context.Context, lit string, sc rag.Scope, k int) ([]rag.Hit, error) {
	var hits []rag.Hit
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('hnsw.ef_search', $1, true)`, strconv.Itoa(max(efSearch, k))); err != nil {
			return err
		}
		if s.iterative && sc.Year != 0 {
			if _, err := tx.Exec(ctx, `SELECT set_config('hnsw.iterative_scan', 'strict_order', true)`); err != nil {
				return err
			}
		}
		var q query
		pv := q.arg(lit)
		q.WriteString(`SELECT ` + hitColumns + `, 1 - n.d FROM (
				SELECT c.id, c.embedding <=> ` + pv + `::vector AS d FROM chunks c WHERE true`)
		q.scope(sc, "c.town", "c.year")
		q.WriteString(` ORDER BY c.embedding <=> ` + pv + `::vector LIMIT ` + q.arg(k) + `
			) AS n JOIN chunks c ON c.id = n.id JOIN reports r ON r.id = c.report_id
			WHERE n.d <> 'NaN'
			ORDER BY n.d, c.id`)
		rows, err := tx.Query(ctx, q.String(), q.args...)
		if err != nil {
			return err
		}
		hits, err = scanHits(rows)
		return err
	})
	return hits, err
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// vectorLiteral renders v in pgvector's text form, "[1,2.5,-3]".
func vectorLiteral(v []float32) string {
	b := make([]byte, 0, 2+len(v)*12)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	return string(append(b, ']'))
}

// quoteLexeme quotes a lexeme for tsvector and tsquery input, which take
// a quoted lexeme as it is, without parsing or normalising it.
func quoteLexeme(b *strings.Builder, t string) {
	b.WriteByte('\'')
	for _, r := range t {
		switch r {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
}

// tsvectorLiteral renders a chunk's tokens as a tsvector: each distinct
// token with the positions (1-based) it occurs at, so that a term's
// frequency is its number of positions.
func tsvectorLiteral(tokens []string) string {
	pos := map[string][]int{}
	var order []string
	for i, t := range tokens {
		if t == "" || len(t) > maxLexemeBytes {
			continue
		}
		p, seen := pos[t]
		if !seen {
			order = append(order, t)
		}
		at := min(i+1, maxPosition)
		if len(p) >= maxPositions || (len(p) > 0 && p[len(p)-1] == at) {
			continue
		}
		pos[t] = append(p, at)
	}
	var b strings.Builder
	for i, t := range order {
		if i > 0 {
			b.WriteByte(' ')
		}
		quoteLexeme(&b, t)
		for j, p := range pos[t] {
			if j == 0 {
				b.WriteByte(':')
			} else {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(p))
		}
	}
	return b.String()
}

// queryTerms are the distinct searchable tokens, in order.
func queryTerms(tokens []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range tokens {
		if t == "" || len(t) > maxLexemeBytes || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// tsqueryLiteral ORs the terms: 'a' | 'b' | 'c'.
func tsqueryLiteral(terms []string) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteString(" | ")
		}
		quoteLexeme(&b, t)
	}
	return b.String()
}
