/*
 * writer.h - writing rows into one view's online database in a transaction
 * that spans several batches: lr_write_rows is one begin/put/commit; a
 * materialization puts every chunk DuckDB returns, records what it loaded
 * in the meta database, and commits once, so readers see the whole load or
 * none of it.
 */
#ifndef LR_ONLINE_WRITER_H
#define LR_ONLINE_WRITER_H

#include "store.h"

typedef struct lr__writer lr__writer;

/* The view `view` when rows can be written to it (a stored batch view of
 * a store opened read-write), else NULL with *rc LR_EREADONLY,
 * LR_ENOTFOUND, LR_EINVAL (not stored, or on-demand) or LR_EIO and the
 * reason on the store. */
lr__online_view *lr__writer_view(lr_store *store, const char *view, int *rc);

/* Starts a write transaction on `view`. Returns 0, LR_EREADONLY,
 * LR_ENOTFOUND, LR_EINVAL (a view not stored online) or LR_EIO; the message
 * is on the store. */
int lr__writer_begin(lr_store *store, const char *view, lr__writer **out);

/* Writes rows as lr_write_rows() does, into the open transaction (newer
 * wins, also against rows put earlier in it). On failure the caller
 * aborts. */
int lr__writer_put(lr__writer *w, const lr_column *cols, int n_cols,
                   size_t n_rows, lr_write_stats *stats);

/* What lr__writer_put returns in latest-only mode with `in_order` when a
 * key is smaller than the one before (an internal code, not an LR_E*). */
#define LR__WRITER_UNORDERED 1

/* Latest-only mode, for materialization: of consecutive rows with equal
 * keys only the newest (by event, then created time; the later of equal
 * ones) is stored, as if the others were never put. The last row put is
 * held back until a row with another key comes or lr__writer_flush. With
 * `in_order`, keys must not decrease (rows arrive in key order, so every
 * key's rows are consecutive): a smaller key fails the put with
 * LR__WRITER_UNORDERED. On-demand views stored on write follow. */
void lr__writer_latest_only(lr__writer *w, int in_order);

/* On a primary, logs the transaction's change as a SNAPSHOT entry
 * whatever its size (no pairs are kept for it): a full materialization,
 * which replicas then take from the snapshot the shipper publishes before
 * appending the entry (docs/internals/replication.md). */
void lr__writer_log_as_snapshot(lr__writer *w);

/* Reload mode, for a materialization that loads a view's rows with other
 * definitions than those it holds (a feature added, a column remapped): a
 * row put replaces a stored row with equal times, whatever their bytes, so
 * the new definition's row is the one kept; a newer stored row still
 * wins. On a primary, a tie replaced so turns the transaction's log entry
 * into a SNAPSHOT: replicas order equal-time rows by their bytes and would
 * keep theirs. On-demand views stored on write follow. */
void lr__writer_replace_ties(lr__writer *w);

/* The write path the freshness records name (freshness.h's
 * lr__fresh_source; LR__FRESH_WRITE unless set), for w and the on-demand
 * views stored on write that follow it. */
void lr__writer_source(lr__writer *w, int source);

/* Stores the row held back in latest-only mode (counted in `stats`). */
int lr__writer_flush(lr__writer *w, lr_write_stats *stats);

/* Records `key` -> `value` in the meta database, in the same transaction. */
int lr__writer_put_meta(lr__writer *w, const char *key, const void *value,
                        size_t len);

/* Commits (and frees) the writer; abort frees it and writes nothing. A
 * commit of a writer given rows notes, in the same transaction, the newest
 * event time put and the wall-clock time of the write by its path in the
 * view's freshness record (freshness.h). */
int lr__writer_commit(lr__writer *w);
void lr__writer_abort(lr__writer *w);

/* lr_write_rows, with the freshness records naming path `source` (push.c
 * writes with LR__FRESH_PUSH). */
int lr__write_rows_by(lr_store *store, const char *view, int source,
                      const lr_column *columns, int n_columns, size_t n_rows,
                      lr_write_stats *stats);

#endif
