-- Reserved: this number belongs to the document metadata migration of a
-- branch developed at the same time (documents.meta). This file does
-- nothing; when both are merged it is dropped for that migration.
SELECT 1;
