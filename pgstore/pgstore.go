// Package pgstore is the scale-out rag.Store: PostgreSQL holds the
// reports, their chunks with pgvector embeddings and keyword indexes, and
// their facts. Every query goes to the database, so any number of
// replicas of fazhi share one store and see each other's commits at once;
// there is no in-memory index to refresh.
//
// Its semantics are those of the embedded store (rag.SQLite): one
// transaction per report, a report of the same source replaced, keyword
// search ranked by BM25 over the same tokens (rag.Tokens) with the same
// constants as SQLite's FTS5, vector search by cosine similarity, and rows
// listed in the same (byte-wise) order. The schema is created and
// migrated by Open, under an advisory lock so that replicas starting
// together do not race.
//
// Keyword search: each chunk holds a tsvector of its rag.Tokens with
// positions (GIN-indexed), and Put and Delete keep per-term document
// counts and corpus totals in the same transaction. Keyword scores with
// these exactly as FTS5's bm25() does, rather than with ts_rank_cd, which
// has no notion of how rare a term is: with overlapping Chinese bigrams
// as terms, "法治" in every chunk would weigh as much as "复议" in two,
// and the two stores would rank differently. Writers take turns on an
// advisory lock, which keeps those statistics exact under concurrent
// ingestion by several replicas.
//
// Vector search: an HNSW index (cosine) serves searches over all towns;
// searches restricted to towns scan those towns' chunks exactly (see
// Store.Vector).
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fazhi/ingest"
	"fazhi/rag"
)

// Advisory lock keys (the database's, shared by all schemas in it).
const (
	migrateLock int64 = 0x66617a6869_01 // "fazhi" 1: schema changes
	writeLock   int64 = 0x66617a6869_02 // "fazhi" 2: Put and Delete
)

// hnswMaxDim is the largest dimension pgvector's HNSW index takes for
// the vector type; stores of wider embedders search by exact scan.
const hnswMaxDim = 2000

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is a rag.Store in PostgreSQL with pgvector. It is safe for
// concurrent use, also by several processes on one database.
type Store struct {
	pool      *pgxpool.Pool
	emb       rag.Embedder
	where     string // host:port/database, for messages (never the password)
	ann       bool   // chunks have an HNSW index
	iterative bool   // pgvector ≥ 0.8: filtered HNSW scans go on until k rows
}

// Open connects to the PostgreSQL database at url (a postgres:// URL or
// keyword/value string, as pgx takes it), creates or migrates the schema
// and checks that its vectors were made by emb. It fails with an error
// wrapping rag.ErrEmbedderMismatch when they were not. The pgvector
// extension must be installed on the server; Open creates it in the
// database when it is missing, which needs the right to. The URL may
// set run-time parameters (search_path, pool_max_conns, ...); JIT
// compilation is off unless it says otherwise.
func Open(ctx context.Context, url string, emb rag.Embedder) (*Store, error) {
	if emb.Dim <= 0 {
		return nil, fmt.Errorf("open postgres store: embedder %q has no dimension", emb.Name)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	cc := cfg.ConnConfig
	if _, ok := cc.RuntimeParams["jit"]; !ok {
		// The store's queries are short; compiling them costs more
		// (hundreds of milliseconds) than it saves.
		cc.RuntimeParams["jit"] = "off"
	}
	s := &Store{
		emb:   emb,
		where: fmt.Sprintf("%s:%d/%s", cc.Host, cc.Port, cc.Database),
		ann:   emb.Dim <= hnswMaxDim,
	}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store %s: %w", s.where, err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("connect to postgres store %s: %w", s.where, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", base)
		}
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	return out, nil
}

