-- Corrections: the analyst's own labels for a document, kept apart from the
-- model's predictions (analyses, entities), so re-analysis never overwrites
-- them. One row per corrected or reviewed document.
--
-- sentiment NULL: the sentiment was not corrected. has_entities 0: the
-- entities were not corrected; 1: correction_entities is the full gold list
-- (possibly empty) that replaces the predicted entities. sentiment_model and
-- entities_model are the model ids (name@hash12) of the predictions that
-- were corrected ('' when there was none). Times are Unix nanoseconds.
CREATE TABLE corrections (
    document_id     INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    sentiment       TEXT,
    has_entities    INTEGER NOT NULL DEFAULT 0,
    reviewed        INTEGER NOT NULL DEFAULT 0,
    sentiment_model TEXT    NOT NULL DEFAULT '',
    entities_model  TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- The gold entities of a correction; start_pos/end_pos are Unicode code
-- points (end exclusive) as in entities, text is the span's text.
CREATE TABLE correction_entities (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES corrections(document_id) ON DELETE CASCADE,
    label       TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    start_pos   INTEGER NOT NULL,
    end_pos     INTEGER NOT NULL
);
CREATE INDEX correction_entities_document ON correction_entities(document_id, start_pos);
