/*
 * digest.c - view digests (see digest.h).
 */
#include "digest.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../util/siphash.h"

/* The hash's key: fixed, so every store computes the same digests. */
static const uint8_t digest_key[16] = "larder-digest-v1";

void lr__digest_pair(const void *key, size_t key_len, const void *row,
                     size_t row_len, uint64_t hash[2]) {
  lr__siphash s;
  lr__siphash_init(&s, digest_key);
  uint8_t len[8];
  for (int i = 0; i < 8; i++) /* the key's length keeps pairs apart */
    len[i] = (uint8_t)((uint64_t)key_len >> (8 * i));
  lr__siphash_update(&s, len, sizeof len);
  lr__siphash_update(&s, key, key_len);
  lr__siphash_update(&s, row, row_len);
  lr__siphash_final(&s, hash);
}

/* The bucket hash's key: another one than the digest's, so that a key's
 * bucket says nothing about the pair hashes summed into it. */
static const uint8_t bucket_key[16] = "larder-bucket-v1";

int lr__digest_bucket(const void *key, size_t key_len) {
  lr__siphash s;
  lr__siphash_init(&s, bucket_key);
  lr__siphash_update(&s, key, key_len);
  uint64_t hash[2];
  lr__siphash_final(&s, hash);
  return (int)(hash[0] & 0xff); /* the first byte of the output */
}

void lr__digest_add(lr__digest *d, const uint64_t hash[2]) {
  uint64_t lo = d->sum[0] + hash[0];
  d->sum[1] += hash[1] + (lo < hash[0]);
  d->sum[0] = lo;
  d->rows++;
}

void lr__digest_sub(lr__digest *d, const uint64_t hash[2]) {
  uint64_t lo = d->sum[0] - hash[0];
  d->sum[1] -= hash[1] + (d->sum[0] < hash[0]);
  d->sum[0] = lo;
  d->rows--;
}

/* The record's key: "digest:" and the database's name. */
static MDB_val record_key(const char *db_name, char *buf, size_t cap) {
  int n = snprintf(buf, cap, "digest:%s", db_name);
  return (MDB_val){(size_t)n < cap ? (size_t)n : cap - 1, buf};
}

/* The record: rows, low and high halves, little-endian, 24 bytes. */
static void encode(const lr__digest *d, uint8_t out[24]) {
  const uint64_t words[3] = {d->rows, d->sum[0], d->sum[1]};
  for (int w = 0; w < 3; w++)
    for (int i = 0; i < 8; i++)
      out[w * 8 + i] = (uint8_t)(words[w] >> (8 * i));
}

static void decode(const uint8_t in[24], lr__digest *d) {
  uint64_t words[3] = {0, 0, 0};
  for (int w = 0; w < 3; w++)
    for (int i = 7; i >= 0; i--)
      words[w] = (words[w] << 8) | in[w * 8 + i];
  *d = (lr__digest){words[0], {words[1], words[2]}};
}

int lr__digest_read(MDB_txn *txn, MDB_dbi meta, const char *db_name,
                    lr__digest *out) {
  char buf[600];
  MDB_val k = record_key(db_name, buf, sizeof buf), v;
  memset(out, 0, sizeof *out);
  int mrc = mdb_get(txn, meta, &k, &v);
  if (mrc == 0 && v.mv_size == 24)
    decode(v.mv_data, out);
  else if (mrc == 0)
    mrc = MDB_CORRUPTED;
  return mrc == MDB_NOTFOUND ? 0 : mrc;
}

int lr__digest_apply(MDB_txn *txn, MDB_dbi meta, const char *db_name,
                     const lr__digest *delta) {
  if (!delta->rows && !delta->sum[0] && !delta->sum[1])
    return 0; /* nothing changed (or only rows replaced by equal ones) */
  lr__digest d;
  int mrc = lr__digest_read(txn, meta, db_name, &d);
  if (mrc)
    return mrc;
  uint64_t lo = d.sum[0] + delta->sum[0];
  d.sum[1] += delta->sum[1] + (lo < delta->sum[0]);
  d.sum[0] = lo;
  d.rows += delta->rows;
  uint8_t rec[24];
  encode(&d, rec);
  char buf[600];
  MDB_val k = record_key(db_name, buf, sizeof buf), v = {sizeof rec, rec};
  return mdb_put(txn, meta, &k, &v, 0);
}

void lr__digest_forget(MDB_txn *txn, MDB_dbi meta, const char *db_name) {
  char buf[600];
  MDB_val k = record_key(db_name, buf, sizeof buf);
  mdb_del(txn, meta, &k, NULL);
}