// migrate brings the schema up to date in one transaction, holding an
// advisory lock so that replicas starting at once take turns, and checks
// the embedder the store was made with.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("migrate postgres store: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL client_min_messages = warning`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS vector`); err != nil {
			return fmt.Errorf("create extension vector (pgvector must be installed on the server, and the extension created by a role allowed to): %w", err)
		}
		var visible bool
		var extVersion string
		if err := tx.QueryRow(ctx, `SELECT to_regtype('vector') IS NOT NULL, (SELECT extversion FROM pg_extension WHERE extname = 'vector')`).Scan(&visible, &extVersion); err != nil {
			return err
		}
		if !visible {
			return errors.New("the vector extension is installed in a schema that is not on search_path")
		}
		if !versionAtLeast(extVersion, 0, 5) {
			return fmt.Errorf("pgvector %s is too old: 0.5.0 or later is needed for HNSW indexes", extVersion)
		}
		s.iterative = versionAtLeast(extVersion, 0, 8)
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL)`); err != nil {
			return err
		}
		meta := map[string]string{}
		rows, err := tx.Query(ctx, `SELECT key, value FROM meta`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return err
			}
			meta[k] = v
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if name, ok := meta["embedder"]; ok && (name != s.emb.Name || meta["dim"] != strconv.Itoa(s.emb.Dim)) {
			return fmt.Errorf("%w: the PostgreSQL store at %s was embedded with %s (dim %s) but this run uses %s (dim %d); use the same --embedder, or ingest the reports again into a new database (--store)",
				rag.ErrEmbedderMismatch, s.where, name, meta["dim"], s.emb.Name, s.emb.Dim)
		}
		if _, ok := meta["embedder"]; !ok {
			if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('embedder', $1), ('dim', $2)`, s.emb.Name, strconv.Itoa(s.emb.Dim)); err != nil {
				return err
			}
		}
		have, _ := strconv.Atoi(meta["schema_version"])
		for _, m := range ms {
			if m.version <= have {
				continue
			}
			sql, err := render(m, s.emb.Dim, s.ann)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			have = m.version
		}
		_, err = tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.Itoa(have))
		return err
	})
	if err != nil {
		if errors.Is(err, rag.ErrEmbedderMismatch) {
			return err
		}
		return fmt.Errorf("migrate postgres store %s: %w", s.where, err)
	}
	// The index may be missing when the store was made by a build that
	// could not index this dimension; search by exact scan then.
	var indexed bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('chunks_embedding') IS NOT NULL`).Scan(&indexed); err != nil {
		return fmt.Errorf("open postgres store %s: %w", s.where, err)
	}
	s.ann = s.ann && indexed
	return nil
}

// render fills in a migration's template: the vector column's dimension
// is part of the schema, so it cannot be a query parameter.
func render(m migration, dim int, ann bool) (string, error) {
	t, err := template.New(m.name).Option("missingkey=error").Parse(m.sql)
	if err != nil {
		return "", fmt.Errorf("migration %s: %w", m.name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, struct {
		Dim int
		ANN bool
	}{dim, ann}); err != nil {
		return "", fmt.Errorf("migration %s: %w", m.name, err)
	}
	return b.String(), nil
}

// versionAtLeast reports whether a version "major.minor[.patch]" is at
// least major.minor.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	ma, err := strconv.Atoi(parts[0])
	if err != nil {
		return false
	}
	mi := 0
	if len(parts) > 1 {
		mi, _ = strconv.Atoi(parts[1])
	}
	return ma > major || (ma == major && mi >= minor)
}

// Has reports whether a report with this id is stored, and its source.
func (s *Store) Has(ctx context.Context, id string) (string, bool, error) {
	var src string
	err := s.pool.QueryRow(ctx, `SELECT source FROM reports WHERE id = $1`, id).Scan(&src)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("look up report: %w", err)
	}
	return src, true, nil
}

// Put stores a report, its chunks and facts in one transaction,
// replacing the report of the same source; a report whose id is stored
// already is left as it is, or moved to its relative path (see
// rag.Store.Put). Writers take turns on an advisory lock, so
// replicas ingesting at once cannot interleave.
func (s *Store) Put(ctx context.Context, rep ingest.Report, chunks []rag.StoredChunk, facts []ingest.Fact) (rag.IngestStatus, error) {
	for _, c := range chunks {
		if len(c.Embedding) != s.emb.Dim {
			return "", fmt.Errorf("store %s: chunk %d has %d dimensions, want %d", rep.Source, c.Seq, len(c.Embedding), s.emb.Dim)
		}
	}
	var status rag.IngestStatus
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLock); err != nil {
			return err
		}
		var stored string
		switch err := tx.QueryRow(ctx, `SELECT source FROM reports WHERE id = $1`, rep.ID).Scan(&stored); {
		case err == nil:
			var taken bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM reports WHERE source = $1)`, rep.Source).Scan(&taken); err != nil {
				return err
			}
			status = rag.StoredStatus(stored, rep.Source, taken)
			if status != rag.StatusRenamed {
				return nil
			}
			if _, err := tx.Exec(ctx, `UPDATE reports SET source = $1 WHERE id = $2`, rep.Source, rep.ID); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE corpus SET version = version + 1`)
			return err
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		status = rag.StatusNew
		var oldID string
		switch err := tx.QueryRow(ctx, `SELECT id FROM reports WHERE source = $1`, rep.Source).Scan(&oldID); {
		case err == nil:
			status = rag.StatusReplaced
			if err := deleteReport(ctx, tx, oldID); err != nil {
				return err
			}
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		return insertReport(ctx, tx, rep, chunks, facts)
	})
	if err != nil {
		return "", fmt.Errorf("store %s: %w", rep.Source, err)
	}
	return status, nil
}

func insertReport(ctx context.Context, tx pgx.Tx, rep ingest.Report, chunks []rag.StoredChunk, facts []ingest.Fact) error {
	if _, err := tx.Exec(ctx, `INSERT INTO reports (id, source, title, town, county, year, date, doc_number, text, ingested_at, place, level, city, province, division_code, aliases, term_vocab, term_counts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		rep.ID, rep.Source, clean(rep.Title), clean(rep.Unit()), clean(rep.County), rep.Year, clean(rep.Date), clean(rep.DocNumber), clean(rep.Text),
		rep.IngestedAt.UTC().Truncate(time.Second), clean(rep.Place), clean(rep.Level), clean(rep.City), clean(rep.Province), clean(rep.DivisionCode), cleanAll(rep.Aliases),
		termVocab(rep), rep.TermCounts); err != nil {
		return err
	}
	var (
		seqs     = make([]int32, len(chunks))
		sections = make([]string, len(chunks))
		texts    = make([]string, len(chunks))
		ntokens  = make([]int32, len(chunks))
		tokens   = make([]string, len(chunks))
		vectors  = make([]string, len(chunks))
		total    int64
	)
	for i, c := range chunks {
		toks := rag.Tokens(c.Section + " " + c.Text)
		seqs[i] = int32(c.Seq)
		sections[i] = clean(c.Section)
		texts[i] = clean(c.Text)
		ntokens[i] = int32(len(toks))
		tokens[i] = tsvectorLiteral(toks)
		vectors[i] = vectorLiteral(c.Embedding)
		total += int64(len(toks))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO chunks (report_id, seq, section, text, town, year, ntokens, tokens, embedding)
		SELECT $1, u.seq, u.section, u.text, $2, $3, u.ntokens, u.tokens::tsvector, u.embedding::vector
		FROM unnest($4::integer[], $5::text[], $6::text[], $7::integer[], $8::text[], $9::text[]) WITH ORDINALITY AS u(seq, section, text, ntokens, tokens, embedding, n)
		ORDER BY u.n`,
		rep.ID, clean(rep.Unit()), rep.Year, seqs, sections, texts, ntokens, tokens, vectors); err != nil {
		return fmt.Errorf("insert chunks: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO terms (term, df)
		SELECT u.lexeme, count(*) FROM chunks c CROSS JOIN LATERAL unnest(c.tokens) u WHERE c.report_id = $1 GROUP BY u.lexeme
		ON CONFLICT (term) DO UPDATE SET df = terms.df + excluded.df`, rep.ID); err != nil {
		return fmt.Errorf("update term statistics: %w", err)
	}
	var (
		fsec, fsub, fmet, funit, fapx, fquote, fctx []string
		fval                                        []float64
	)
	for _, f := range facts {
		if math.IsNaN(f.Value) || math.IsInf(f.Value, 0) {
			continue
		}
		fsec, fsub, fmet = append(fsec, clean(f.Section)), append(fsub, clean(f.Subject)), append(fmet, clean(f.Metric))
		fval, funit, fapx, fquote = append(fval, f.Value), append(funit, clean(f.Unit)), append(fapx, clean(f.Approx)), append(fquote, clean(f.Quote))
		fctx = append(fctx, clean(f.Context))
	}
	if len(fval) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO facts (report_id, section, subject, metric, value, unit, approx, quote, context, report_sentences)
			SELECT $1, u.section, u.subject, u.metric, u.value, u.unit, u.approx, u.quote, u.context, nullif($10, 0)
			FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS u(section, subject, metric, value, unit, approx, quote, context, n)
			ORDER BY u.n`,
			rep.ID, fsec, fsub, fmet, fval, funit, fapx, fquote, fctx, int32(rep.Sentences)); err != nil {
			return fmt.Errorf("insert facts: %w", err)
		}
	}
	_, err := tx.Exec(ctx, `UPDATE corpus SET version = version + 1, chunks = chunks + $1, tokens = tokens + $2`, len(chunks), total)
	return err
}

// termVocab is the vocabulary version stored with rep: none when its
// terms were not counted.
func termVocab(rep ingest.Report) string {
	if rep.TermCounts == nil {
		return ""
	}
	return clean(rep.TermVocab)
}

// deleteReport removes a report, its chunks and facts, and takes its
// chunks out of the keyword statistics.
func deleteReport(ctx context.Context, tx pgx.Tx, id string) error {
	if _, err := tx.Exec(ctx, `UPDATE terms t SET df = t.df - d.n
		FROM (SELECT u.lexeme, count(*) AS n FROM chunks c CROSS JOIN LATERAL unnest(c.tokens) u WHERE c.report_id = $1 GROUP BY u.lexeme) d
		WHERE t.term = d.lexeme`, id); err != nil {
		return fmt.Errorf("update term statistics: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM terms t
		USING (SELECT DISTINCT u.lexeme FROM chunks c CROSS JOIN LATERAL unnest(c.tokens) u WHERE c.report_id = $1) d
		WHERE t.term = d.lexeme AND t.df <= 0`, id); err != nil {
		return fmt.Errorf("update term statistics: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE corpus SET version = version + 1, chunks = corpus.chunks - x.n, tokens = corpus.tokens - x.t
		FROM (SELECT count(*) AS n, coalesce(sum(ntokens), 0) AS t FROM chunks WHERE report_id = $1) x`, id); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM reports WHERE id = $1`, id)
	return err
}

