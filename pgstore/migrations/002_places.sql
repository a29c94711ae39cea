-- Where each report's unit lies (issue 10): the unit as the report names
-- itself, its level (township or county), city, province and division
-- code. Existing rows keep empty values until `fazhi reindex` or the next
-- ingest fills them in.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS place         text NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN IF NOT EXISTS level         text NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN IF NOT EXISTS city          text NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN IF NOT EXISTS province      text NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN IF NOT EXISTS division_code text NOT NULL DEFAULT '';
