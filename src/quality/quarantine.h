/*
 * quarantine.h - where the rows a `drop` check kept out of the online
 * store go: one Parquet file per write transaction (a materialization of
 * a view, a write, a push), in the folder beside the online store,
 * `quarantine/VIEW/` (data/quarantine/VIEW/ by default), so that nothing
 * a check drops is lost.
 *
 * The online writer calls this before it commits; the file is written by
 * DuckDB (offline/quarantine.c), loaded only when a row was dropped: the
 * one call of the write path into the offline layer, and never one of the
 * serving path. A file that cannot be written fails the transaction.
 */
#ifndef LR_QUALITY_QUARANTINE_H
#define LR_QUALITY_QUARANTINE_H

#include "../../include/larder.h"
#include "../registry/model.h"
#include "../util/buf.h"

/* The quarantine folder of view `view` for the online store folder
 * `online_root`: its sibling `quarantine/VIEW`. */
void lr__quarantine_dir(const char *online_root, const char *view,
                        lr__buf *out);

/* Writes `n` dropped rows of view v (of model m), columns `cols` as the
 * write named them, and per row in `rules` the checks it failed (comma
 * separated), as a new Parquet file in folder `dir` (created when
 * missing): the view's keys, event_timestamp, created_timestamp and
 * features in their types, then `failed_checks`. `file` gets its path.
 * Returns 0; LR_EIO (the folder or file cannot be written: the message
 * names it); LR_EUNSUPPORTED (libduckdb cannot be loaded); LR_EINVAL;
 * LR_ENOMEM; the reason in `err`. */
int lr__quarantine_save(const lr__model *m, const lr__view *v, const char *dir,
                        const lr_column *cols, int n_cols, size_t n,
                        const lr_value *rules, lr__buf *file, lr__buf *err);

#endif
