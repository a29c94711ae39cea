package rag

import (
	"context"
	"errors"
	"path"
	"strings"

	"fazhi/ingest"
)

// ErrNotFound is returned when a named report does not exist.
var ErrNotFound = errors.New("not found")

// ErrEmbedderMismatch is returned when a store is opened with another
// embedder than the one its vectors were made with.
var ErrEmbedderMismatch = errors.New("embedder mismatch")

// StoredChunk is a chunk with its embedding, as written to a store.
type StoredChunk struct {
	ingest.Chunk
	Embedding []float32
	// Terms are the chunk's keyword terms, Tokens(Section+" "+Text), as
	// Prepare makes them on the ingest workers so that the one writer of a
	// store need not; a store computes them when they are nil.
	Terms []string
}

// KeywordTerms are the terms a store indexes a chunk under for keyword
// search: c.Terms, or Tokens(Section+" "+Text) when they were not made.
func (c StoredChunk) KeywordTerms() []string {
	if c.Terms != nil {
		return c.Terms
	}
	return Tokens(c.Section + " " + c.Text)
}

// Prepared is a report ready to be stored: the cleaned report with its
// metadata, its embedded chunks and its facts, as Engine.Prepare makes it.
type Prepared struct {
	Report ingest.Report
	Chunks []StoredChunk
	Facts  []ingest.Fact
}

// BatchStore is a Store that can store several reports in one
// transaction. PutBatch stores each report as Put would, in order (a
// later one sees the earlier ones), and commits them together, so a
// crash keeps all of them or none. A report that fails is left out, its
// error at its index, without failing the others; an error returned
// alone means none was stored.
type BatchStore interface {
	Store
	PutBatch(ctx context.Context, ps []Prepared) ([]IngestStatus, []error, error)
}

// TermCountStore is a Store that keeps the term counts a report was
// prepared with (ingest.Report.TermVocab and TermCounts) as Put was given
// them, so that a total over every report reads them instead of the
// sentences of every report holding its terms (Engine.termCounts).
type TermCountStore interface {
	Store
	// TermCounts calls f, in no set order, with the ID and the counts of
	// every stored report whose counts were made under vocabulary vocab
	// (counts is f's only during the call), all read in one snapshot, and
	// says whether every stored report had them: when not, what f was
	// given does not cover the store.
	TermCounts(ctx context.Context, vocab string, f func(reportID string, counts []byte) error) (complete bool, err error)
	// SetTermCounts stores counts made under vocab with the stored report
	// id, replacing those it had; an error wraps ErrNotFound when there
	// is no such report.
	SetTermCounts(ctx context.Context, id, vocab string, counts []byte) error
}

// Hit is a chunk found by a search, with its report's metadata.
type Hit struct {
	ChunkID  int64
	ReportID string
	Source   string
	Title    string
	Town     string
	Year     int
	Section  string
	Text     string
	Score    float64 // higher is better; comparable only within one search
}

// Scope restricts a search to reports of the given towns and year.
// Empty Towns and zero Year match everything.
type Scope struct {
	Towns []string
	Year  int
}

// FactQuery selects the figures of one metric across reports.
type FactQuery struct {
	Metric string   // the metric key; required
	Year   int      // the reports' year; 0 matches every year
	Places []string // the reports' units (their town); nil matches every place
}

// MetricFact is a stored figure as an answer over many reports reads it:
// the fact (its Source, Town and Year left empty: the report says them)
// with the report it is stated in.
type MetricFact struct {
	ReportID string
	ingest.Fact
	// HasContext is false for a figure stored before its context was
	// kept: its report must be read to score it.
	HasContext bool
	// ReportSentences is the report's ingest.Report.Sentences, kept with
	// each of its figures; 0 when stored before they were counted.
	ReportSentences int
}

// Store is what the Engine needs from durable state. Its two peer
// implementations are sqlitestore (SQLite plus an in-memory vector
// index, embedded) and pgstore (PostgreSQL with pgvector, scale-out).
type Store interface {
	// Put stores a report with its chunks and facts in one transaction,
	// replacing a report of the same source (StatusReplaced). A report
	// whose ID (content) is already stored is left as it is: under the
	// same source StatusUnchanged, under another StatusDuplicate, except
	// that a report stored under the bare file name of rep.Source (as
	// stores made before sources were relative paths hold it) is moved to
	// rep.Source when no report has that source (StatusRenamed).
	Put(ctx context.Context, rep ingest.Report, chunks []StoredChunk, facts []ingest.Fact) (IngestStatus, error)
	// Has reports whether a report with this ID is stored, and its source.
	Has(ctx context.Context, id string) (source string, ok bool, err error)
	Delete(ctx context.Context, source string) error
	Reports(ctx context.Context) ([]ReportInfo, error)
	Facts(ctx context.Context, f FactFilter) ([]ingest.Fact, error)
	// MetricFacts returns the stated figures of one metric in the reports
	// q selects, with their context, in one indexed query: what a total,
	// ranking or comparison over many reports scores.
	MetricFacts(ctx context.Context, q FactQuery) ([]MetricFact, error)
	// ChunksWith returns every chunk in scope whose keyword terms (Tokens
	// of its section and text) hold any of tokens, in no set order. Only
	// the hits' ChunkID, ReportID, Section and Text are set.
	ChunksWith(ctx context.Context, tokens []string, s Scope) ([]Hit, error)
	// Chunks returns every chunk of the reports in scope, in report order.
	Chunks(ctx context.Context, s Scope) ([]Hit, error)
	Keyword(ctx context.Context, tokens []string, s Scope, k int) ([]Hit, error)
	Vector(ctx context.Context, v []float32, s Scope, k int) ([]Hit, error)
	Counts(ctx context.Context) (reports, chunks, facts int, err error)
	// ReportText returns the cleaned text of the report with this ID.
	ReportText(ctx context.Context, id string) (string, error)
	// SetMeta rewrites the metadata of the stored report with rep's ID
	// (title, place and where it lies, year, date, document number) and
	// what its chunks are filed under; text, chunks and vectors stay.
	SetMeta(ctx context.Context, rep ingest.Report) error
	// Version changes whenever any process commits a change.
	Version(ctx context.Context) (int64, error)
	// Refresh brings in-memory indexes up to date with changes made by
	// other processes.
	Refresh(ctx context.Context) error
	Close() error
}

// StoredStatus is what Put does with a report whose content is stored
// already under storedSource, when it comes as source: StatusUnchanged
// for the same source; StatusRenamed when storedSource is the bare file
// name of source (a store made before sources were relative paths) and
// no report has source yet (sourceTaken false); StatusDuplicate
// otherwise. Both stores decide through it.
func StoredStatus(storedSource, source string, sourceTaken bool) IngestStatus {
	switch {
	case storedSource == source:
		return StatusUnchanged
	case !sourceTaken && strings.Contains(source, "/") && path.Base(source) == storedSource:
		return StatusRenamed
	}
	return StatusDuplicate
}
