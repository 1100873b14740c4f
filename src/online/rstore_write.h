/*
 * rstore_write.h - rows on their way into a Redis store (rstore.h): a
 * writer adds each packed row it would put into LMDB, and a flush sends
 * them all, grouped into calls of the write script by slot (a standalone
 * server takes any keys in one call), every node's calls pipelined (one
 * round trip per node), each row's verdict read back.
 */
#ifndef LR_ONLINE_RSTORE_WRITE_H
#define LR_ONLINE_RSTORE_WRITE_H

#include "rstore.h"

typedef struct lr__rwrite lr__rwrite;

/* What a flush did: rows stored, rows a newer stored row kept out (or the
 * very row stored already: counted as stored, as the LMDB store does). */
typedef struct lr__rwrite_counts {
  unsigned long long stored, skipped;
  unsigned long long changed; /* of stored: not the very row already */
} lr__rwrite_counts;

/* Rows for database `db_name` (copied) of a view with time to live
 * `ttl_ms` (0: none; buckets then never expire). `replace_ties`: a row
 * with the stored row's very times replaces it. NULL when out of memory. */
lr__rwrite *lr__rwrite_new(lr__rstore *rs, const char *db_name,
                           long long ttl_ms, int replace_ties);
void lr__rwrite_free(lr__rwrite *b);

/* Sets whether a tie replaces the stored row (for rows added from now). */
void lr__rwrite_replace_ties(lr__rwrite *b, int on);

/* Adds the row `row` (len bytes, event time event_us) of key `key`. */
void lr__rwrite_add(lr__rwrite *b, const uint8_t *key, size_t key_len,
                    const void *row, size_t len, int64_t event_us);

/* How many rows wait. */
size_t lr__rwrite_pending(const lr__rwrite *b);

/* Sends the rows added and empties the batch. Returns 0, or a status
 * with the message in `err`: which rows were stored all the same is in
 * *counts ("N of M rows were stored; ..."): rows whose call failed, or
 * whose reply was lost, are not counted (they may or may not be stored:
 * newer wins, so writing them again is safe). */
int lr__rwrite_flush(lr__rwrite *b, lr__redis_cluster *c,
                     lr__rwrite_counts *counts, lr__buf *err);

#endif
