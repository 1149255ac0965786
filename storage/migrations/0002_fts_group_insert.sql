-- 0002: index new documents in the full-text table once per write group.
--
-- A row trigger ran one FTS5 insert per document. FTS5 flushes its pending
-- terms to a new segment at every statement savepoint, so each document
-- became a segment of its own and FTS5 spent most of a write merging them
-- (about half the CPU of storing a document). The writer now indexes all
-- documents of a group with one INSERT … SELECT just before COMMIT, in the
-- same transaction: a document is searchable exactly when it is committed,
-- as before. Deletes and text updates still go through triggers.
DROP TRIGGER documents_fts_insert;
