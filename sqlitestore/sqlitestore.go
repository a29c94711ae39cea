// Package sqlitestore is the embedded rag.Store: a SQLite database (via the
// pure-Go modernc.org/sqlite driver) is the source of truth for reports,
// chunks with their embeddings, facts and an FTS5 keyword index, each
// report written whole in one transaction (several reports to one with
// PutBatch); the vector index is in memory (contiguous float32 blocks
// scanned exactly, see vectors.go), rebuilt at open from the stored
// embeddings (never re-embedded).
package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"fazhi/ingest"
	"fazhi/rag"
)

// DBFile is the name of the SQLite database inside a data directory.
const DBFile = "fazhi.db"

// maxIdleConns is how many idle SQLite connections a store keeps open.
const maxIdleConns = 16

const sqliteSchema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reports (
	id TEXT PRIMARY KEY,
	source TEXT NOT NULL UNIQUE,
	title TEXT NOT NULL DEFAULT '',
	town TEXT NOT NULL DEFAULT '',
	county TEXT NOT NULL DEFAULT '',
	place TEXT NOT NULL DEFAULT '', -- town holds place when set: chunks and facts are filed under it
	level TEXT NOT NULL DEFAULT '',
	city TEXT NOT NULL DEFAULT '',
	province TEXT NOT NULL DEFAULT '',
	division_code TEXT NOT NULL DEFAULT '',
	aliases TEXT NOT NULL DEFAULT '', -- short forms of place the text uses, one a line
	year INTEGER NOT NULL DEFAULT 0,
	date TEXT NOT NULL DEFAULT '',
	doc_number TEXT NOT NULL DEFAULT '',
	text TEXT NOT NULL DEFAULT '',
	ingested_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS reports_town_year ON reports(town, year);
CREATE TABLE IF NOT EXISTS chunks (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	section TEXT NOT NULL DEFAULT '',
	text TEXT NOT NULL,
	embedding BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_report ON chunks(report_id, seq);
CREATE TABLE IF NOT EXISTS facts (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
	section TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL DEFAULT '',
	metric TEXT NOT NULL DEFAULT '',
	value REAL NOT NULL,
	unit TEXT NOT NULL DEFAULT '',
	approx TEXT NOT NULL DEFAULT '',
	quote TEXT NOT NULL DEFAULT '',
	context TEXT, -- the sentences before quote in its section; NULL: stored before it was kept
	report_sentences INTEGER -- distinct sentences of its report (kept here: the report's row holds its whole text)
);
CREATE INDEX IF NOT EXISTS facts_report ON facts(report_id);
DROP INDEX IF EXISTS facts_metric;
CREATE INDEX IF NOT EXISTS facts_metric_report ON facts(metric, report_id);
-- The term counts a report was prepared with (rag.TermCountStore): a
-- table of their own rather than a column of reports, whose rows hold the
-- whole text and so span overflow pages that SQLite would read through to
-- reach a column after it. Reports stored before have no row.
CREATE TABLE IF NOT EXISTS term_counts (
	report_id TEXT PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
	vocab TEXT NOT NULL,
	counts BLOB NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(tokens, town UNINDEXED, year UNINDEXED, tokenize = '` + ftsTokenizer + `');
`

// SQLite is the embedded Store: a SQLite database (the source of truth)
// and an in-memory vector index rebuilt from the stored
// embeddings at open. It is safe for concurrent use, also by several
// processes on one data directory.
type SQLite struct {
	db   *sql.DB
	ver  *sql.Conn // a connection of its own: PRAGMA data_version is per connection
	emb  rag.Embedder
	path string

	// writeMu lets one writer of this process at a time reach SQLite, so
	// concurrent ingests queue here instead of sleeping in SQLite's busy
	// handler; other processes still meet the busy timeout.
	writeMu sync.Mutex
	// wconn is the connection PutBatch writes through, under writeMu,
	// opened at the first batch: its page cache (writeCacheKiB) holds a
	// whole batch's pages and keeps the tables' upper pages from one
	// batch to the next.
	wconn *sql.Conn

	// ftsSplit is set when the full-text index uses the ascii tokenizer
	// (a store made now): its terms are written and asked split as
	// unicode61 splits them (fts.go).
	ftsSplit bool

	refreshMu sync.Mutex   // one Refresh at a time
	mu        sync.RWMutex // guards vec: searches read it, Refresh changes it
	vec       *vectorIndex
	verMu     sync.Mutex

	// The vector cache file (vcache.go): key names this store and
	// embedder; stale is set when the index holds rows the file lacks.
	cacheMu         sync.Mutex
	cacheKey        string
	cacheStale      bool
	loadedFromCache bool // the last full load came whole from the cache
	wrote           bool // this process stored reports: Close refreshes before writing the cache

	// The in-memory keyword index (keyword.go): nil until built and
	// whenever the stored chunks changed since; gen counts those changes.
	kwMu     sync.Mutex
	kw       *keywordIndex
	gen      uint64
	warm     bool // Warm was called: keep the keyword index built
	building bool
	stop     context.CancelFunc // ends a background build at Close
	bg       context.Context
	bgDone   sync.WaitGroup
}

// Open opens (creating if needed) the store in dir for embedder emb.
// It fails with rag.ErrEmbedderMismatch when the stored vectors were made by
// another embedder.
func Open(ctx context.Context, dir string, emb rag.Embedder) (*SQLite, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	// The driver runs the _pragma list sorted by name, so journal_mode
	// would make the file (fixing its page size) before page_size is
	// read: init sets WAL instead, once the page size is in place.
	dsn := "file:" + path + "?_pragma=busy_timeout(15000)&_pragma=foreign_keys(1)&_pragma=page_size(" + strconv.Itoa(pageSize) + ")&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Keep connections open: database/sql closes all but two idle ones,
	// and a SQLite connection closed and opened again frees its page cache
	// page by page and reads the pages back, which during an ingest (the
	// writer, the workers' look-ups, the version connection) cost more
	// than the writing.
	db.SetMaxIdleConns(maxIdleConns)
	s := &SQLite{db: db, emb: emb, path: path, vec: newVectorIndex(emb.Dim)}
	s.bg, s.stop = context.WithCancel(context.Background())
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *SQLite) init(ctx context.Context) error {
	// WAL is kept in the file: set once, every later connection uses it.
	if err := retryBusy(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `PRAGMA journal_mode=WAL`)
		return err
	}); err != nil {
		return fmt.Errorf("open %s: set WAL mode: %w", s.path, err)
	}
	if err := retryBusy(ctx, func() error {
		_, err := s.db.ExecContext(ctx, sqliteSchema)
		return err
	}); err != nil {
		return fmt.Errorf("create schema in %s: %w", s.path, err)
	}
	if err := s.setFTSHashSize(ctx); err != nil {
		return err
	}
	var ftsSQL string
	if err := s.db.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = 'chunks_fts'`).Scan(&ftsSQL); err != nil {
		return fmt.Errorf("read schema of %s: %w", s.path, err)
	}
	s.ftsSplit = strings.Contains(ftsSQL, "tokenize = '"+ftsTokenizer+"'")
	if err := s.addPlaceColumns(ctx); err != nil {
		return err
	}
	if err := s.checkEmbedder(ctx); err != nil {
		return err
	}
	storeID, err := s.storeID(ctx)
	if err != nil {
		return err
	}
	s.cacheKey = vcacheKey(storeID, s.emb.Name, s.emb.Dim)
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open %s: %w", s.path, err)
	}
	s.ver = conn
	return s.Refresh(ctx)
}

// pageSize is the page size of a store made now. A chunk's row (its
// text and its 2 KB embedding) then fits in one page instead of running
// into an overflow page, and a write moves a quarter as many pages (each a
// system call, written to the WAL and again when it is checkpointed) as
// with SQLite's default of 4096. A store made before keeps its page size:
// SQLite fixes it when the file is made.
const pageSize = 16384

// ftsHashSize is how many bytes of new terms the full-text index holds in
// memory before writing them out as a segment (FTS5's default is 1 MB):
// a batch of reports then makes one segment at its commit instead of
// several, each merged into larger ones later.
const ftsHashSize = 16 << 20

// setFTSHashSize sets the full-text index's hashsize (kept in the
// store) unless it is set already: a store opened to be read is not
// written to.
func (s *SQLite) setFTSHashSize(ctx context.Context) error {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT v FROM chunks_fts_config WHERE k = 'hashsize'`).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read full-text settings of %s: %w", s.path, err)
	}
	if v.Valid && v.Int64 == ftsHashSize {
		return nil
	}
	if err := retryBusy(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('hashsize', ?)`, ftsHashSize)
		return err
	}); err != nil {
		return fmt.Errorf("set full-text settings of %s: %w", s.path, err)
	}
	return nil
}

