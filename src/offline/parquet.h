/*
 * parquet.h - Parquet input for file writes and pushes, and the reading of
 * any file of rows they share.
 */
#ifndef LR_OFFLINE_PARQUET_H
#define LR_OFFLINE_PARQUET_H

#include "../online/ingest.h"
#include "../util/buf.h"

/* Rewrites the Parquet file `parquet` as CSV at `csv` (header row; bytes
 * base64, lists JSON, timestamps ISO 8601 UTC). Returns 0, LR_EINVAL (not
 * readable as Parquet; DuckDB's message in `err`) or LR_EUNSUPPORTED (no
 * libduckdb). */
int lr__parquet_to_csv(const char *parquet, const char *csv, lr__buf *err);

/* Hands a file of rows to `use` in a form the online ingest reads: a
 * .csv, .jsonl or .json file as it is, a .parquet file through a
 * temporary CSV of it; opts name the file given either way (messages say
 * its rows, never the temporary file) and hold `flags`
 * (LR_WRITE_IGNORE_EXTRA_COLUMNS).
 * Returns what `use` returned, or LR_ENOTFOUND, LR_EIO, LR_EINVAL or
 * LR_EUNSUPPORTED for a Parquet file that cannot be read, with the reason
 * in `err`. */
int lr__with_file_rows(const char *path, unsigned flags, lr__buf *err,
                       int (*use)(void *ctx, const char *readable,
                                  const lr__ingest_opts *opts),
                       void *ctx);

#endif
