-- The term counts a report was prepared with (rag.TermCountStore): how
-- many of its sentences hold each token of the term vocabulary, encoded
-- by rag, under the vocabulary version term_vocab. Rows stored before
-- have none ('' and NULL) until `fazhi reindex` fills them (ingesting an
-- unchanged report again stores nothing); totals read the reports'
-- sentences meanwhile.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS term_vocab text NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN IF NOT EXISTS term_counts bytea;
