-- 0004: the text-hash index of the second-level cache is maintained in
-- large sorted merges instead of one random insert per document.
--
-- documents_text (0003) put each new document at a random place of a B-tree.
-- Once that index is larger than a write group, nearly every document
-- dirtied one more page that the commit wrote to the WAL; on a database of a
-- million documents this halved the rate of storing documents. Now the
-- newest documents (those with id > text_index_state.upto: a few tens of
-- thousands at most) are found through an in-memory map that the writer
-- keeps and rebuilds from this table's tail on open, and every so often the
-- writer merges that tail into text_index in key order, in the transaction
-- of a write group (storage/textindex.go). A lookup reads both. The index is
-- only a way to find candidates: lookups compare the whole hash, model,
-- task and options on the rows themselves, so a stale entry can only cause
-- a cache miss, never a wrong answer.
DROP INDEX documents_text;

CREATE TABLE text_index (
    key    TEXT    NOT NULL, -- substr(documents.sha256, 1, 12)
    doc_id INTEGER NOT NULL,
    PRIMARY KEY (key, doc_id)
) WITHOUT ROWID;

CREATE TABLE text_index_state (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    upto INTEGER NOT NULL -- every document with id <= upto is in text_index
);

INSERT INTO text_index(key, doc_id) SELECT substr(sha256, 1, 12), id FROM documents ORDER BY 1, 2;
INSERT INTO text_index_state(id, upto) VALUES (1, (SELECT coalesce(max(id), 0) FROM documents));

-- A deleted document leaves the index. When the newest documents are
-- deleted, SQLite may give their ids to new ones (rowid = max + 1): upto
-- follows max(id) down so that such a new document counts as not merged.
CREATE TRIGGER documents_text_delete AFTER DELETE ON documents BEGIN
    DELETE FROM text_index WHERE key = substr(old.sha256, 1, 12) AND doc_id = old.id;
    UPDATE text_index_state SET upto = (SELECT coalesce(max(id), 0) FROM documents)
        WHERE upto > (SELECT coalesce(max(id), 0) FROM documents);
END;
