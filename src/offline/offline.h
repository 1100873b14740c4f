/*
 * offline.h - the offline layer's shared state: a repo's registry, its
 * folder, and a DuckDB session set up for it (UTC, paths inside the repo).
 */
#ifndef LR_OFFLINE_OFFLINE_H
#define LR_OFFLINE_OFFLINE_H

#include <stdatomic.h>

#include "../registry/model.h"
#include "duckdb.h"
#include "larder.h"

/* The first time value a query could not read (timecol.c): state 0
 * none, 1 being written, 2 written; the message is whole from then on. */
typedef struct lr__time_failure {
  atomic_int state;
  lr__buf message;
} lr__time_failure;

struct lr_offline {
  char *repo;      /* the repo folder, absolute */
  lr__model reg;
  lr__duckdb db;
  int db_open;
  int verbose; /* lr_offline_set_verbose: DuckDB's words and the query
                 follow each message about a failed query */
  lr__buf errmsg;
  lr__time_failure time_failure;
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

/* Runs `sql` into `result` (the caller destroys it); on failure leaves
 * nothing to free and errmsg says why: as a failed read of view v's
 * source (explain.h), or with v NULL after `doing`. */
int lr__offline_query(lr_offline *off, const lr__view *v, const char *sql,
                      const char *doing, duckdb_result *result);

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

/* The entity rows of a training set (entities.c). Describes them into
 * `described` (name TAB type lines) and names their timestamp column in
 * `ts` (`event_timestamp`, else the only timestamp column). Returns 0 or
 * LR_EINVAL / LR_ENOTFOUND (the message says why); `doing` heads DuckDB's
 * errors. */
int lr__entities_describe(lr_offline *off, const lr_historical_spec *spec,
                          const char *doing, lr__buf *described,
                          lr__buf *ts);
/* Creates the temp table __entities: the rows, __larder_row (1-based, in
 * input order) and __larder_ts (column `ts` read by the time parser in
 * spec->timestamp_unit; a text or number column is replaced by it). */
int lr__entities_stage(lr_offline *off, const lr_historical_spec *spec,
                       const char *doing, const char *described,
                       const char *ts);
/* 1 when `described` (as lr__entities_describe gives it) has column
 * `name`. */
int lr__described_has(const char *described, const char *name);

/* How a time column is read and named in messages (timecol.c). */
typedef struct lr__time_column {
  const char *column;         /* its name */
  const char *owner;          /* after it: " of source 's'", or "" */
  const char *place;          /* where rows are when no file is given:
                                 the entity file, "source 's' (its query)" */
  int unit;                   /* of epoch numbers, LR__TIME_* */
  const char *declare;        /* how to declare a unit, before its name:
                                 "declare timestamp_unit: " */
  const char *declared_where; /* after it: " on source 's'", or "" */
} lr__time_column;

/* Registers a function reading the time column `how` and appends its call
 * on the SQL expressions `value` (the column), `file` (the file a row is
 * from, VARCHAR) and `row` (its 1-based data row); file and row may be
 * NULL (unknown). The call gives a TIMESTAMPTZ; a value that is no time
 * fails the query with a message lr__offline_time_failed() gives. Returns
 * 0, LR_ENOMEM or LR_EIO. */
int lr__time_column_call(lr_offline *off, const lr__time_column *how,
                         const char *value, const char *file,
                         const char *row, lr__buf *sql);

/* As lr__time_column_call, a call giving the modification time of the
 * file named by the SQL expression `file` (a snapshot source's rows). */
int lr__file_time_call(lr_offline *off, const lr__time_column *how,
                       const char *file, lr__buf *sql);

/* 1 when a time function failed since lr__offline_time_reset(): its
 * message then replaces errmsg. 0 otherwise. */
int lr__offline_time_failed(lr_offline *off);
/* Forgets a failure, before a query runs. */
void lr__offline_time_reset(lr_offline *off);

/* 1 when a source column of DuckDB type `type` (as DESCRIBE spells it:
 * "DECIMAL(18,3)", "FLOAT[]") loads as `dtype` (see coltypes.c); with
 * `text_file` (a CSV source) a VARCHAR column loads as any dtype. */
int lr__column_type_fits(uint8_t dtype, const char *type, int text_file);

/* Appends the column types `dtype` is read from, for hints: "FLOAT,
 * DOUBLE, DECIMAL or integer (TINYINT to UHUGEINT) columns". */
void lr__column_types_read(lr__buf *out, uint8_t dtype);

/* The DuckDB type of a dtype, e.g. "FLOAT", "BIGINT[]". */
void lr__sql_type(lr__buf *out, uint8_t dtype);

/* Appends the cast of source column `column` to dtype as a load reads it,
 * a TRY_CAST (NULL where the value does not convert) with `as_try`. From
 * `text` (the cells of a CSV source, read as text) an int32 or int64 is
 * read only from an integer, optionally signed and surrounded by spaces:
 * DuckDB's own cast would round '4.5' to 5, a value `larder write`
 * refuses; anything else fails as a value that does not convert. */
void lr__sql_cast_column(lr__buf *sql, const char *column, uint8_t dtype,
                         int text, int as_try);

#endif
