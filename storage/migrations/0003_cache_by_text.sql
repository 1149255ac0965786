-- 0003: the second-level cache finds stored analyses through their document's
-- text hash, not through a key of its own on every analysis.
--
-- analyses_cache indexed a random 8-byte key per analysis. Random keys land
-- on random pages of the index, so once the index is larger than a write
-- group, every analysis dirtied one more index page that the commit then
-- wrote to the WAL (and a checkpoint later to the database): about a quarter
-- of the CPU of storing a document with a sentiment and an entities analysis.
-- One entry per document serves every analysis of it: a lookup finds the
-- documents with the text's hash, then their analyses through
-- analyses_document, and compares model hash, task and options there. The
-- index holds the first 12 hex digits (48 bits) of the hash; lookups compare
-- the whole hash. analyses.cache_key and analyses.text_sha256 (a copy of
-- documents.sha256) are no longer needed.
DROP INDEX analyses_cache;
ALTER TABLE analyses DROP COLUMN cache_key;
ALTER TABLE analyses DROP COLUMN text_sha256;
CREATE INDEX documents_text ON documents(substr(sha256, 1, 12));
