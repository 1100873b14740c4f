/*
 * parquet.h - Parquet input for the online store's file writes.
 */
#ifndef LR_OFFLINE_PARQUET_H
#define LR_OFFLINE_PARQUET_H

#include "../util/buf.h"

/* Rewrites the Parquet file `parquet` as CSV at `csv` (header row; bytes
 * base64, lists JSON, timestamps ISO 8601 UTC). Returns 0, LR_EINVAL (not
 * readable as Parquet; DuckDB's message in `err`) or LR_EUNSUPPORTED (no
 * libduckdb). */
int lr__parquet_to_csv(const char *parquet, const char *csv, lr__buf *err);

#endif