// placeColumns are the reports' columns added after the first schema
// (issue 10); a store made before gets them empty, filled in by `fazhi
// reindex` (ingesting an unchanged report again stores nothing).
var placeColumns = []string{"place", "level", "city", "province", "division_code", "aliases"}

// joinAliases and splitAliases keep a report's aliases in one column, one
// a line.
func joinAliases(a []string) string { return strings.Join(a, "\n") }

func splitAliases(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// addPlaceColumns adds the place columns a store made before them lacks,
// and the facts' context (issue 15), NULL in the rows stored before.
func (s *SQLite) addPlaceColumns(ctx context.Context) error {
	var cols []string
	for _, c := range placeColumns {
		cols = append(cols, c+` TEXT NOT NULL DEFAULT ''`)
	}
	if err := s.addColumns(ctx, "reports", cols); err != nil {
		return err
	}
	return s.addColumns(ctx, "facts", []string{"context TEXT", "report_sentences INTEGER"})
}

// addColumns adds to table each column (a name and its declaration) it
// lacks.
func (s *SQLite) addColumns(ctx context.Context, table string, columns []string) error {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return fmt.Errorf("read schema of %s: %w", s.path, err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("read schema of %s: %w", s.path, err)
		}
		have[n] = true
	}
	rows.Close()
	for _, decl := range columns {
		c, _, _ := strings.Cut(decl, " ")
		if have[c] {
			continue
		}
		if err := retryBusy(ctx, func() error {
			_, err := s.db.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN `+decl)
			if err != nil && strings.Contains(err.Error(), "duplicate column") {
				return nil // another process added it first
			}
			return err
		}); err != nil {
			return fmt.Errorf("add column %s to %s: %w", c, s.path, err)
		}
	}
	return nil
}

func (s *SQLite) checkEmbedder(ctx context.Context) error {
	var name, dim string
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT value FROM meta WHERE key='embedder'), (SELECT value FROM meta WHERE key='dim')`).Scan(&name, &dim)
	if err != nil && !isNullScan(err) {
		return fmt.Errorf("read store metadata: %w", err)
	}
	if name == "" {
		return retryBusy(ctx, func() error {
			_, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO meta(key, value) VALUES ('embedder', ?), ('dim', ?)`, s.emb.Name, strconv.Itoa(s.emb.Dim))
			return err
		})
	}
	if name != s.emb.Name || dim != strconv.Itoa(s.emb.Dim) {
		return fmt.Errorf("%w: the store in %s was embedded with %s (dim %s) but this run uses %s (dim %d); use the same --embedder, or ingest the reports again into a new --data directory",
			rag.ErrEmbedderMismatch, filepath.Dir(s.path), name, dim, s.emb.Name, s.emb.Dim)
	}
	return nil
}

// storeID returns the random id the store got when it was made (given
// now to a store made before ids): the vector cache is checked against it.
func (s *SQLite) storeID(ctx context.Context) (string, error) {
	if err := retryBusy(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO meta(key, value) VALUES ('store_id', lower(hex(randomblob(16))))`)
		return err
	}); err != nil {
		return "", fmt.Errorf("store id of %s: %w", s.path, err)
	}
	var id string
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'store_id'`).Scan(&id); err != nil {
		return "", fmt.Errorf("store id of %s: %w", s.path, err)
	}
	return id, nil
}

func isNullScan(err error) bool {
	return err != nil && strings.Contains(err.Error(), "converting NULL")
}

// Close closes the database, after a background build of the keyword
// index has stopped and the vector cache file is brought up to date.
func (s *SQLite) Close() error {
	s.kwMu.Lock()
	s.stop()
	s.kwMu.Unlock()
	s.bgDone.Wait()
	s.cacheMu.Lock()
	wrote := s.wrote
	s.cacheMu.Unlock()
	if wrote {
		// Reports stored by this process (an ingest) go into the cache
		// too, so the next open need not read them from the chunk table.
		s.Refresh(context.Background())
	}
	s.writeCache() // best effort: the next open reads SQLite instead
	s.writeMu.Lock()
	if s.wconn != nil {
		s.wconn.Close()
		s.wconn = nil
	}
	s.writeMu.Unlock()
	if s.ver != nil {
		s.ver.Close()
	}
	return s.db.Close()
}

// retryBusy runs f again while SQLite reports the database busy or
// locked beyond the busy timeout, with a growing pause, until ctx ends.
func retryBusy(ctx context.Context, f func() error) error {
	delay := 20 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || attempt >= 8 || !isBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(delay):
		}
		delay *= 2
	}
}

func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked") || strings.Contains(msg, "(5)") || strings.Contains(msg, "(6)")
}

// Has reports whether a report with this id is stored.
func (s *SQLite) Has(ctx context.Context, id string) (string, bool, error) {
	var src string
	err := s.db.QueryRowContext(ctx, `SELECT source FROM reports WHERE id = ?`, id).Scan(&src)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("look up report: %w", err)
	}
	return src, true, nil
}

// Put stores a report, its chunks and facts in one transaction.
func (s *SQLite) Put(ctx context.Context, rep ingest.Report, chunks []rag.StoredChunk, facts []ingest.Fact) (rag.IngestStatus, error) {
	statuses, errs, err := s.PutBatch(ctx, []rag.Prepared{{Report: rep, Chunks: chunks, Facts: facts}})
	if err != nil {
		return "", err
	}
	if errs[0] != nil {
		return "", errs[0]
	}
	return statuses[0], nil
}

// PutBatch stores several reports, each as Put would and in order, in
// one transaction: a crash keeps all of them or none, and the cost of a
// commit (the WAL frames, the full-text index's new segment) is paid
// once per batch instead of once per report. When a report fails, the
// batch is undone and its reports are stored one transaction each, so
// that only the failing one is left out, its error at its index; an
// error returned alone means none was stored.
func (s *SQLite) PutBatch(ctx context.Context, ps []rag.Prepared) ([]rag.IngestStatus, []error, error) {
	// The keyword index's text is made before taking the write lock, so
	// that a batch being written is not held up by it; the terms come
	// from the ingest workers (rag.Prepare). One token per word, quoted
	// nowhere: FTS5's tokenizer keeps a Han bigram as one token.
	fts := make([][]string, len(ps))
	for i, p := range ps {
		fts[i] = make([]string, len(p.Chunks))
		for j, c := range p.Chunks {
			fts[i][j] = ftsText(c.KeywordTerms(), s.ftsSplit)
		}
	}
	statuses := make([]rag.IngestStatus, len(ps))
	errs := make([]error, len(ps))
	s.cacheMu.Lock()
	s.wrote = true
	s.cacheMu.Unlock()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	err := retryBusy(ctx, func() error { return s.putBatch(ctx, ps, fts, statuses) })
	if err == nil {
		return statuses, errs, nil
	}
	if len(ps) == 1 {
		return nil, nil, fmt.Errorf("store %s: %w", ps[0].Report.Source, err)
	}
	if ctx.Err() != nil || isBusy(err) {
		return nil, nil, fmt.Errorf("store %d reports (%s …): %w", len(ps), ps[0].Report.Source, err)
	}
	for i := range ps {
		err := retryBusy(ctx, func() error { return s.putBatch(ctx, ps[i:i+1], fts[i:i+1], statuses[i:i+1]) })
		if err != nil {
			errs[i] = fmt.Errorf("store %s: %w", ps[i].Report.Source, err)
		}
	}
	return statuses, errs, nil
}

// writeCacheKiB is the page cache of the connection batches are written
// through. With SQLite's default of 2 MB a batch of reports (about 10 MB
// of pages) spills pages to the WAL before its commit, and a page changed
// again after it spilled is written twice.
const writeCacheKiB = 32 << 10

// writer returns the connection batches are written through, opening it
// if needed; the caller holds writeMu.
func (s *SQLite) writer(ctx context.Context) (*sql.Conn, error) {
	if s.wconn != nil {
		return s.wconn, nil
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, `PRAGMA cache_size = -`+strconv.Itoa(writeCacheKiB)); err != nil {
		c.Close()
		return nil, err
	}
	s.wconn = c
	return c, nil
}

// beginWrite starts a transaction on the write connection; the caller
// holds writeMu. A connection that went bad is replaced once.
func (s *SQLite) beginWrite(ctx context.Context) (*sql.Tx, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.writer(ctx)
		if err != nil {
			return nil, err
		}
		tx, err := c.BeginTx(ctx, nil)
		if attempt == 0 && (errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn)) {
			c.Close()
			s.wconn = nil
			continue
		}
		return tx, err
	}
}

// putStmts are the statements a batch prepares once for all its reports.
type putStmts struct {
	chunk, fts, fact, terms *sql.Stmt
}

// putBatch stores ps in one transaction, setting each one's status.
// There is no savepoint per report: FTS5 writes its pending terms out as
// a new segment at every savepoint, which would cost as much as a commit.
func (s *SQLite) putBatch(ctx context.Context, ps []rag.Prepared, fts [][]string, statuses []rag.IngestStatus) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var st putStmts
	if st.chunk, err = tx.PrepareContext(ctx, `INSERT INTO chunks(report_id, seq, section, text, embedding) VALUES (?,?,?,?,?)`); err != nil {
		return err
	}
	defer st.chunk.Close()
	if st.fts, err = tx.PrepareContext(ctx, `INSERT INTO chunks_fts(rowid, tokens, town, year) VALUES (?,?,?,?)`); err != nil {
		return err
	}
	defer st.fts.Close()
	if st.fact, err = tx.PrepareContext(ctx, `INSERT INTO facts(report_id, section, subject, metric, value, unit, approx, quote, context, report_sentences) VALUES (?,?,?,?,?,?,?,?,?,NULLIF(?,0))`); err != nil {
		return err
	}
	defer st.fact.Close()
	if st.terms, err = tx.PrepareContext(ctx, `INSERT INTO term_counts(report_id, vocab, counts) VALUES (?,?,?)`); err != nil {
		return err
	}
	defer st.terms.Close()
	for i, p := range ps {
		if statuses[i], err = putTx(ctx, tx, st, p, fts[i]); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// putTx stores one report inside tx, as Put describes; fts is the
// keyword index's text of each chunk.
func putTx(ctx context.Context, tx *sql.Tx, st putStmts, p rag.Prepared, fts []string) (rag.IngestStatus, error) {
	rep := p.Report
	var stored string
	switch err := tx.QueryRowContext(ctx, `SELECT source FROM reports WHERE id = ?`, rep.ID).Scan(&stored); {
	case err == nil:
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM reports WHERE source = ?`, rep.Source).Scan(&taken); err != nil {
			return "", err
		}
		status := rag.StoredStatus(stored, rep.Source, taken > 0)
		if status != rag.StatusRenamed {
			return status, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET source = ? WHERE id = ?`, rep.Source, rep.ID); err != nil {
			return "", err
		}
		return status, nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", err
	}
	status := rag.StatusNew
	var oldID string
	err := tx.QueryRowContext(ctx, `SELECT id FROM reports WHERE source = ?`, rep.Source).Scan(&oldID)
	switch {
	case err == nil:
		status = rag.StatusReplaced
		if err := deleteReportTx(ctx, tx, oldID); err != nil {
			return "", err
		}
	case !errors.Is(err, sql.ErrNoRows):
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reports(id, source, title, town, county, place, level, city, province, division_code, aliases, year, date, doc_number, text, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		rep.ID, rep.Source, rep.Title, rep.Unit(), rep.County, rep.Place, rep.Level, rep.City, rep.Province, rep.DivisionCode, joinAliases(rep.Aliases), rep.Year, rep.Date, rep.DocNumber, rep.Text, rep.IngestedAt.UTC().Format(time.RFC3339)); err != nil {
		return "", err
	}
	if rep.TermCounts != nil {
		if _, err := st.terms.ExecContext(ctx, rep.ID, rep.TermVocab, rep.TermCounts); err != nil {
			return "", err
		}
	}
	for i, c := range p.Chunks {
		res, err := st.chunk.ExecContext(ctx, rep.ID, c.Seq, c.Section, c.Text, encodeVector(c.Embedding))
		if err != nil {
			return "", err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return "", err
		}
		if _, err := st.fts.ExecContext(ctx, id, fts[i], rep.Unit(), rep.Year); err != nil {
			return "", err
		}
	}
	for _, f := range p.Facts {
		if math.IsNaN(f.Value) || math.IsInf(f.Value, 0) {
			continue
		}
		if _, err := st.fact.ExecContext(ctx, rep.ID, f.Section, f.Subject, f.Metric, f.Value, f.Unit, f.Approx, f.Quote, f.Context, rep.Sentences); err != nil {
			return "", err
		}
	}
	return status, nil
}

func deleteReportTx(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE report_id = ?)`, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM reports WHERE id = ?`, id)
	return err
}

// Delete removes the report stored under source.
func (s *SQLite) Delete(ctx context.Context, source string) error {
	err := retryBusy(ctx, func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var id string
		if err := tx.QueryRowContext(ctx, `SELECT id FROM reports WHERE source = ?`, source).Scan(&id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("report %q: %w", source, rag.ErrNotFound)
			}
			return err
		}
		if err := deleteReportTx(ctx, tx, id); err != nil {
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", source, err)
	}
	return nil
}

// ReportText returns the cleaned text of the report with this ID.
func (s *SQLite) ReportText(ctx context.Context, id string) (string, error) {
	var text string
	if err := s.db.QueryRowContext(ctx, `SELECT text FROM reports WHERE id = ?`, id).Scan(&text); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("report %s: %w", id, rag.ErrNotFound)
		}
		return "", fmt.Errorf("read report %s: %w", id, err)
	}
	return text, nil
}

// SetMeta rewrites a stored report's metadata and the unit and year its
// chunks are filed under, in one transaction; vectors are not touched (the
// index moves them to their new unit on the next Refresh).
func (s *SQLite) SetMeta(ctx context.Context, rep ingest.Report) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE reports SET title = ?, town = ?, county = ?, place = ?, level = ?, city = ?, province = ?, division_code = ?, aliases = ?, year = ?, date = ?, doc_number = ? WHERE id = ?`,
			rep.Title, rep.Unit(), rep.County, rep.Place, rep.Level, rep.City, rep.Province, rep.DivisionCode, joinAliases(rep.Aliases), rep.Year, rep.Date, rep.DocNumber, rep.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("report %s: %w", rep.ID, rag.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `UPDATE chunks_fts SET town = ?, year = ? WHERE rowid IN (SELECT id FROM chunks WHERE report_id = ?)`, rep.Unit(), rep.Year, rep.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("set metadata of %s: %w", rep.Source, err)
	}
	return nil
}

// writeTx runs f in a write transaction of its own, committed when f
// returns nil, as this process's one writer at a time, again while
// SQLite is busy.
func (s *SQLite) writeTx(ctx context.Context, f func(*sql.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return retryBusy(ctx, func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := f(tx); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// TermCounts calls f with the ID and term counts of every stored report
// whose counts were made under vocab, read in one statement (one
// snapshot), and says whether every stored report had them.
func (s *SQLite) TermCounts(ctx context.Context, vocab string, f func(reportID string, counts []byte) error) (bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.report_id, t.counts, (SELECT count(*) FROM reports)
		FROM term_counts t JOIN reports r ON r.id = t.report_id WHERE t.vocab = ?`, vocab)
	if err != nil {
		return false, fmt.Errorf("read term counts: %w", err)
	}
	defer rows.Close()
	n, reports := 0, 0
	var id string
	var enc sql.RawBytes
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
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM reports`).Scan(&reports); err != nil {
			return false, fmt.Errorf("read term counts: %w", err)
		}
	}
	return n == reports, nil
}

// SetTermCounts stores counts made under vocab with the stored report id,
// replacing those it had.
func (s *SQLite) SetTermCounts(ctx context.Context, id, vocab string, counts []byte) error {
	if counts == nil {
		counts = []byte{} // no counts at all, as Postgres stores them: not NULL
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM reports WHERE id = ?`, id).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("report %s: %w", id, rag.ErrNotFound)
			}
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO term_counts(report_id, vocab, counts) VALUES (?,?,?)
			ON CONFLICT(report_id) DO UPDATE SET vocab = excluded.vocab, counts = excluded.counts`, id, vocab, counts)
		return err
	})
	if err != nil {
		return fmt.Errorf("set term counts of %s: %w", id, err)
	}
	return nil
}

// Reports lists the stored reports, by town, year and source.
func (s *SQLite) Reports(ctx context.Context) ([]rag.ReportInfo, error) {
	// The counts come from one pass over each report_id index, not a
	// lookup per report.
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.source, r.title, r.town, r.county, r.place, r.level, r.city, r.province, r.division_code, r.aliases, r.year, r.date, r.doc_number, r.ingested_at,
		coalesce(c.n, 0), coalesce(f.n, 0)
		FROM reports r
		LEFT JOIN (SELECT report_id, count(*) AS n FROM chunks GROUP BY report_id) c ON c.report_id = r.id
		LEFT JOIN (SELECT report_id, count(*) AS n FROM facts GROUP BY report_id) f ON f.report_id = r.id
		ORDER BY r.town, r.year, r.source`)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	defer rows.Close()
	var out []rag.ReportInfo
	for rows.Next() {
		var ri rag.ReportInfo
		var at, aliases string
		if err := rows.Scan(&ri.ID, &ri.Source, &ri.Title, &ri.Town, &ri.County, &ri.Place, &ri.Level, &ri.City, &ri.Province, &ri.DivisionCode, &aliases, &ri.Year, &ri.Date, &ri.DocNumber, &at, &ri.Chunks, &ri.Facts); err != nil {
			return nil, fmt.Errorf("list reports: %w", err)
		}
		ri.IngestedAt, _ = time.Parse(time.RFC3339, at)
		ri.Aliases = splitAliases(aliases)
		if ri.Level == ingest.LevelCounty {
			ri.Town = "" // the town column files a county's own report under its place
		}
		out = append(out, ri)
	}
	return out, rows.Err()
}

// Facts returns the facts matching f, by town, year, source and position,
// the page f.Limit and f.Offset ask for.
func (s *SQLite) Facts(ctx context.Context, f rag.FactFilter) ([]ingest.Fact, error) {
	q := `SELECT r.source, r.town, r.year, f.section, f.subject, f.metric, f.value, f.unit, f.approx, f.quote
		FROM facts f JOIN reports r ON r.id = f.report_id WHERE 1=1`
	var args []any
	if f.Source != "" {
		q += ` AND r.source = ?`
		args = append(args, f.Source)
	}
	if f.Town != "" {
		// A literal prefix, as PostgreSQL's starts_with: LIKE would read
		// "%" and "_" in the filter as wildcards.
		q += ` AND substr(r.town, 1, length(?)) = ?`
		args = append(args, f.Town, f.Town)
	}
	if f.Year != 0 {
		q += ` AND r.year = ?`
		args = append(args, f.Year)
	}
	if f.Metric != "" {
		q += ` AND f.metric = ?`
		args = append(args, f.Metric)
	}
	if f.Query != "" {
		q += ` AND (instr(f.subject, ?) > 0 OR instr(f.quote, ?) > 0)`
		args = append(args, f.Query, f.Query)
	}
	q += ` ORDER BY r.town, r.year, r.source, f.id`
	if f.Limit > 0 || f.Offset > 0 {
		limit := int64(f.Limit)
		if limit <= 0 {
			limit = -1 // SQLite: no limit
		}
		q += ` LIMIT ? OFFSET ?`
		args = append(args, limit, max(f.Offset, 0))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
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
	return out, rows.Err()
}

// MetricFacts returns the figures of q.Metric in the reports of q's year
// and places, in report and statement order: one query on the facts'
// (metric, report) index.
func (s *SQLite) MetricFacts(ctx context.Context, q rag.FactQuery) ([]rag.MetricFact, error) {
	if q.Metric == "" {
		return nil, errors.New("metric facts: no metric given")
	}
	sq := `SELECT f.report_id, f.section, f.subject, f.metric, f.value, f.unit, f.approx, f.quote, f.context, coalesce(f.report_sentences, 0)
		FROM facts f`
	args := []any{q.Metric}
	if q.Year != 0 || len(q.Places) > 0 {
		// Only columns before the report's text are read: its row holds
		// the whole text, in overflow pages a wider read would load.
		sq += ` JOIN reports r ON r.id = f.report_id`
	}
	sq += ` WHERE f.metric = ?`
	if q.Year != 0 {
		sq += ` AND r.year = ?`
		args = append(args, q.Year)
	}
	if len(q.Places) > 0 {
		sq += ` AND r.town IN (?` + strings.Repeat(",?", len(q.Places)-1) + `)`
		for _, p := range q.Places {
			args = append(args, p)
		}
	}
	sq += ` ORDER BY f.id`
	rows, err := s.db.QueryContext(ctx, sq, args...)
	if err != nil {
		return nil, fmt.Errorf("metric facts %s: %w", q.Metric, err)
	}
	defer rows.Close()
	var out []rag.MetricFact
	for rows.Next() {
		var x rag.MetricFact
		var context sql.NullString
		if err := rows.Scan(&x.ReportID, &x.Section, &x.Subject, &x.Metric, &x.Value, &x.Unit, &x.Approx, &x.Quote, &context, &x.ReportSentences); err != nil {
			return nil, fmt.Errorf("metric facts %s: %w", q.Metric, err)
		}
		x.Context, x.HasContext = context.String, context.Valid
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("metric facts %s: %w", q.Metric, err)
	}
	return out, nil
}

// ChunksWith returns every chunk in scope whose keyword terms hold any
// of tokens: the FTS5 index finds them.
func (s *SQLite) ChunksWith(ctx context.Context, tokens []string, sc rag.Scope) ([]rag.Hit, error) {
	q := ftsQuery(tokens, s.ftsSplit)
	if q == "" {
		return nil, nil
	}
	where, args := scopeSQL(sc, "t.town", "t.year")
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.report_id, c.section, c.text FROM chunks_fts t JOIN chunks c ON c.id = t.rowid
		WHERE chunks_fts MATCH ?`+where, append([]any{q}, args...)...)
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

const hitColumns = `c.id, c.report_id, r.source, r.title, r.town, r.year, c.section, c.text`

func scanHits(rows *sql.Rows) ([]rag.Hit, error) {
	defer rows.Close()
	var out []rag.Hit
	for rows.Next() {
		var h rag.Hit
		if err := rows.Scan(&h.ChunkID, &h.ReportID, &h.Source, &h.Title, &h.Town, &h.Year, &h.Section, &h.Text); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func scopeSQL(s rag.Scope, townCol, yearCol string) (string, []any) {
	var b strings.Builder
	var args []any
	if len(s.Towns) > 0 {
		b.WriteString(" AND " + townCol + " IN (")
		for i, t := range s.Towns {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
			args = append(args, t)
		}
		b.WriteByte(')')
	}
	if s.Year != 0 {
		b.WriteString(" AND " + yearCol + " = ?")
		args = append(args, s.Year)
	}
	return b.String(), args
}

// Chunks returns every chunk of the reports in scope.
func (s *SQLite) Chunks(ctx context.Context, sc rag.Scope) ([]rag.Hit, error) {
	where, args := scopeSQL(sc, "r.town", "r.year")
	rows, err := s.db.QueryContext(ctx, `SELECT `+hitColumns+` FROM chunks c JOIN reports r ON r.id = c.report_id WHERE 1=1`+where+` ORDER BY r.town, r.year, r.source, c.seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("read chunks: %w", err)
	}
	hits, err := scanHits(rows)
	if err != nil {
		return nil, fmt.Errorf("read chunks: %w", err)
	}
	return hits, nil
}

// Keyword runs a BM25 search: FTS5's, or the same computed from the
// in-memory keyword index once Warm has built it (much faster when most
// chunks match, as for a question naming no town).
func (s *SQLite) Keyword(ctx context.Context, tokens []string, sc rag.Scope, k int) ([]rag.Hit, error) {
	q := ftsQuery(tokens, s.ftsSplit)
	if q == "" || k <= 0 {
		return nil, nil
	}
	if x := s.keywordIndex(); x != nil {
		if found, ok := x.search(tokens, sc.Towns, sc.Year, k); ok {
			ids := make([]int64, len(found))
			scores := make(map[int64]float64, len(found))
			for i, h := range found {
				ids[i] = h.id
				scores[h.id] = h.score
			}
			return s.hitsByID(ctx, ids, scores)
		}
	}
	where, args := scopeSQL(sc, "t.town", "t.year")
	args = append([]any{q}, args...)
	args = append(args, k)
	rows, err := s.db.QueryContext(ctx, `SELECT t.rowid, bm25(chunks_fts) FROM chunks_fts t WHERE chunks_fts MATCH ?`+where+` ORDER BY bm25(chunks_fts) LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("keyword search: %w", err)
	}
	var ids []int64
	scores := map[int64]float64{}
	for rows.Next() {
		var id int64
		var sc float64
		if err := rows.Scan(&id, &sc); err != nil {
			rows.Close()
			return nil, fmt.Errorf("keyword search: %w", err)
		}
		ids = append(ids, id)
		scores[id] = -sc
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("keyword search: %w", err)
	}
	return s.hitsByID(ctx, ids, scores)
}

func (s *SQLite) hitsByID(ctx context.Context, ids []int64, scores map[int64]float64) ([]rag.Hit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+hitColumns+` FROM chunks c JOIN reports r ON r.id = c.report_id WHERE c.id IN (`+ph+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read chunks: %w", err)
	}
	hits, err := scanHits(rows)
	if err != nil {
		return nil, fmt.Errorf("read chunks: %w", err)
	}
	for i := range hits {
		hits[i].Score = scores[hits[i].ChunkID]
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	return hits, nil
}

// Vector searches the in-memory index exactly: the towns and year of
// the scope pick the reports whose rows are scored, so a town question
// scans only that town's chunks and a question naming no town every
// chunk, in parallel blocks.
func (s *SQLite) Vector(ctx context.Context, v []float32, sc rag.Scope, k int) ([]rag.Hit, error) {
	if k <= 0 || len(v) == 0 {
		return nil, nil
	}
	if len(v) != s.emb.Dim {
		return nil, fmt.Errorf("vector search: query has dimension %d, the store %d", len(v), s.emb.Dim)
	}
	s.mu.RLock()
	found := s.vec.search(v, sc.Towns, sc.Year, k)
	s.mu.RUnlock()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("vector search: %w", err)
	}
	ids := make([]int64, len(found))
	scores := make(map[int64]float64, len(found))
	for i, h := range found {
		ids[i] = h.id
		scores[h.id] = float64(h.sim)
	}
	return s.hitsByID(ctx, ids, scores)
}

// Counts returns how many reports, chunks and facts are stored.
func (s *SQLite) Counts(ctx context.Context) (reports, chunks, facts int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM chunks), (SELECT count(*) FROM facts)`).Scan(&reports, &chunks, &facts)
	if err != nil {
		err = fmt.Errorf("count: %w", err)
	}
	return
}

// Version returns SQLite's data_version, which changes when another
// connection or process commits.
func (s *SQLite) Version(ctx context.Context) (int64, error) {
	s.verMu.Lock()
	defer s.verMu.Unlock()
	var v int64
	if err := s.ver.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("data version: %w", err)
	}
	return v, nil
}

// Refresh makes the vector index match the stored reports: it loads the
// embeddings of reports it does not hold yet and drops those of reports
// that are gone or filed under another unit or year since (fazhi
// reindex; they are loaded again). Stored embeddings are never
// recomputed.
func (s *SQLite) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	rows, err := s.db.QueryContext(ctx, `SELECT id, town, year FROM reports`)
	if err != nil {
		return fmt.Errorf("refresh index: %w", err)
	}
	stored := map[string]vecReport{}
	for rows.Next() {
		var id string
		var r vecReport
		if err := rows.Scan(&id, &r.town, &r.year); err != nil {
			rows.Close()
			return fmt.Errorf("refresh index: %w", err)
		}
		stored[id] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("refresh index: %w", err)
	}
	s.mu.Lock()
	changed := false
	for _, id := range s.vec.ids() {
		town, year, _ := s.vec.has(id)
		if r, ok := stored[id]; !ok || r.town != town || r.year != year {
			s.vec.remove(id)
			changed = true
		}
	}
	missing := map[string]vecReport{}
	for id, r := range stored {
		if _, _, ok := s.vec.has(id); !ok {
			missing[id] = r
		}
	}
	held := len(stored) - len(missing)
	s.mu.Unlock()
	if changed || len(missing) > 0 {
		s.dropKeywordIndex()
	}
	if len(missing) == 0 {
		return nil
	}
	var blocks []*vecBlock
	var reps [][]string
	fromCache := false
	if held == 0 {
		blocks, reps, fromCache, err = s.loadAll(ctx, missing)
	} else {
		blocks, reps, err = s.loadReports(ctx, missing)
	}
	if err != nil {
		return fmt.Errorf("refresh index: %w", err)
	}
	s.cacheMu.Lock()
	if !fromCache {
		s.cacheStale = true
	}
	if held == 0 {
		s.loadedFromCache = fromCache
	}
	s.cacheMu.Unlock()
	s.mu.Lock()
	s.vec.add(blocks, reps, missing)
	nrows := s.vec.rows
	s.mu.Unlock()
	if held == 0 && !fromCache && nrows > 0 {
		// The next open reads the cache instead of the chunk table.
		s.kwMu.Lock()
		if s.bg.Err() == nil {
			s.bgDone.Add(1)
			go func() {
				defer s.bgDone.Done()
				s.writeCache()
			}()
		}
		s.kwMu.Unlock()
	}
	return nil
}

// Warm builds the in-memory keyword index and keeps it built from then
// on: after a change to the stored chunks it is built again in the
// background, Keyword asking FTS5 meanwhile. A server calls it in the
// background once it listens; one-shot commands never pay for it.
func (s *SQLite) Warm(ctx context.Context) error {
	s.kwMu.Lock()
	if err := s.bg.Err(); err != nil {
		s.kwMu.Unlock()
		return fmt.Errorf("warm %s: the store is closed", s.path)
	}
	s.warm = true
	if s.building || (s.kw != nil && s.kw.gen == s.gen) {
		s.kwMu.Unlock()
		return nil
	}
	s.building = true
	s.bgDone.Add(1) // Close waits for the build
	s.kwMu.Unlock()
	defer s.bgDone.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.bg, cancel)()
	if err := s.buildKeywordIndex(ctx); err != nil {
		return fmt.Errorf("warm %s: %w", s.path, err)
	}
	return nil
}

// keywordIndex returns the keyword index when it is built for the stored
// chunks, else nil (and starts building it when the store is warm).
func (s *SQLite) keywordIndex() *keywordIndex {
	s.kwMu.Lock()
	defer s.kwMu.Unlock()
	if s.kw != nil && s.kw.gen == s.gen {
		return s.kw
	}
	if s.warm && !s.building && s.bg.Err() == nil {
		s.building = true
		s.bgDone.Add(1)
		go func() {
			defer s.bgDone.Done()
			s.buildKeywordIndex(s.bg) // on failure Keyword keeps asking FTS5
		}()
	}
	return nil
}

// dropKeywordIndex forgets the keyword index: the stored chunks changed.
func (s *SQLite) dropKeywordIndex() {
	s.kwMu.Lock()
	s.gen++
	s.kw = nil
	s.kwMu.Unlock()
}

// buildKeywordIndex builds the keyword index and installs it unless the
// stored chunks changed while it was read.
func (s *SQLite) buildKeywordIndex(ctx context.Context) error {
	s.kwMu.Lock()
	gen := s.gen
	s.kwMu.Unlock()
	x, err := buildKeywordIndex(ctx, s.db, gen)
	s.kwMu.Lock()
	defer s.kwMu.Unlock()
	s.building = false
	if err != nil {
		return err
	}
	if x.gen == s.gen {
		s.kw = x
	}
	return nil
}

// loadAll reads the embeddings of every chunk of the reports in want:
// from the vector cache file when there is a good one (fromCache), with
// the chunks it lacks from SQLite; else from the chunk table, cut into id
// ranges read side by side.
func (s *SQLite) loadAll(ctx context.Context, want map[string]vecReport) (blocks []*vecBlock, reps [][]string, fromCache bool, err error) {
	path := filepath.Join(filepath.Dir(s.path), VectorCacheFile)
	if _, err := os.Stat(path); err == nil {
		// The cache file and the chunk ids of each report are read side
		// by side.
		var (
			c    *vcache
			cerr error
			done = make(chan struct{})
		)
		go func() {
			defer close(done)
			c, cerr = readVectorCache(path, s.cacheKey, s.emb.Dim)
		}()
		ids, err := s.chunkIDs(ctx, want)
		<-done
		if err != nil {
			return nil, nil, false, err
		}
		if cerr == nil {
			blocks, reps, complete, err := s.loadWithCache(ctx, want, c, ids)
			return blocks, reps, complete, err
		}
	}
	blocks, reps, err = s.loadTable(ctx, want)
	return blocks, reps, false, err
}

// chunkID is a chunk of a report, as the (report_id, seq) index lists it.
type chunkID struct {
	report string
	id     int64
}

// chunkIDs lists the chunks of the reports in want from the (report_id,
// seq) index alone, without reading the chunk table.
func (s *SQLite) chunkIDs(ctx context.Context, want map[string]vecReport) ([]chunkID, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT report_id, id FROM chunks INDEXED BY chunks_report`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out []chunkID
		rid sql.RawBytes
		id  int64
		cur string
	)
	for rows.Next() {
		if err := rows.Scan(&rid, &id); err != nil {
			return nil, err
		}
		if cur != string(rid) {
			cur = string(rid)
		}
		if _, ok := want[cur]; ok {
			out = append(out, chunkID{cur, id})
		}
	}
	return out, rows.Err()
}

