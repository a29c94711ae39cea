package rag

import "fazhi/ingest"

// Turn is one earlier exchange in a conversation, oldest first.
type Turn struct {
	Role    string `json:"role"` // "user" or "assistant"
	Content string `json:"content"`
}

// Question is what a front end asks the Engine.
type Question struct {
	Text    string `json:"question"`
	History []Turn `json:"history,omitempty"`
}

// Citation points at the sentence an answer rests on.
type Citation struct {
	Source  string `json:"source"` // the report's name: its path relative to the ingested folder
	Title   string `json:"title"`
	Town    string `json:"town"`
	Year    int    `json:"year"`
	Section string `json:"section"`
	Quote   string `json:"quote"`
}

// Answer is the Engine's reply. Found is false when the reports in scope do
// not state what was asked; Answer then says so in plain words.
type Answer struct {
	Answer    string     `json:"answer"`
	Found     bool       `json:"found"`
	Citations []Citation `json:"citations"`
	Mode      string     `json:"mode"`            // "extractive" or "llm"
	Note      string     `json:"note,omitempty"`  // e.g. why a generated answer was discarded
	Table     *Table     `json:"table,omitempty"` // the figures compared, listed or totalled, one per report
}

// ReportInfo describes a stored report, as listed by `fazhi docs` and
// GET /v1/documents.
type ReportInfo struct {
	ingest.Report
	Chunks int `json:"chunks"`
	Facts  int `json:"facts"`
}

// FactFilter selects facts; zero fields match everything. Every field
// is matched literally and alike in every store: Town is a prefix of the
// report's town ("渔门" finds 渔门镇; "%" and "_" are plain characters),
// Query a substring, the others equal.
type FactFilter struct {
	Source string // exact report source (its name or relative path)
	Town   string
	Year   int
	Metric string
	Query  string // substring of subject or quote
	// Limit caps how many facts are returned (0: all); Offset skips that
	// many first, in the listing's order (town, year, source, position).
	Limit, Offset int
}

// Stats summarises the store, as GET /v1/stats returns it.
type Stats struct {
	Reports  int    `json:"reports"`
	Chunks   int    `json:"chunks"`
	Facts    int    `json:"facts"`
	Embedder string `json:"embedder"`
	Dim      int    `json:"dim"`
}

// IngestStatus says what ingesting one file did.
type IngestStatus string

// Ingest outcomes.
const (
	StatusNew       IngestStatus = "new"
	StatusReplaced  IngestStatus = "replaced"
	StatusUnchanged IngestStatus = "unchanged"
	// StatusDuplicate: the content is stored already under another
	// source (IngestResult.DuplicateOf); nothing was written.
	StatusDuplicate IngestStatus = "duplicate"
	// StatusRenamed: the content was stored under the bare file name of
	// this source, as stores made before sources were relative paths
	// hold it; it is now stored under this source.
	StatusRenamed IngestStatus = "renamed"
)

// IngestResult reports the outcome of ingesting one file. Report is the
// report as stored: for a duplicate, the one that already holds the content.
type IngestResult struct {
	Source      string       `json:"source"`
	Status      IngestStatus `json:"status"`
	DuplicateOf string       `json:"duplicate_of,omitempty"`
	Report      ReportInfo   `json:"report"`
}
