-- The short forms of its unit's name a report's own text uses (广内街道
-- for 广安门内街道), so that questions using them reach the report.
-- Existing rows keep none until `fazhi reindex` (ingesting an unchanged
-- report again stores nothing).
ALTER TABLE reports ADD COLUMN IF NOT EXISTS aliases text[] NOT NULL DEFAULT '{}';
