-- The first schema of the scale-out store. Rendered with text/template:
-- .Dim is the embedder's dimension, .ANN whether an HNSW index fits it.

CREATE TABLE IF NOT EXISTS reports (
	id          text PRIMARY KEY,
	source      text NOT NULL UNIQUE,
	title       text NOT NULL DEFAULT '',
	town        text NOT NULL DEFAULT '',
	county      text NOT NULL DEFAULT '',
	year        integer NOT NULL DEFAULT 0,
	date        text NOT NULL DEFAULT '',
	doc_number  text NOT NULL DEFAULT '',
	text        text NOT NULL DEFAULT '',
	ingested_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_town_year ON reports (town, year);

-- town and year are copied from the report so that searches filter
-- chunks without a join; ntokens is the chunk's length in keyword
-- tokens and tokens its keyword index (lexeme → positions), both made
-- from rag.Tokens exactly as the embedded store's FTS5 index is.
CREATE TABLE IF NOT EXISTS chunks (
	id        bigserial PRIMARY KEY,
	report_id text NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	seq       integer NOT NULL,
	section   text NOT NULL DEFAULT '',
	text      text NOT NULL,
	town      text NOT NULL DEFAULT '',
	year      integer NOT NULL DEFAULT 0,
	ntokens   integer NOT NULL,
	tokens    tsvector NOT NULL,
	embedding vector({{.Dim}}) NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_report ON chunks (report_id, seq);
CREATE INDEX IF NOT EXISTS chunks_town_year ON chunks (town, year);
CREATE INDEX IF NOT EXISTS chunks_year ON chunks (year);
CREATE INDEX IF NOT EXISTS chunks_tokens ON chunks USING gin (tokens);
{{if .ANN}}CREATE INDEX IF NOT EXISTS chunks_embedding ON chunks USING hnsw (embedding vector_cosine_ops);{{end}}

CREATE TABLE IF NOT EXISTS facts (
	id        bigserial PRIMARY KEY,
	report_id text NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
	section   text NOT NULL DEFAULT '',
	subject   text NOT NULL DEFAULT '',
	metric    text NOT NULL DEFAULT '',
	value     double precision NOT NULL,
	unit      text NOT NULL DEFAULT '',
	approx    text NOT NULL DEFAULT '',
	quote     text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS facts_report ON facts (report_id);
CREATE INDEX IF NOT EXISTS facts_metric ON facts (metric);

-- BM25 statistics, kept in step with chunks by every write: how many
-- chunks hold each term, and the corpus totals. version counts commits.
CREATE TABLE IF NOT EXISTS terms (
	term text PRIMARY KEY,
	df   integer NOT NULL
);
CREATE TABLE IF NOT EXISTS corpus (
	one     boolean PRIMARY KEY DEFAULT true CHECK (one),
	version bigint NOT NULL DEFAULT 0,
	chunks  bigint NOT NULL DEFAULT 0,
	tokens  bigint NOT NULL DEFAULT 0
);
INSERT INTO corpus (one) VALUES (true) ON CONFLICT DO NOTHING;
