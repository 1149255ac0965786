-- 0005: how a sentiment label was read (method, truncation) and the scores of
-- each sentence, as JSON {"method","truncated","sentences":[{"start","end",
-- "label","score","scores"}]} (code points); '' for analyses without them.
-- ADD COLUMN with a constant default rewrites no rows.
ALTER TABLE analyses ADD COLUMN detail TEXT NOT NULL DEFAULT '';
