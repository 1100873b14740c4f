/*
 * pushed.h - the offline side of a push source: the folder its pushed rows
 * go to (offline_path, by default data/pushed/NAME/ in the repo), one
 * Parquet file per push, written by DuckDB to a hidden temporary name and
 * renamed into place, and what readers read of it.
 */
#ifndef LR_OFFLINE_PUSHED_H
#define LR_OFFLINE_PUSHED_H

#include "../online/push.h"
#include "duckdb.h"

/* Appends the folder of push source `s`'s offline files: its
 * offline_path inside `repo` (unless absolute). */
void lr__pushed_dir(const char *repo, const lr__source *s, lr__buf *out);

/* Appends the pattern that reads every pushed file of folder `dir`
 * (DIR/ then *.parquet): temporary files never match it. */
void lr__pushed_glob(const char *dir, lr__buf *out);

/* 1 when folder `dir` holds a pushed file (a readable folder with a
 * *.parquet in it), else 0: readers read it only then. */
int lr__pushed_any(const char *dir);

/* Removes the temporary files that pushers no longer running (on this
 * machine) left in `dir`, as a kill -9 mid-push does. Returns how many. */
int lr__pushed_clean(const char *dir);

/*
 * lr__pushed_append - appends checked rows of plan p (lr__push_check) to
 * the push source's folder in `repo` as one new Parquet file: each plan
 * column given in `cols` that the batch source keeps, under its batch
 * source column, in the type the views declare. DuckDB (`db`, a session
 * whose TimeZone is UTC) writes it to a temporary name in the folder
 * (created when missing; stale temporary files are removed first), which
 * is synced, renamed to `TIME-PID-N.parquet` and its folder synced. `file`
 * (may be NULL) gets the file's path. Returns 0, LR_EIO or LR_EINVAL
 * (DuckDB refused; the message names the folder) with nothing left
 * behind but, after a crash, a temporary file.
 */
int lr__pushed_append(lr__duckdb *db, const char *repo, const lr__push_plan *p,
                      const lr_column *cols, int n_cols, size_t n_rows,
                      lr__buf *file, lr__buf *err);

/* Where a push's sides are written. */
typedef struct lr__push_sides {
  const char *repo;  /* absolute: offline folders resolve inside it */
  lr__duckdb *db;    /* an open session, for an offline push */
  lr_store *store;   /* a read-write store, for an online push */
} lr__push_sides;

/* What a push wrote. */
typedef struct lr__push_outcome {
  lr_write_stats per_view[LR__PUSH_MAX_VIEWS]; /* by the plan's views */
  int online_views;    /* online views written */
  size_t offline_rows; /* rows in the offline file (0: none written) */
  lr__buf file;        /* its path (initialized by the caller) */
  lr__buf checks;      /* per view whose checks ran: `"VIEW": REPORT`
                          members (lr__push_online; initialized by the
                          caller) */
} lr__push_outcome;

/* lr__push_check of rows read from `shown` (a file, or "df"), its
 * message prefixed with it as file writes name theirs. */
int lr__push_check_read(const lr__push_plan *p, const lr__rows *rows,
                        const char *shown, lr__buf *err);

/*
 * lr__push_run - the push of rows `cols` through plan p, `to` LR_PUSH_ONLINE
 * and/or LR_PUSH_OFFLINE (lr_push()'s contract), once the caller has
 * checked them (lr__push_check, before opening the sides): the offline
 * file first, then the online views, so that served rows are in the
 * training data. A replica refuses either side. An offline failure
 * writes nothing online; an online one after the file was written says
 * so, and which views were written. Returns 0 or the failure's code, the message in
 * `err`; `out` says what was written either way.
 */
int lr__push_run(const lr__push_sides *sides, const lr__push_plan *p,
                 unsigned to, const lr_column *cols, int n_cols,
                 size_t n_rows, lr__push_outcome *out, lr__buf *err);

#endif
