-- Duplicates: the same text analysed again with the same model and settings
-- is one document, not a new copy.
--
-- seen counts the times the text was stored: the row that created the
-- document and every later one that matched it (same sha256, and for every
-- analysis of the new result one of the document's analyses with the same
-- task, model hash and options). The writer compares in storage/results.go.
--
-- import_rows records the import rows that matched an existing document
-- instead of creating one: the row that created a document stays in
-- documents(import_id, source, line), a duplicate row is here. A resumed
-- import skips the rows of both (storage.StoredLines), so a duplicate row is
-- known to be committed without a document of its own. Only duplicates are
-- written here: a wider index on every document would cost each stored
-- document more (migrations/0007). A document's imports are its own
-- import_id and those of its import_rows.
ALTER TABLE documents ADD COLUMN seen INTEGER NOT NULL DEFAULT 1;

-- What deleting an import deletes (its documents seen only in it) is
-- counted for every listed import: with seen in the import's index the
-- count reads the index, not every document's row.
DROP INDEX documents_import;
CREATE INDEX documents_import ON documents(import_id, seen);

-- A row may repeat (import_id, source, line): results that name no line.
CREATE TABLE import_rows (
    id          INTEGER PRIMARY KEY,
    import_id   INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    source      TEXT    NOT NULL,
    line        INTEGER NOT NULL,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE
);
CREATE INDEX import_rows_import   ON import_rows(import_id);
CREATE INDEX import_rows_document ON import_rows(document_id);
