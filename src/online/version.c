/*
 * version.c - reading and writing the version records of the meta
 * database (version.h).
 */
#include <string.h>

#include "../util/be64.h"
#include "version.h"

/* Reads record `name` of exactly `len` bytes into `out`; 0 when it is
 * missing (out untouched) or read, else an LMDB code. */
static int read_record(MDB_txn *txn, MDB_dbi meta, const char *name,
                       void *out, size_t len) {
  MDB_val k = {strlen(name), (void *)name}, v;
  int rc = mdb_get(txn, meta, &k, &v);
  if (rc == MDB_NOTFOUND)
    return 0;
  if (rc)
    return rc;
  if (v.mv_size != len)
    return MDB_CORRUPTED;
  memcpy(out, v.mv_data, len);
  return 0;
}

int lr__logpos_read(MDB_txn *txn, MDB_dbi meta, unsigned long long folder_gen,
                    lr__logpos *out) {
  uint8_t gen[8], seq[8], epoch[8];
  lr__be64_put(gen, folder_gen);
  memset(seq, 0, sizeof seq);
  memset(epoch, 0, sizeof epoch);
  memset(out->chain, 0, sizeof out->chain);
  int rc = read_record(txn, meta, LR__META_GENERATION, gen, sizeof gen);
  if (!rc)
    rc = read_record(txn, meta, LR__META_SEQ, seq, sizeof seq);
  if (!rc)
    rc = read_record(txn, meta, LR__META_EPOCH, epoch, sizeof epoch);
  if (!rc)
    rc = read_record(txn, meta, LR__META_CHAIN, out->chain,
                     sizeof out->chain);
  out->generation = lr__be_get(gen, 8);
  out->seq = lr__be_get(seq, 8);
  out->epoch = lr__be_get(epoch, 8);
  return rc;
}

static int write_record(MDB_txn *txn, MDB_dbi meta, const char *name,
                        const void *value, size_t len) {
  MDB_val k = {strlen(name), (void *)name}, v = {len, (void *)value};
  return mdb_put(txn, meta, &k, &v, 0);
}

int lr__logpos_write(MDB_txn *txn, MDB_dbi meta, const lr__logpos *pos) {
  uint8_t gen[8], seq[8], epoch[8];
  lr__be64_put(gen, pos->generation);
  lr__be64_put(seq, pos->seq);
  lr__be64_put(epoch, pos->epoch);
  int rc = write_record(txn, meta, LR__META_GENERATION, gen, sizeof gen);
  if (!rc)
    rc = write_record(txn, meta, LR__META_SEQ, seq, sizeof seq);
  if (!rc)
    rc = write_record(txn, meta, LR__META_EPOCH, epoch, sizeof epoch);
  if (!rc)
    rc = write_record(txn, meta, LR__META_CHAIN, pos->chain,
                      sizeof pos->chain);
  return rc;
}

int lr__env_version(const lr__env *env, MDB_txn *txn, int has_meta,
                    MDB_dbi meta, lr_data_version *out) {
  lr__logpos pos = {lr__env_gen(env), 0, 0, {0}};
  int rc = 0;
  if (has_meta)
    rc = lr__logpos_read(txn, meta, lr__env_gen(env), &pos);
  *out = (lr_data_version){pos.generation, pos.seq};
  return rc;
}