// Delete removes the report stored under source; it returns an error
// wrapping rag.ErrNotFound when there is none.
func (s *Store) Delete(ctx context.Context, source string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLock); err != nil {
			return err
		}
		var id string
		if err := tx.QueryRow(ctx, `SELECT id FROM reports WHERE source = $1`, source).Scan(&id); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("report %q: %w", source, rag.ErrNotFound)
			}
			return err
		}
		return deleteReport(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", source, err)
	}
	return nil
}

// ReportText returns the cleaned text of the report with this ID.
func (s *Store) ReportText(ctx context.Context, id string) (string, error) {
	var text string
	if err := s.pool.QueryRow(ctx, `SELECT text FROM reports WHERE id = $1`, id).Scan(&text); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("report %s: %w", id, rag.ErrNotFound)
		}
		return "", fmt.Errorf("read report %s: %w", id, err)
	}
	return text, nil
}

// SetMeta rewrites a stored report's metadata and the unit and year its
// chunks are filed under, in one transaction; vectors are not touched.
func (s *Store) SetMeta(ctx context.Context, rep ingest.Report) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLock); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE reports SET title = $2, town = $3, county = $4, place = $5, level = $6, city = $7, province = $8, division_code = $9, year = $10, date = $11, doc_number = $12, aliases = $13 WHERE id = $1`,
			rep.ID, clean(rep.Title), clean(rep.Unit()), clean(rep.County), clean(rep.Place), clean(rep.Level), clean(rep.City), clean(rep.Province), clean(rep.DivisionCode), rep.Year, clean(rep.Date), clean(rep.DocNumber), cleanAll(rep.Aliases))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("report %s: %w", rep.ID, rag.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `UPDATE chunks SET town = $2, year = $3 WHERE report_id = $1`, rep.ID, clean(rep.Unit()), rep.Year); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE corpus SET version = version + 1`)
		return err
	})
	if err != nil {
		return fmt.Errorf("set metadata of %s: %w", rep.Source, err)
	}
	return nil
}

