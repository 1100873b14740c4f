/*
 * explain.h - DuckDB's errors about the queries Larder builds, told in
 * Larder's words: what could not be read, where (the file, the 1-based
 * data row and the column), and what to do. The query and DuckDB's own
 * message follow only in verbose mode (lr_offline_set_verbose, `larder
 * --verbose`). See docs/internals/offline.md, "Errors".
 */
#ifndef LR_OFFLINE_EXPLAIN_H
#define LR_OFFLINE_EXPLAIN_H

#include "offline.h"

/* Puts into off->errmsg, after `doing` ("reading the entity rows"), why
 * query `sql` failed with DuckDB's message `duck`: a missing file named
 * with the fix, else DuckDB's first line without the query it quotes.
 * Returns LR_EINVAL. */
int lr__explain_query(lr_offline *off, const char *doing, const char *duck,
                      const char *sql);

/* The same for a query that read view v's source: a missing file names
 * the source and its path; a value that does not convert to the type the
 * definitions declare is looked up in the source (a file's name and row;
 * a sql source's query) and named with its column, feature and type.
 * Returns LR_EINVAL. */
int lr__explain_source(lr_offline *off, const lr__view *v, const char *duck,
                       const char *sql);

/* After a failed join over the entity rows (the temporary table
 * __entities, whose 1-based __larder_row numbers them): when one of the
 * join keys of `views` holds a value that does not convert to its entity's
 * type, replaces off->errmsg with the row, column and value in the rows
 * described as `entities` ("data/entity_rows.csv"). Returns 1 when it
 * found one, else 0 (off->errmsg untouched). */
int lr__explain_entity_keys(lr_offline *off, const lr__view *const *views,
                            int n_views, const char *entities);

#endif