int lr__digest_count(MDB_txn *txn, MDB_dbi dbi, lr__digest *d) {
  MDB_cursor *cur;
  int mrc = mdb_cursor_open(txn, dbi, &cur);
  if (mrc)
    return mrc;
  MDB_val k, v;
  for (int op = MDB_FIRST; (mrc = mdb_cursor_get(cur, &k, &v, op)) == 0;
       op = MDB_NEXT) {
    uint64_t hash[2];
    lr__digest_pair(k.mv_data, k.mv_size, v.mv_data, v.mv_size, hash);
    lr__digest_add(d, hash);
  }
  mdb_cursor_close(cur);
  return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/* d += e: rows and sums (modulo 2^128). */
static void digest_merge(lr__digest *d, const lr__digest *e) {
  uint64_t lo = d->sum[0] + e->sum[0];
  d->sum[1] += e->sum[1] + (lo < e->sum[0]);
  d->sum[0] = lo;
  d->rows += e->rows;
}

/* One half of a split count: the pairs from `from` (NULL: the first key)
 * up to, not including, `to` (NULL: through the last), each thread in a
 * read transaction of its own. */
typedef struct count_half {
  MDB_env *env;
  MDB_dbi dbi;
  const MDB_val *from, *to;
  lr__digest d;
  int mrc;
} count_half;

static void *count_range(void *arg) {
  count_half *h = arg;
  MDB_txn *txn;
  MDB_cursor *cur = NULL;
  h->mrc = mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn);
  if (h->mrc)
    return NULL;
  h->mrc = mdb_cursor_open(txn, h->dbi, &cur);
  MDB_val k = h->from ? *h->from : (MDB_val){0, NULL}, v;
  int op = h->from ? MDB_SET_RANGE : MDB_FIRST;
  while (h->mrc == 0 && (h->mrc = mdb_cursor_get(cur, &k, &v, op)) == 0 &&
         (!h->to || mdb_cmp(txn, h->dbi, &k, h->to) < 0)) {
    uint64_t hash[2];
    lr__digest_pair(k.mv_data, k.mv_size, v.mv_data, v.mv_size, hash);
    lr__digest_add(&h->d, hash);
    op = MDB_NEXT;
  }
  if (h->mrc == 0 || h->mrc == MDB_NOTFOUND)
    h->mrc = 0;
  if (cur)
    mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  return NULL;
}

/* The first 16 bytes of `k`, zero-padded, as a big-endian number. */
static unsigned __int128 key_prefix(const MDB_val *k) {
  unsigned __int128 x = 0;
  const unsigned char *p = k->mv_data;
  for (size_t i = 0; i < 16; i++)
    x = x << 8 | (i < k->mv_size ? p[i] : 0);
  return x;
}

/* Into mid[16]: the key halfway between the database's first and last.
 * Returns an LMDB code; MDB_NOTFOUND for an empty database. */
static int middle_key(MDB_env *env, MDB_dbi dbi, unsigned char mid[16]) {
  MDB_txn *txn;
  MDB_cursor *cur;
  int mrc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
  if (mrc)
    return mrc;
  MDB_val first, last, v;
  mrc = mdb_cursor_open(txn, dbi, &cur);
  if (mrc == 0) {
    mrc = mdb_cursor_get(cur, &first, &v, MDB_FIRST);
    unsigned __int128 a = mrc ? 0 : key_prefix(&first);
    if (mrc == 0)
      mrc = mdb_cursor_get(cur, &last, &v, MDB_LAST);
    unsigned __int128 b = mrc ? 0 : key_prefix(&last);
    unsigned __int128 m = a + (b - a) / 2;
    for (int i = 15; i >= 0; i--, m >>= 8)
      mid[i] = (unsigned char)m;
    mdb_cursor_close(cur);
  }
  mdb_txn_abort(txn);
  return mrc;
}

int lr__digest_count_split(MDB_env *env, MDB_dbi dbi, lr__digest *d) {
  unsigned char mid[16];
  int mrc = middle_key(env, dbi, mid);
  if (mrc)
    return mrc == MDB_NOTFOUND ? 0 : mrc;
  MDB_val split = {sizeof mid, mid};
  count_half low = {env, dbi, NULL, &split, {0, {0, 0}}, 0};
  count_half high = {env, dbi, &split, NULL, {0, {0, 0}}, 0};
  pthread_t other;
  int threaded = pthread_create(&other, NULL, count_range, &high) == 0;
  count_range(&low);
  if (threaded)
    pthread_join(other, NULL);
  else
    count_range(&high);
  digest_merge(d, &low.d);
  digest_merge(d, &high.d);
  return low.mrc ? low.mrc : high.mrc;
}

void lr__digest_hex(const lr__digest *d, char hex[33]) {
  snprintf(hex, 33, "%016llx%016llx", (unsigned long long)d->sum[1],
           (unsigned long long)d->sum[0]);
}

int lr__digest_equal(const lr__digest *a, const lr__digest *b) {
  return a->rows == b->rows && a->sum[0] == b->sum[0] &&
         a->sum[1] == b->sum[1];
}
