/*
 * entry.h - one entry of the write log (src/replication/log.h): what one
 * committed change on a primary did, in a form a replica applies exactly.
 *
 *   "LRE1" kind:u8 seq:u64 epoch:u64 generation:u64 prev:16  records...
 *   chain:16
 *
 * Integers big-endian. `prev` is the chain digest through entry seq-1 and
 * `chain` = SipHash-2-4-128 of every byte before it, so a replica that
 * holds chain(seq-1) knows the entry follows what it has, and that its
 * bytes are the ones written (a damaged entry does not match).
 * Kinds: ROWS (records of stored pairs) and SNAPSHOT (too much changed, or
 * a new generation: take a snapshot at seq or later; no records).
 * Records: 'G' len:u16 name   the pairs after it go to database `name`
 *          'P' klen:u32 key rlen:u32 row   one pair as stored
 */
#ifndef LR_CODEC_ENTRY_H
#define LR_CODEC_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buf.h"

enum { LR__ENTRY_ROWS = 1, LR__ENTRY_SNAPSHOT = 2 };

/* Bytes before the records, and the chain after them. */
#define LR__ENTRY_HEAD 45
#define LR__ENTRY_CHAIN 16

typedef struct lr__entry_head {
  int kind;
  unsigned long long seq, epoch, generation;
  uint8_t prev[16];
} lr__entry_head;

/* Appends a 'G' record when `name` is not the group the last pair went to
 * (*current: that name, updated; NULL at first), then a 'P' record. */
void lr__entry_put_pair(lr__buf *records, const char **current,
                        const char *name, const void *key, size_t key_len,
                        const void *row, size_t row_len);

/* Writes the whole entry (head, `records`, chain) into `out` (replaced);
 * `chain` receives its chain digest. */
void lr__entry_encode(lr__buf *out, const lr__entry_head *head,
                      const void *records, size_t len, uint8_t chain[16]);

/* Checks and splits an entry: 0 with the head, the records and the chain
 * digest, or -1 when it is malformed or its chain does not match its
 * bytes. */
int lr__entry_decode(const void *data, size_t len, lr__entry_head *head,
                     const uint8_t **records, size_t *records_len,
                     uint8_t chain[16]);

/* Walks records: each call gives the next pair and the database name it
 * goes to (not NUL-terminated). Returns 1 for a pair, 0 at the end, -1 on
 * a malformed record. */
typedef struct lr__entry_iter {
  const uint8_t *p, *end;
  const char *name;
  size_t name_len;
} lr__entry_iter;

int lr__entry_next(lr__entry_iter *it, const void **key, size_t *key_len,
                   const void **row, size_t *row_len);

#endif
