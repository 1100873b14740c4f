/*
 * freshness.h - how fresh each online view is: the newest event time it
 * stores and, per write path, the wall-clock time of its last write. One
 * record per view database in the meta database,
 *
 *   fresh:VIEW@EPOCH   5 x int64 µs, little-endian: the newest event time
 *                      of every row put, then the last write's time by
 *                      materialize, write, push and a replica's apply
 *                      (LR__FRESH_NONE: never by that path),
 *
 * changed in the write transaction of the rows it describes (the writer's
 * commit, a replica's apply), so it never runs ahead of or behind them. It
 * takes no part in the digests, verify, compare or a replica's checks: two
 * stores holding the same rows were written at other wall-clock times
 * (docs/internals/online.md). Copies and compactions carry it, as they
 * carry the whole meta database; it is dropped with the view's database.
 */
#ifndef LR_ONLINE_FRESHNESS_H
#define LR_ONLINE_FRESHNESS_H

#include <lmdb.h>
#include <stdint.h>

#include "larder.h"

/* The paths that write a view, in the record's order. */
typedef enum {
  LR__FRESH_MATERIALIZE = 0,
  LR__FRESH_WRITE,     /* lr_write_rows, a file, the HTTP write */
  LR__FRESH_PUSH,      /* a push to the online store */
  LR__FRESH_REPLICATE, /* a replica's follower applying the log */
  LR__FRESH_SOURCES
} lr__fresh_source;

/* "never": no row put, or no write by that path. */
#define LR__FRESH_NONE INT64_MIN

typedef struct lr__freshness {
  int64_t max_event_us;
  int64_t last_write_us[LR__FRESH_SOURCES];
} lr__freshness;

/* The label of a source in /metrics and the docs: "materialize", ... */
const char *lr__fresh_source_name(int source);

/* The record's size in bytes. */
#define LR__FRESH_RECORD 40

/* The record's key of database `db_name` ("fresh:VIEW@EPOCH") into buf. */
void lr__fresh_key(const char *db_name, char *buf, size_t cap);

/* The record `old` (old_len bytes; NULL: none) becomes, in `out`, what
 * lr__fresh_note would store: the newest event time grown to
 * max_event_us, source's write time set to now_us. A Redis store changes
 * its records with it. */
void lr__fresh_update(const void *old, size_t old_len, int64_t max_event_us,
                      int source, int64_t now_us,
                      uint8_t out[LR__FRESH_RECORD]);

/* In write transaction `txn`: records that rows whose newest event time is
 * `max_event_us` were put into database `db_name` by `source` at wall-clock
 * time `now_us` (the newest event time only grows). Returns an LMDB code. */
int lr__fresh_note(MDB_txn *txn, MDB_dbi meta, const char *db_name,
                   int64_t max_event_us, int source, int64_t now_us);

/* Removes the record of `db_name` (its database was dropped). */
void lr__fresh_forget(MDB_txn *txn, MDB_dbi meta, const char *db_name);

/* The record of view `view` in the live generation of `store`, all
 * LR__FRESH_NONE when the view was never written. Returns 0, LR_ENOTFOUND
 * (no such stored view), LR_ECORRUPT (a record of another size) or another
 * status, with the message on the store. Any thread that may use `store`. */
int lr__store_freshness(lr_store *store, const char *view,
                        lr__freshness *out);

#endif
