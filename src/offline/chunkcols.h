/*
 * chunkcols.h - a view's source rows in a window, as DuckDB streams them
 * in chunks, turned into lr_columns: what materialize puts through an
 * online writer and `larder check` through a check runner.
 */
#ifndef LR_OFFLINE_CHUNKCOLS_H
#define LR_OFFLINE_CHUNKCOLS_H

#include "duckdb.h"
#include "offline.h"

/* Chunks are converted LR__CHUNK_BATCH rows at a time, so that a batch's
 * values (a column of lr_values each) stay in the CPU's cache between
 * their conversion and their use. */
enum { LR__CHUNK_BATCH = 256 };

/* One chunk's rows converted: a column per key, the two times and each
 * feature; values point into the chunk (strings) or into `scratch`
 * (tables of array<string> items). */
typedef struct lr__chunk_columns {
  int n_cols;
  lr_column *cols;
  lr_value *values; /* n_cols x LR__CHUNK_BATCH */
  uint8_t *types;   /* the dtype each column is read as */
  lr__buf scratch;
} lr__chunk_columns;

/* Column names and read types of view v: keys, event_timestamp,
 * created_timestamp, features — the order of lr__view_rows_sql's SELECT.
 * Returns 0 or LR_ENOMEM (free with lr__chunk_columns_free either way). */
int lr__chunk_columns_setup(const lr__model *reg, const lr__view *v,
                            lr__chunk_columns *cc);

/* Converts rows [from, from + n) of a chunk (n <= LR__CHUNK_BATCH) into
 * cc's columns. Returns 0, LR_EINVAL (a null item inside a list, which
 * arrays cannot hold; the message on off) or LR_ENOMEM. */
int lr__chunk_columns_read(lr_offline *off, duckdb_data_chunk chunk,
                           lr__chunk_columns *cc, idx_t from, idx_t n);

void lr__chunk_columns_free(lr__chunk_columns *cc);

/* The SELECT of view v's source rows with start <= event time <= end
 * (start LR__TIME_MIN_US: no lower bound), sorted by the join keys with
 * `by_key`, into `sql`; one counting them into `count_sql`. */
int lr__view_rows_sql(lr_offline *off, const lr__view *v, int64_t start,
                      int64_t end, int by_key, lr__buf *sql,
                      lr__buf *count_sql);

#endif