// TermCounts calls f with the ID and term counts of every stored report
// whose counts were made under vocab, read in one statement (one
// snapshot), and says whether every stored report had them.
func (s *Store) TermCounts(ctx context.Context, vocab string, f func(reportID string, counts []byte) error) (bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, term_counts, (SELECT count(*) FROM reports) FROM reports WHERE term_vocab = $1 AND term_counts IS NOT NULL`, vocab)
	if err != nil {
		return false, fmt.Errorf("read term counts: %w", err)
	}
	defer rows.Close()
	n, reports := 0, 0
	var id string
	var enc []byte
	for rows.Next() {
		if err := rows.Scan(&id, &enc, &reports); err != nil {
			return false, fmt.Errorf("read term counts: %w", err)
		}
		if err := f(id, enc); err != nil {
			return false, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("read term counts: %w", err)
	}
	if n == 0 {
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM reports`).Scan(&reports); err != nil {
			return false, fmt.Errorf("read term counts: %w", err)
		}
	}
	return n == reports, nil
}

// SetTermCounts stores counts made under vocab with the stored report id,
// replacing those it had.
func (s *Store) SetTermCounts(ctx context.Context, id, vocab string, counts []byte) error {
	if counts == nil {
		counts = []byte{} // counted, none held: not the NULL of "not counted"
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLock); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE reports SET term_vocab = $2, term_counts = $3 WHERE id = $1`, id, clean(vocab), counts)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("report %s: %w", id, rag.ErrNotFound)
		}
		_, err = tx.Exec(ctx, `UPDATE corpus SET version = version + 1`)
		return err
	})
	if err != nil {
		return fmt.Errorf("set term counts of %s: %w", id, err)
	}
	return nil
}

// Reports lists the stored reports, by town, year and source.
func (s *Store) Reports(ctx context.Context) ([]rag.ReportInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.source, r.title, r.town, r.county, r.place, r.level, r.city, r.province, r.division_code, r.aliases, r.year, r.date, r.doc_number, r.ingested_at,
		(SELECT count(*) FROM chunks c WHERE c.report_id = r.id), (SELECT count(*) FROM facts f WHERE f.report_id = r.id)
		FROM reports r ORDER BY r.town COLLATE "C", r.year, r.source COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	defer rows.Close()
	var out []rag.ReportInfo
	for rows.Next() {
		var ri rag.ReportInfo
		if err := rows.Scan(&ri.ID, &ri.Source, &ri.Title, &ri.Town, &ri.County, &ri.Place, &ri.Level, &ri.City, &ri.Province, &ri.DivisionCode, &ri.Aliases, &ri.Year, &ri.Date, &ri.DocNumber, &ri.IngestedAt, &ri.Chunks, &ri.Facts); err != nil {
			return nil, fmt.Errorf("list reports: %w", err)
		}
		ri.IngestedAt = ri.IngestedAt.UTC()
		if len(ri.Aliases) == 0 {
			ri.Aliases = nil // as sqlitestore returns none
		}
		if ri.Level == ingest.LevelCounty {
			ri.Town = "" // the town column files a county's own report under its place
		}
		out = append(out, ri)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	return out, nil
}

// Facts returns the facts matching f, by town, year, source and position,
// the page f.Limit and f.Offset ask for. Town is a literal prefix of a
// report's town ("渔门" finds 渔门镇, "%" finds only towns starting with
// it), as in the embedded store; Query is a substring of the subject or
// the quote.
func (s *Store) Facts(ctx context.Context, f rag.FactFilter) ([]ingest.Fact, error) {
	var q query
	q.WriteString(`SELECT r.source, r.town, r.year, f.section, f.subject, f.metric, f.value, f.unit, f.approx, f.quote
		FROM facts f JOIN reports r ON r.id = f.report_id WHERE true`)
	if f.Source != "" {
		q.WriteString(` AND r.source = ` + q.arg(f.Source))
	}
	if f.Town != "" {
		q.WriteString(` AND starts_with(r.town, ` + q.arg(f.Town) + `)`)
	}
	if f.Year != 0 {
		q.WriteString(` AND r.year = ` + q.arg(f.Year))
	}
	if f.Metric != "" {
		q.WriteString(` AND f.metric = ` + q.arg(f.Metric))
	}
	if f.Query != "" {
		p := q.arg(f.Query)
		q.WriteString(` AND (strpos(f.subject, ` + p + `) > 0 OR strpos(f.quote, ` + p + `) > 0)`)
	}
	q.WriteString(` ORDER BY r.town COLLATE "C", r.year, r.source COLLATE "C", f.id`)
	if f.Limit > 0 {
		q.WriteString(` LIMIT ` + q.arg(f.Limit))
	}
	if f.Offset > 0 {
		q.WriteString(` OFFSET ` + q.arg(f.Offset))
	}
	rows, err := s.pool.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list facts: %w", err)
	}
	defer rows.Close()
	var out []ingest.Fact
	for rows.Next() {
		var x ingest.Fact
		if err := rows.Scan(&x.Source, &x.Town, &x.Year, &x.Section, &x.Subject, &x.Metric, &x.Value, &x.Unit, &x.Approx, &x.Quote); err != nil {
			return nil, fmt.Errorf("list facts: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list facts: %w", err)
	}
	return out, nil
}

// MetricFacts returns the figures of q.Metric in the reports of q's year
// and places, in report and statement order: one query on the facts'
// (metric, report) index.
func (s *Store) MetricFacts(ctx context.Context, fq rag.FactQuery) ([]rag.MetricFact, error) {
	if fq.Metric == "" {
		return nil, errors.New("metric facts: no metric given")
	}
	var q query
	q.WriteString(`SELECT f.report_id, f.section, f.subject, f.metric, f.value, f.unit, f.approx, f.quote, f.context, coalesce(f.report_sentences, 0)
		FROM facts f JOIN reports r ON r.id = f.report_id WHERE f.metric = ` + q.arg(fq.Metric))
	if fq.Year != 0 {
		q.WriteString(` AND r.year = ` + q.arg(fq.Year))
	}
	if len(fq.Places) > 0 {
		q.WriteString(` AND r.town = ANY(` + q.arg(fq.Places) + `::text[])`)
	}
	q.WriteString(` ORDER BY f.id`)
	rows, err := s.pool.Query(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("metric facts %s: %w", fq.Metric, err)
	}
	defer rows.Close()
	var out []rag.MetricFact
	for rows.Next() {
		var x rag.MetricFact
		var context *string
		if err := rows.Scan(&x.ReportID, &x.Section, &x.Subject, &x.Metric, &x.Value, &x.Unit, &x.Approx, &x.Quote, &context, &x.ReportSentences); err != nil {
			return nil, fmt.Errorf("metric facts %s: %w", fq.Metric, err)
		}
		if context != nil {
			x.Context, x.HasContext = *context, true
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("metric facts %s: %w", fq.Metric, err)
	}
	return out, nil
}

// Counts returns how many reports, chunks and facts are stored.
func (s *Store) Counts(ctx context.Context) (reports, chunks, facts int, err error) {
	err = s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM chunks), (SELECT count(*) FROM facts)`).Scan(&reports, &chunks, &facts)
	if err != nil {
		err = fmt.Errorf("count: %w", err)
	}
	return
}

// Version returns a counter that every committed Put or Delete, by any
// replica, moves on.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v int64
	if err := s.pool.QueryRow(ctx, `SELECT version FROM corpus`).Scan(&v); err != nil {
		return 0, fmt.Errorf("data version: %w", err)
	}
	return v, nil
}

// Refresh does nothing: PostgreSQL is the index, and every search sees
// every replica's commits.
func (s *Store) Refresh(context.Context) error { return nil }

// query builds a statement whose values all travel as parameters.
type query struct {
	strings.Builder
	args []any
}

// arg adds a parameter and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// scope adds the conditions of a rag.Scope on a table's town and year.
func (q *query) scope(sc rag.Scope, town, year string) {
	if len(sc.Towns) > 0 {
		q.WriteString(` AND ` + town + ` = ANY(` + q.arg(sc.Towns) + `::text[])`)
	}
	if sc.Year != 0 {
		q.WriteString(` AND ` + year + ` = ` + q.arg(sc.Year))
	}
}

// clean makes a string storable as PostgreSQL text, which holds neither
// NUL characters nor invalid UTF-8.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// cleanAll cleans each string; none is stored as an empty array.
func cleanAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, clean(s))
	}
	return out
}
