-- 0001: documents, analyses, entities, imports, load-test runs, full-text index.
-- Times are Unix nanoseconds (UTC). JSON columns hold text written by Go.

CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
    total       INTEGER NOT NULL DEFAULT 0,
    stored      INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER
);

CREATE TABLE documents (
    id         INTEGER PRIMARY KEY,
    import_id  INTEGER REFERENCES imports(id) ON DELETE CASCADE,
    text       TEXT    NOT NULL,
    sha256     TEXT    NOT NULL,
    source     TEXT    NOT NULL DEFAULT '',
    line       INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX documents_import  ON documents(import_id);
CREATE INDEX documents_source  ON documents(source);  -- rowid (id) is implied
CREATE INDEX documents_created ON documents(created_at);

CREATE TABLE analyses (
    id             INTEGER PRIMARY KEY,
    document_id    INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    task           TEXT    NOT NULL,
    model_id       TEXT    NOT NULL,
    model_hash     TEXT    NOT NULL,
    options        TEXT    NOT NULL DEFAULT '',
    text_sha256    TEXT    NOT NULL, -- copy of documents.sha256
    -- First 8 bytes of sha256(model_hash, task, options, text_sha256) as an
    -- integer: a compact, random key keeps the cache index small, so that
    -- inserts dirty few pages. Lookups re-check the full key columns.
    cache_key      INTEGER NOT NULL,
    label          TEXT    NOT NULL DEFAULT '',
    score          REAL    NOT NULL DEFAULT 0,
    scores         TEXT    NOT NULL DEFAULT '[]', -- JSON [{"label","score"}]
    queue_ns       INTEGER NOT NULL DEFAULT 0,
    tokenize_ns    INTEGER NOT NULL DEFAULT 0,
    inference_ns   INTEGER NOT NULL DEFAULT 0,
    postprocess_ns INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE INDEX analyses_document ON analyses(document_id);
CREATE INDEX analyses_cache    ON analyses(cache_key);
-- Search filters probe a candidate document's own analyses and entities
-- (EXISTS … document_id = d.id), which the *_document indexes serve; more
-- indexes would only slow down every insert.

CREATE TABLE entities (
    id          INTEGER PRIMARY KEY,
    analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    label       TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    start_pos   INTEGER NOT NULL, -- Unicode code points, inclusive
    end_pos     INTEGER NOT NULL, -- exclusive
    score       REAL    NOT NULL DEFAULT 0
);
CREATE INDEX entities_analysis   ON entities(analysis_id);
CREATE INDEX entities_document   ON entities(document_id);

-- Full-text index over documents.text (external content: the text is stored once).
CREATE VIRTUAL TABLE documents_fts USING fts5(
    text,
    content = 'documents',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER documents_fts_update AFTER UPDATE OF text ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO documents_fts(rowid, text) VALUES (new.id, new.text);
END;

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    config      TEXT    NOT NULL DEFAULT '{}', -- JSON
    hardware    TEXT    NOT NULL DEFAULT '{}', -- JSON fingerprint
    model_hash  TEXT    NOT NULL DEFAULT '',
    ort_version TEXT    NOT NULL DEFAULT '',
    git_commit  TEXT    NOT NULL DEFAULT '',
    summary     TEXT    NOT NULL DEFAULT '{}', -- JSON
    timeseries  TEXT    NOT NULL DEFAULT '[]', -- JSON, one point per second
    histograms  TEXT    NOT NULL DEFAULT '{}', -- JSON, per stage
    passed      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_created ON runs(created_at);
