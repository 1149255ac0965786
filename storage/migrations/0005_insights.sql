-- 0005 (numbered after the migrations of other branches at merge): the
-- normalised key of each entity, for Insights and History's entity filter.
--
-- entities.norm is storage.EntityKey(text): case-folded, white space
-- collapsed, a possessive 's / ’s removed, so "Apple's", "apple" and
-- " APPLE " count as one entity while text keeps each surface form. The
-- writer computes it in Go for new rows; rows stored before this migration
-- get it here from the same function (registered on the writer connection
-- as nlpscope_entity_key). No index: Insights reaches entities through
-- entities_document from the documents it selects, and History's filter
-- probes a candidate document's own entities the same way.
ALTER TABLE entities ADD COLUMN norm TEXT NOT NULL DEFAULT '';
UPDATE entities SET norm = nlpscope_entity_key(text);
