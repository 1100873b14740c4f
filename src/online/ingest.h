/*
 * ingest.h - rows read from files (CSV, JSON lines) and from requests'
 * tables (Feast's `df`), typed by the columns they may have: those of a
 * view for a write into it (written into the online store here), or those
 * of the views a push source feeds for a push (push.h).
 */
#ifndef LR_ONLINE_INGEST_H
#define LR_ONLINE_INGEST_H

#include "../util/arena.h"
#include "../util/json.h"
#include "larder.h"

/* How a file write names places and treats extra columns. */
typedef struct lr__ingest_opts {
  const char *shown; /* the file as messages name it (NULL: its path) */
  unsigned flags;    /* LR_WRITE_IGNORE_EXTRA_COLUMNS */
} lr__ingest_opts;

/* The columns a table may have: each one's name, the dtype its cells are
 * parsed as, and whether every row needs a value in it. */
typedef struct lr__colset {
  int n;
  const char **names;
  uint8_t *types;
  uint8_t *required; /* 1: join keys and event_timestamp */
  int time_unit;     /* of epoch numbers in time columns, LR__TIME_* */
  const char *unit_source; /* the source declaring it, for messages */
  const char *owner; /* for messages: "view 'v'", "push source 'p'" */
  const char *columns_are; /* for messages, after "columns are ": "its
                              join keys, event_timestamp, ..." */
  /* Appends to a refusal of unknown column `column` why it is not one
   * and returns 1, or returns 0 (nothing to say); may be NULL. A refusal
   * explains its first column that has something said of it. */
  int (*explain_unknown)(const void *ctx, const char *column, lr__buf *err);
  const void *explain_ctx;
} lr__colset;

/* The columns of a write into online view `ov` of model `m`: its join
 * keys, event_timestamp, created_timestamp and its features (arrays in
 * `arena`), epoch numbers in the timestamp_unit of the view's source.
 * Returns 0 or LR_ENOMEM. */
struct lr__online_view;
struct lr__model;
int lr__colset_of_view(lr__colset *cs, lr__arena *arena,
                       const struct lr__model *m,
                       const struct lr__online_view *ov);

/* Rows read from a file or a request's table, column by column: every
 * column that was read, values typed as the colset says (strings and
 * arrays in `arena`). */
typedef struct lr__rows {
  lr__arena arena;
  lr_column *cols;
  int n_cols;
  size_t n_rows;
  lr_value *values; /* the cells, column after column */
} lr__rows;

void lr__rows_free(lr__rows *rows);

/* Reads a .csv, .jsonl or .json file as lr__ingest_file does, without
 * writing it: into *rows (freed by the caller whatever this returns).
 * Returns 0, LR_EINVAL (the message in `err` names the file and place),
 * LR_ENOTFOUND, LR_EIO or LR_ENOMEM. */
int lr__ingest_read_file(const lr__colset *cs, const char *path,
                         const lr__ingest_opts *opts, lr__rows *rows,
                         lr__buf *err);

/* Reads a column-major JSON table (Feast's `df`: {"column": [values]})
 * as lr__ingest_read_file reads a file; rows are numbered from 1 in
 * messages ("df:3: column ..."). */
int lr__ingest_read_df(const lr__colset *cs, const lr__jnode *df,
                       lr__rows *rows, lr__buf *err);

/* Writes the rows of a .csv, .jsonl or .json file into `view` as
 * lr_write_rows() does; the contract of lr_write_file_flags() for those
 * formats. `opts` may be NULL (the path, lines, extra columns refused). */
int lr__ingest_file(lr_store *store, const char *view, const char *path,
                    const lr__ingest_opts *opts, lr_write_stats *stats);

/* Parses decimal text as LR_TYPE_INT32 or LR_TYPE_INT64 into `out`
 * (range-checked, nothing after the digits). Returns 0 or -1. */
int lr__parse_int_text(const char *s, int type, lr_value *out);

/* Reads a JSON value as dtype `dt`: a scalar (bytes as base64, times as
 * ISO 8601 or epoch seconds; a number for a string is its text), a list
 * for an array, or null (LR_TYPE_NULL). Strings and arrays are copied into
 * `arena`. Returns 0 or -1. */
int lr__json_to_value(lr__arena *arena, const lr__jnode *node, uint8_t dt,
                      lr_value *out);

/* Writes a column-major JSON table (Feast's `df`: {"column": [values]}) into
 * `view`: the same columns, types and rules as a file. */
int lr__ingest_json_df(lr_store *store, const char *view,
                       const lr__jnode *df, lr_write_stats *stats);

#endif