// loadWithCache files the cache's rows under the reports of want whose
// every chunk (ids) it holds, and reads the other reports' from SQLite
// (complete is false then).
func (s *SQLite) loadWithCache(ctx context.Context, want map[string]vecReport, c *vcache, ids []chunkID) (blocks []*vecBlock, reps [][]string, complete bool, err error) {
	cached := &vecBlock{ids: c.ids, data: c.data}
	rep := make([]string, len(c.ids))
	short := map[string]vecReport{} // reports with a chunk the cache lacks
	for _, ci := range ids {
		if i := c.find(ci.id); i >= 0 {
			rep[i] = ci.report
		} else {
			short[ci.report] = want[ci.report]
		}
	}
	if len(short) > 0 {
		for i, r := range rep {
			if _, ok := short[r]; ok {
				rep[i] = "" // the whole report comes from SQLite
			}
		}
		blocks, reps, err = s.loadReports(ctx, short)
		if err != nil {
			return nil, nil, false, err
		}
	}
	return append(blocks, cached), append(reps, rep), len(short) == 0, nil
}

// writeCache writes the vector cache file when the index holds rows it
// lacks; a failure only means the next open reads SQLite.
func (s *SQLite) writeCache() {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if !s.cacheStale {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := writeVectorCache(filepath.Join(filepath.Dir(s.path), VectorCacheFile), s.cacheKey, s.vec); err == nil {
		s.cacheStale = false
	}
}

// loadTable reads the embeddings of every chunk of the reports in want
// from the chunk table, cut into id ranges read side by side.
func (s *SQLite) loadTable(ctx context.Context, want map[string]vecReport) ([]*vecBlock, [][]string, error) {
	var lo, hi, n sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT (SELECT min(id) FROM chunks), (SELECT max(id) FROM chunks), (SELECT count(*) FROM chunks)`).Scan(&lo, &hi, &n); err != nil {
		return nil, nil, err
	}
	if n.Int64 == 0 {
		return nil, nil, nil
	}
	parts := 1
	if n.Int64 >= minParallelRows {
		parts = max(1, min(runtime.GOMAXPROCS(0), 4))
	}
	span := (hi.Int64 - lo.Int64 + int64(parts)) / int64(parts)
	blocks := make([]*vecBlock, parts)
	reps := make([][]string, parts)
	g, gctx := errgroup.WithContext(ctx)
	for i := range parts {
		from := lo.Int64 + int64(i)*span
		to := min(from+span, hi.Int64+1)
		rowsHint := int(min(n.Int64/int64(parts)+n.Int64/16, to-from))
		g.Go(func() error {
			var err error
			blocks[i], reps[i], err = s.readBlock(gctx, `SELECT id, report_id, embedding FROM chunks WHERE id >= ? AND id < ? ORDER BY id`, []any{from, to}, want, rowsHint)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return blocks, reps, nil
}

// loadReports reads the embeddings of the chunks of the reports in want,
// a few hundred reports a query.
func (s *SQLite) loadReports(ctx context.Context, want map[string]vecReport) ([]*vecBlock, [][]string, error) {
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var blocks []*vecBlock
	var reps [][]string
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 500)]
		ids = ids[len(batch):]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		b, rep, err := s.readBlock(ctx, `SELECT id, report_id, embedding FROM chunks WHERE report_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(batch)), ",")+`) ORDER BY id`, args, want, 0)
		if err != nil {
			return nil, nil, err
		}
		blocks, reps = append(blocks, b), append(reps, rep)
	}
	return blocks, reps, nil
}

