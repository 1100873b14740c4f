/*
 * duckdb.h - DuckDB, loaded on first use with dlopen(), so that a process
 * that only reads online features never maps libduckdb (loading it costs
 * ~20 ms). Only the offline layer uses this.
 *
 * The library is looked up in $LARDER_DUCKDB (a path), then at the path the
 * build found (third_party/duckdb/lib/libduckdb.so), then as libduckdb.so.
 */
#ifndef LR_OFFLINE_DUCKDB_H
#define LR_OFFLINE_DUCKDB_H

#include <duckdb.h>

#include "../util/buf.h"

typedef struct lr__duckdb {
  duckdb_database db;
  duckdb_connection con;
} lr__duckdb;

/* Loads the library (once per process) and opens an in-memory database.
 * Returns 0, or LR_EUNSUPPORTED when libduckdb cannot be loaded (the
 * message says where it looked), or LR_EIO. */
int lr__duckdb_open(lr__duckdb *d, lr__buf *err);
void lr__duckdb_close(lr__duckdb *d);

/* Runs `sql`; on failure writes DuckDB's message to `err` and returns
 * LR_EINVAL. With `rows` (may be NULL), each row's first `n_cols` columns
 * are appended to it as text, tab-separated, one row per line. */
int lr__duckdb_run(lr__duckdb *d, const char *sql, int n_cols, lr__buf *rows,
                   lr__buf *err);

/* Appends `s` as a SQL string literal ('...', quotes doubled). */
void lr__sql_literal(lr__buf *out, const char *s);
/* Appends `s` as a quoted identifier ("...", quotes doubled). */
void lr__sql_ident(lr__buf *out, const char *s);

#endif
