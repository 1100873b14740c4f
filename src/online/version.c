/*
 * version.c - reading and writing the version records of the meta
 * database (version.h).
 */
#include <string.h>

#include "version.h"

static void put_u64(uint8_t out[8], unsigned long long v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    out[i] = (uint8_t)v;
}

static unsigned long long get_u64(const uint8_t in[8]) {
  unsigned long long v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | in[i];
  return v;
}

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
  put_u64(gen, folder_gen);
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
  out->generation = get_u64(gen);
  out->seq = get_u64(seq);
  out->epoch = get_u64(epoch);
  return rc;
}

static int write_record(MDB_txn *txn, MDB_dbi meta, const char *name,
                        const void *value, size_t len) {
  MDB_val k = {strlen(name), (void *)name}, v = {len, (void *)value};
  return mdb_put(txn, meta, &k, &v, 0);
}

int lr__logpos_write(MDB_txn *txn, MDB_dbi meta, const lr__logpos *pos) {
  uint8_t gen[8], seq[8], epoch[8];
  put_u64(gen, pos->generation);
  put_u64(seq, pos->seq);
  put_u64(epoch, pos->epoch);
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
