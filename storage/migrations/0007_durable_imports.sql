-- migrate: foreign_keys off
-- Durable imports: imports are durable records. Each keeps what is needed to list it
-- after a restart and to resume it: its files (names, paths on disk, sizes
-- and modification times, as JSON written by the app), its options (JSON),
-- the folder of uploaded files it owns, its errors (JSON), and when it was
-- last updated. A new state, 'interrupted', is what Open makes of an import
-- left 'running' by a process that ended without finishing it (a crash,
-- kill -9, power loss). bad_dates counts the rows whose date column could
-- not be read.
--
-- Documents get the two optional columns an import can map besides the
-- text: ext_id, the row's id in its source ('' = none), and doc_time, its
-- date/time (Unix nanoseconds, UTC; NULL = none).
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt
-- (https://www.sqlite.org/lang_altertable.html, "other kinds of table schema
-- changes"). The migration runner turns foreign keys off around this
-- migration (the first line asks for it): with them on, dropping the old
-- table would delete every imported document through ON DELETE CASCADE. It
-- checks the foreign keys before it commits.
CREATE TABLE imports_new (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'done', 'failed', 'cancelled', 'interrupted')),
    total       INTEGER NOT NULL DEFAULT 0,
    stored      INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    updated_at  INTEGER NOT NULL DEFAULT 0,
    files       TEXT    NOT NULL DEFAULT '[]',
    options     TEXT    NOT NULL DEFAULT '{}',
    dir         TEXT    NOT NULL DEFAULT '',
    errors      TEXT    NOT NULL DEFAULT '[]',
    bad_dates   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO imports_new(id, source, status, total, stored, failed, started_at, finished_at, updated_at)
    SELECT id, source, CASE status WHEN 'running' THEN 'interrupted' ELSE status END,
           total, stored, failed, started_at, finished_at, coalesce(finished_at, started_at)
    FROM imports;
DROP TABLE imports;
ALTER TABLE imports_new RENAME TO imports;

-- Resume reads the (source, line) of an import's documents through the
-- index on import_id (0001); a wider index (import_id, source, line) would
-- make every stored document cost about a quarter more CPU (storage bench).

ALTER TABLE documents ADD COLUMN ext_id   TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN doc_time INTEGER;
