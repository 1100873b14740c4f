/*
 * outbox.h - how a committed change is counted and, on a primary, logged:
 * in the same write transaction as the change, the version records move
 * on (version.h) and the change's log entry (codec/entry.h) is put into
 * the outbox database under its sequence number. A shipper (replication
 * layer) later appends outbox entries to the write log in order, so a
 * change is committed and logged, or neither, whatever crashes: nothing
 * reaches the log that the store does not hold, and nothing the store
 * holds is missing from the outbox until it was shipped.
 */
#ifndef LR_ONLINE_OUTBOX_H
#define LR_ONLINE_OUTBOX_H

#include <lmdb.h>

#include "../util/buf.h"
#include "version.h"

/* The outbox: 8-byte big-endian sequence number -> entry. */
#define LR__OUTBOX_DB "larder:outbox"

/* Records kept in a primary's writer before it turns the change into a
 * SNAPSHOT entry instead (a load too large to ship row by row). */
#define LR__OUTBOX_MAX_RECORDS (8u << 20)

/* Counts one committed change in `txn` (S + 1; G becomes `new_gen` unless
 * it is 0). With `outbox` (a primary), also puts the change's entry there:
 * kind ROWS with `records` (codec/entry.h), or SNAPSHOT. A primary's first
 * logged change picks its epoch. *pos (may be NULL) gets the new
 * position. Returns an LMDB code. */
int lr__outbox_count(MDB_txn *txn, MDB_dbi meta, const MDB_dbi *outbox,
                     unsigned long long folder_gen,
                     unsigned long long new_gen, int kind,
                     const lr__buf *records, lr__logpos *pos);

#endif
