/*
 * digest.h - each online view's content digest: the number of rows and
 * the sum, modulo 2^128, of a strong hash (SipHash-2-4-128) of every
 * (key, row) pair. A sum does not depend on the order rows were written
 * in, so two stores holding the same rows have the same digest whatever
 * their history, compactions or generation. It is kept in the meta
 * database under "digest:VIEW@EPOCH" and changed in the same transaction
 * as every write (writer: add the new pair, subtract the one replaced).
 */
#ifndef LR_ONLINE_DIGEST_H
#define LR_ONLINE_DIGEST_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lr__digest {
  uint64_t rows;
  uint64_t sum[2]; /* low half, high half */
} lr__digest;

/* The hash of one stored pair. */
void lr__digest_pair(const void *key, size_t key_len, const void *row,
                     size_t row_len, uint64_t hash[2]);

/* d += pair (rows + 1), d -= pair (rows - 1). */
void lr__digest_add(lr__digest *d, const uint64_t hash[2]);
void lr__digest_sub(lr__digest *d, const uint64_t hash[2]);

/* Adds `delta` to the digest recorded for database `db_name` in meta
 * database `meta`, inside write transaction `txn`. Returns an LMDB code. */
int lr__digest_apply(MDB_txn *txn, MDB_dbi meta, const char *db_name,
                     const lr__digest *delta);

/* The digest recorded for `db_name` (zeroes when none: an empty view).
 * Returns 0 or an LMDB code other than MDB_NOTFOUND. */
int lr__digest_read(MDB_txn *txn, MDB_dbi meta, const char *db_name,
                    lr__digest *out);

/* Removes the record of `db_name` (its database was dropped). */
void lr__digest_forget(MDB_txn *txn, MDB_dbi meta, const char *db_name);

/* Adds every pair of database `dbi` to *d, in any transaction: what the
 * view's digest is by its rows (verify, the digests of a store of the old
 * layout, a snapshot's data file). Returns an LMDB code. */
int lr__digest_count(MDB_txn *txn, MDB_dbi dbi, lr__digest *d);

/* lr__digest_count over database `dbi` of `env` on two threads, each
 * over about half of the key space (split at the midpoint of the first
 * and last keys' leading 16 bytes) in a read transaction of its own; the
 * sum does not depend on the order. `dbi` must stay open for `env` (opened
 * in a transaction that committed), and no write transaction may run
 * meanwhile in this process. Counts on one thread when a second cannot
 * start. Returns an LMDB code (ENOMEM). */
int lr__digest_count_split(MDB_env *env, MDB_dbi dbi, lr__digest *d);

/* A view's digest split over the key space: the bucket of a key is the
 * first byte of its SipHash-2-4-128 under a fixed key of its own, so it
 * depends on the encoded key alone (never on the row) and is the same in
 * every store; keys spread evenly whatever their values. A view's digest
 * is the sum of its buckets' (compare.c). */
#define LR__DIGEST_BUCKETS 256
int lr__digest_bucket(const void *key, size_t key_len);

/* The digest as 32 hex digits (high half first) and a NUL. */
void lr__digest_hex(const lr__digest *d, char hex[33]);

/* 1 when a and b are equal. */
int lr__digest_equal(const lr__digest *a, const lr__digest *b);

#endif