// readBlock reads the rows (id, report_id, embedding) query returns into
// one block, keeping those of the reports in want; rep[i] is row i's
// report. rowsHint sizes the block.
func (s *SQLite) readBlock(ctx context.Context, query string, args []any, want map[string]vecReport, rowsHint int) (*vecBlock, []string, error) {
	dim := s.emb.Dim
	b := &vecBlock{ids: make([]int64, 0, rowsHint), data: make([]float32, 0, rowsHint*dim)}
	var rep []string
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var (
		id        int64
		rid, blob sql.RawBytes
	)
	for rows.Next() {
		if err := rows.Scan(&id, &rid, &blob); err != nil {
			return nil, nil, err
		}
		if len(rep) == 0 || rep[len(rep)-1] != string(rid) {
			if _, ok := want[string(rid)]; !ok {
				continue // stored after the reports were listed: the next Refresh loads it
			}
			rep = append(rep, string(rid))
		} else {
			rep = append(rep, rep[len(rep)-1])
		}
		off := len(b.data)
		b.data = slices.Grow(b.data, dim)[:off+dim]
		if err := decodeVectorInto(b.data[off:], blob); err != nil {
			return nil, nil, fmt.Errorf("chunk %d: %w", id, err)
		}
		normalize(b.data[off:])
		b.ids = append(b.ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if cap(b.data)-len(b.data) > len(b.data)/8 {
		b.data = slices.Clip(slices.Clone(b.data))
		b.ids = slices.Clone(b.ids)
	}
	return b, rep, nil
}

func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// decodeVectorInto decodes a stored embedding into v, which has the
// store's dimension.
func decodeVectorInto(v []float32, b []byte) error {
	if len(b) != 4*len(v) {
		return fmt.Errorf("stored embedding has %d bytes, want %d (dim %d)", len(b), 4*len(v), len(v))
	}
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return nil
}
