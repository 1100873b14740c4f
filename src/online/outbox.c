/*
 * outbox.c - counting and logging one committed change (outbox.h).
 */
#include <sys/random.h>
#include <string.h>

#include "../codec/entry.h"
#include "../util/be64.h"
#include "outbox.h"

/* A new epoch: random, so that a primary restored from a copy, or a log
 * started again, never repeats an epoch its replicas knew. Never 0. */
static unsigned long long new_epoch(void) {
  unsigned long long e = 0;
  while (e == 0)
    if (getrandom(&e, sizeof e, 0) != (ssize_t)sizeof e)
      e = 0x9e3779b97f4a7c15ull ^ (unsigned long long)(uintptr_t)&e;
  return e;
}

int lr__outbox_count(MDB_txn *txn, MDB_dbi meta, const MDB_dbi *outbox,
                     unsigned long long folder_gen,
                     unsigned long long new_gen, int kind,
                     const lr__buf *records, lr__logpos *pos) {
  lr__logpos now;
  int rc = lr__logpos_read(txn, meta, folder_gen, &now);
  if (rc)
    return rc;
  now.seq++;
  if (new_gen)
    now.generation = new_gen;
  if (outbox) {
    if (!now.epoch)
      now.epoch = new_epoch();
    lr__entry_head head = {kind, now.seq, now.epoch, now.generation, {0}};
    memcpy(head.prev, now.chain, sizeof head.prev);
    lr__buf entry;
    lr__buf_init(&entry);
    lr__entry_encode(&entry, &head, records ? records->data : NULL,
                     records ? records->len : 0, now.chain);
    uint8_t key[8];
    lr__be64_put(key, now.seq);
    MDB_val k = {sizeof key, key}, v = {entry.len, entry.data};
    rc = mdb_put(txn, *outbox, &k, &v, 0);
    lr__buf_free(&entry);
    if (rc)
      return rc;
  }
  if (pos)
    *pos = now;
  return lr__logpos_write(txn, meta, &now);
}
