-- Insights: what Insights aggregates, kept where a scan of the selection finds it.
--
-- entities.norm is storage.EntityKey(text): case-folded, white space
-- collapsed, a possessive 's / ’s removed, so "Apple's", "apple" and
-- " APPLE " count as one entity while text keeps each surface form. The
-- writer computes it in Go for new rows; rows stored before this migration
-- get it here from the same function (registered on the writer connection
-- as nlpscope_entity_key).
--
-- documents.sentiment and sentiment_score are the label and score of the
-- document's newest sentiment analysis (NULL: none), written with the
-- document (its analyses are only ever stored together with it). History's
-- sentiment filter and every Insights panel read them instead of looking
-- the newest analysis up per document, which was most of the time of an
-- aggregate. documents_insights replaces documents_created: it still serves
-- every created_at range, and holds what the distribution and the timeline
-- need, so for them a selection by time is an index scan. New documents
-- have the largest created_at, so inserts land on its last page.
ALTER TABLE entities ADD COLUMN norm TEXT NOT NULL DEFAULT '';
UPDATE entities SET norm = nlpscope_entity_key(text);

ALTER TABLE documents ADD COLUMN sentiment TEXT;
ALTER TABLE documents ADD COLUMN sentiment_score REAL;
UPDATE documents SET (sentiment, sentiment_score) = (
    SELECT a.label, a.score FROM analyses a
    WHERE a.document_id = documents.id AND a.task = 'sentiment' ORDER BY a.id DESC LIMIT 1);

DROP INDEX documents_created;
CREATE INDEX documents_insights ON documents(created_at, sentiment, sentiment_score);
