/*
 * ingest.h - file writes into the online store (CSV, JSON lines).
 */
#ifndef LR_ONLINE_INGEST_H
#define LR_ONLINE_INGEST_H

#include "store.h"

/* Writes the rows of a .csv, .jsonl or .json file into `view` as
 * lr_write_rows() does; the contract of lr_write_file() for those formats. */
int lr__ingest_file(lr_store *store, const char *view, const char *path,
                    lr_write_stats *stats);

#endif
