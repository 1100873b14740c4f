/*
 * rowfile.h - rows written as a new Parquet file in a folder, whole or
 * not at all: a push's offline side (pushed.c) and the rows a check
 * dropped (quarantine.c).
 */
#ifndef LR_OFFLINE_ROWFILE_H
#define LR_OFFLINE_ROWFILE_H

#include "duckdb.h"

/* One column of the file: its name, its type and a value per row. */
typedef struct lr__rowfile_col {
  const char *name;
  uint8_t dtype;          /* an lr__dtype */
  const lr_value *values; /* as lr_write_rows takes them */
} lr__rowfile_col;

/*
 * lr__rowfile_write - writes `n_rows` rows of `cols` as one new Parquet
 * file in folder `dir` (which must exist). The rows go into table `table`
 * of session `db` (TimeZone UTC) through DuckDB's appender; COPY writes
 * the table to `.PREFIX-PID-N.tmp` in the folder, which is synced,
 * renamed to `TIME-PID-N.parquet` and its folder synced, so readers
 * globbing *.parquet see the file only whole. `file` (may be NULL) gets
 * the file's path. Returns 0; LR_EINVAL when DuckDB refuses the rows
 * ("cannot stage WHAT DIR: why"); LR_EIO when the file cannot be written
 * or synced (the message names it); LR_ENOMEM. Nothing is left behind on
 * failure but, after a crash, the temporary file (lr__rowfile_clean).
 */
int lr__rowfile_write(lr__duckdb *db, const char *dir, const char *prefix,
                      const char *what, const lr__rowfile_col *cols,
                      int n_cols, size_t n_rows, lr__buf *file, lr__buf *err);

/* Makes (or replaces) table `table` of session `db` with `cols` and puts
 * their n_rows rows into it through DuckDB's appender. Returns 0, LR_EINVAL
 * (DuckDB's words in `err`) or LR_ENOMEM. */
int lr__rowfile_stage(lr__duckdb *db, const char *table,
                      const lr__rowfile_col *cols, int n_cols, size_t n_rows,
                      lr__buf *err);

/* Removes the temporary files `.PREFIX-PID-N.tmp` in `dir` of processes
 * no longer running on this machine (a kill -9 mid-write leaves one).
 * Returns how many. */
int lr__rowfile_clean(const char *dir, const char *prefix);

#endif
