-- Trigram index: substring search for emoji and for scripts written without spaces.
--
-- The word index (documents_fts, unicode61) drops emoji and pictographic
-- symbols, and takes a run of CJK, Thai, Lao, Khmer or Myanmar letters as
-- one token, so 😍 found nothing and 東京 missed 東京タワー. documents_tri
-- is a trigram index (substring match) beside it. It holds only the
-- documents whose text has a rune of those scripts or symbols (the GLOB
-- class below; storage/searchquery.go substrRanges holds the same ranges):
-- only a search term with such a rune goes to this index, and it can only
-- occur in such a document. Most texts have none and cost nothing more to
-- store. New documents enter it in the writer's group insert (like
-- documents_fts, migrations/0002), deletes and text updates here, with the
-- same condition, so an entry is removed exactly when one was added.
CREATE VIRTUAL TABLE documents_tri USING fts5(
    text,
    content = 'documents',
    content_rowid = 'id',
    tokenize = 'trigram remove_diacritics 1'
);

INSERT INTO documents_tri(rowid, text)
    SELECT id, text FROM documents WHERE text GLOB '*[฀-໿က-႟ក-៿←-⯿⺀-鿿ꀀ-꓏가-힯豈-﫿ｦ-ﾟ🀀-🯿𠀀-𿿿]*';

CREATE TRIGGER documents_tri_delete AFTER DELETE ON documents
    WHEN old.text GLOB '*[฀-໿က-႟ក-៿←-⯿⺀-鿿ꀀ-꓏가-힯豈-﫿ｦ-ﾟ🀀-🯿𠀀-𿿿]*'
BEGIN
    INSERT INTO documents_tri(documents_tri, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER documents_tri_update AFTER UPDATE OF text ON documents BEGIN
    INSERT INTO documents_tri(documents_tri, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.text GLOB '*[฀-໿က-႟ក-៿←-⯿⺀-鿿ꀀ-꓏가-힯豈-﫿ｦ-ﾟ🀀-🯿𠀀-𿿿]*';
    INSERT INTO documents_tri(rowid, text)
        SELECT new.id, new.text WHERE new.text GLOB '*[฀-໿က-႟ក-៿←-⯿⺀-鿿ꀀ-꓏가-힯豈-﫿ｦ-ﾟ🀀-🯿𠀀-𿿿]*';
END;
