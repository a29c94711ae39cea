-- Totals, rankings and comparisons from the fact table (issue 15): each
-- figure keeps the sentences before it in its section and its report's
-- count of distinct sentences (NULL in rows stored before: those reports
-- are read to score their figures); figures are found by metric and
-- report in one index.
ALTER TABLE facts ADD COLUMN IF NOT EXISTS context text;
ALTER TABLE facts ADD COLUMN IF NOT EXISTS report_sentences integer;
DROP INDEX IF EXISTS facts_metric;
CREATE INDEX IF NOT EXISTS facts_metric_report ON facts (metric, report_id);
