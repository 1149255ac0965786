-- Reserved: this number belongs to the duplicates migration of a branch
-- developed at the same time (documents seen more than once). This file
-- does nothing; when both are merged it is dropped for that migration.
SELECT 1;
