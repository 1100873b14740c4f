/*
 * scan.h - one read snapshot of a store's live generation for the calls
 * that read whole views (verify.c, compare.c): the read transaction, the
 * meta database, each view's database, and what they need to say about a
 * key they found (its entity key values, as the user wrote them).
 */
#ifndef LR_ONLINE_SCAN_H
#define LR_ONLINE_SCAN_H

#include <lmdb.h>

#include "../util/buf.h"
#include "digest.h"
#include "store.h"

/* A read transaction on the live generation, with its meta database and
 * the databases of the store's views (opened before the transaction
 * begins, so that it sees them). */
typedef struct lr__scan {
  lr__env *env;
  MDB_txn *txn;
  MDB_dbi meta;
  int has_meta;
  MDB_dbi *dbis;          /* per store view */
  unsigned char *has_dbi; /* ... when its database exists */
} lr__scan;

/* Moves the store to its live generation (another process may have
 * compacted it) and begins the snapshot there. A view whose database
 * appeared between opening the databases and beginning the transaction
 * (its first write) would read as empty beside a digest record that
 * counts its rows: then it begins again. Returns 0, or a status with the
 * message in `err` (the snapshot is then ended). */
int lr__scan_begin(lr_store *store, lr__scan *s, lr__buf *err);

/* Ends the snapshot; an ended or zeroed one is allowed. */
void lr__scan_end(lr__scan *s);

/* The digest recorded for store view `vi` in the snapshot (zeroes: none
 * yet). Returns 0 or a status with the message in `err`. */
int lr__scan_recorded(lr_store *store, lr__scan *s, int vi, lr__digest *d,
                      lr__buf *err);

/* The version (G, S) the snapshot reads. Returns 0 or a status with the
 * message in `err`. */
int lr__scan_version(lr__scan *s, lr_data_version *v, lr__buf *err);

/* Opens a cursor on the database of store view `vi`; *cur is NULL when
 * the view has no database (no row written yet). Returns 0 or a status
 * with the message in `err`. */
int lr__scan_cursor(lr__scan *s, int vi, MDB_cursor **cur, lr__buf *err);

/* Decodes stored key (key, len) into `parts` (16 of them; strings that
 * needed unescaping into `scratch`, LR__KEY_MAX bytes) under ov's key
 * types. Returns how many parts, or -1 when the bytes are no such key. */
int lr__scan_decode_key(const lr__online_view *ov, const void *key,
                        size_t len, lr__keypart *parts, uint8_t *scratch);

/* Appends the key as the user wrote it (`user_id=5, city="x"`), or its
 * bytes in hex (`0x8000...`) when they do not decode. */
void lr__scan_describe_key(lr__buf *out, const lr__online_view *ov,
                           const void *key, size_t len);

#endif
