/*
 * offline.h - the offline layer's shared state: a repo's registry, its
 * folder, and a DuckDB session set up for it (UTC, paths inside the repo).
 */
#ifndef LR_OFFLINE_OFFLINE_H
#define LR_OFFLINE_OFFLINE_H

#include "../registry/model.h"
#include "duckdb.h"
#include "larder.h"

struct lr_offline {
  char *repo;      /* the repo folder, absolute */
  lr__model reg;
  lr__duckdb db;
  int db_open;
  int verbose; /* lr_offline_set_verbose: DuckDB's words and the query
                 follow each message about a failed query */
  lr__buf errmsg;
};

/* A handle on the repo folder `repo` (made absolute) with no registry
 * loaded: what lr_offline_open starts from, and all the source check
 * needs. Returns 0, LR_ENOMEM (*out NULL), LR_EINVAL or LR_ENOTFOUND
 * (the message on the handle). */
int lr__offline_new(const char *repo, lr_offline **out);

/* Opens the DuckDB session once (TimeZone UTC, file_search_path = the
 * repo, so relative paths in SQL sources resolve inside it). */
int lr__offline_session(lr_offline *off);

/* Runs `sql` in the session; on failure errmsg says why, after `doing`
 * ("reading the entity rows"), in Larder's words (explain.h). With `rows`, the first n_cols columns of
 * each row are appended as tab-separated text lines. */
int lr__offline_run(lr_offline *off, const char *sql, const char *doing,
                    int n_cols, lr__buf *rows);

/* The source a view's rows are read from offline: its own, or a push
 * source's batch source. NULL when there is none. */
const lr__source *lr__offline_source(const lr_offline *off,
                                    const lr__view *v);

/* Appends the path of file source `s`: inside the repo unless absolute. */
void lr__source_path(const lr_offline *off, const lr__source *s,
                     lr__buf *out);

/* Appends the FROM clause that reads file or sql source `s` as DuckDB
 * types it (the source check's DESCRIBE): read_parquet or read_csv of its
 * path inside the repo, or its query as a subquery. Loads read CSV
 * columns as text instead (lr__source_select). */
void lr__source_from(const lr_offline *off, const lr__source *s,
                     lr__buf *sql);

/* 1 when `s` is a file source read as Parquet (not .csv or .csv.gz). */
int lr__source_is_parquet(const lr__source *s);

/* Appends a SELECT over the view's source giving: its join keys (cast to
 * their types, named as the keys), "__ts" and "__created" (TIMESTAMPTZ;
 * NULL without a created column) and its features (cast, named as the
 * features). field_mapping renames source columns. Returns 0 or LR_EINVAL. */
int lr__source_select(lr_offline *off, const lr__view *v, lr__buf *sql);

/* Appends a FROM clause over source s (file or sql) that adds, to its
 * columns, where each row comes from: __larder_file (the file's path as
 * DuckDB has it; '' for a sql source) and __larder_file_row (1-based in
 * that file, or in the query's result). For explain.c: a CSV file's rows
 * are numbered in the file's order only by a one-thread scan. */
void lr__source_from_located(const lr_offline *off, const lr__source *s,
                             lr__buf *sql);

/* How a query names what an on-demand function reads. */
typedef struct lr__ondemand_sql {
  /* appends the expression of a view's feature (as joined, ttl applied) */
  void (*feature)(void *ctx, lr__buf *sql, const lr__view *view,
                  const lr__field *field);
  void *ctx;
  const char *entity_alias; /* the entity rows' alias: request fields are
                               its columns */
  const char *now_column;   /* the entity row's time (TIMESTAMPTZ) */
} lr__ondemand_sql;

/* Registers a scalar function computing feature k of on-demand view `v`
 * (see ondemand.c) and appends its call to `sql`. Returns 0, LR_EINVAL (the
 * view does not compile: errmsg says why), LR_ENOMEM or LR_EIO. */
int lr__ondemand_call(lr_offline *off, const lr__view *v, int k,
                      const lr__ondemand_sql *how, lr__buf *sql);

/* 1 when a source column of DuckDB type `type` (as DESCRIBE spells it:
 * "DECIMAL(18,3)", "FLOAT[]") loads as `dtype` (see coltypes.c); with
 * `text_file` (a CSV source) a VARCHAR column loads as any dtype. */
int lr__column_type_fits(uint8_t dtype, const char *type, int text_file);

/* Appends the column types `dtype` is read from, for hints: "FLOAT,
 * DOUBLE, DECIMAL or integer (TINYINT to UHUGEINT) columns". */
void lr__column_types_read(lr__buf *out, uint8_t dtype);

/* The DuckDB type of a dtype, e.g. "FLOAT", "BIGINT[]". */
void lr__sql_type(lr__buf *out, uint8_t dtype);

#endif
