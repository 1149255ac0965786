-- Document metadata: the metadata columns an import maps besides the text,
-- id and date (e.g. product, author), kept with each document as one JSON
-- object of strings ({"product":"phone","author":"Ann"}); '' = none. At
-- most 64 keys, 1 KiB a value and 16 KiB in all (the input readers and
-- Store check this). History filters by exact value (instr, then json_each); there
-- is no index on it (see the storage bench, BenchmarkSearchMeta).
ALTER TABLE documents ADD COLUMN meta TEXT NOT NULL DEFAULT '';
