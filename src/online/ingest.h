/*
 * ingest.h - file writes into the online store (CSV, JSON lines).
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
