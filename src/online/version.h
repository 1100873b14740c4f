/*
 * version.h - a store's version and log position, kept in its meta
 * database (LR__META_DB) and changed in the same transaction as every
 * write, so a snapshot of the data file carries the position it is at:
 *
 *   "larder:generation"  u64  the logical generation G: the primary's
 *                             generation folder number, carried into
 *                             every copy of it (snapshots, replicas)
 *   "log:seq"            u64  S: how many changes were committed (on a
 *                             primary: the last log entry written; on a
 *                             replica: the last one applied)
 *   "log:epoch"          u64  the primary's log epoch (0: never logged)
 *   "log:chain"          16 bytes: the chain digest through entry S
 *
 * Integers are stored big-endian. A store written before these records
 * existed reads as (its folder number, 0, 0, zeroes).
 */
#ifndef LR_ONLINE_VERSION_H
#define LR_ONLINE_VERSION_H

#include <lmdb.h>
#include <stdint.h>

#include "env.h"
#include "larder.h"

#define LR__META_GENERATION "larder:generation"
#define LR__META_SEQ "log:seq"
#define LR__META_EPOCH "log:epoch"
#define LR__META_CHAIN "log:chain"

typedef struct lr__logpos {
  unsigned long long generation; /* logical: see above */
  unsigned long long seq;
  unsigned long long epoch;
  uint8_t chain[16];
} lr__logpos;

/* Reads the position recorded in meta database `meta` (any transaction);
 * a record that is missing reads as above, with `folder_gen` as G.
 * Returns 0 or an LMDB code (MDB_CORRUPTED for a record of a wrong size). */
int lr__logpos_read(MDB_txn *txn, MDB_dbi meta, unsigned long long folder_gen,
                    lr__logpos *out);

/* Writes every record of `pos` in write transaction `txn`. Returns an
 * LMDB code. */
int lr__logpos_write(MDB_txn *txn, MDB_dbi meta, const lr__logpos *pos);

/* The version (G, S) that transaction `txn` of `env` sees; `meta` is its
 * meta database, or `has_meta` 0 when env has none (lr__env_dbi: open it
 * before the transaction begins, a thread holds one read transaction at a
 * time). Returns 0 or an LMDB code. */
int lr__env_version(const lr__env *env, MDB_txn *txn, int has_meta,
                    MDB_dbi meta, lr_data_version *out);

#endif
