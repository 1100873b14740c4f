/*
 * freshness.c - the per-view freshness records (see freshness.h).
 */
#include "freshness.h"

#include <stdio.h>
#include <string.h>

#include "store.h"

static const char *source_names[LR__FRESH_SOURCES] = {
    "materialize", "write", "push", "replicate"};

const char *lr__fresh_source_name(int source) {
  return source >= 0 && source < LR__FRESH_SOURCES ? source_names[source]
                                                   : "other";
}

/* The record's size: the newest event time and one time per source. */
#define RECORD_WORDS (1 + LR__FRESH_SOURCES)
_Static_assert(RECORD_WORDS * 8 == LR__FRESH_RECORD, "the record's size");

/* The record's key: "fresh:" and the database's name. */
static MDB_val record_key(const char *db_name, char *buf, size_t cap) {
  int n = snprintf(buf, cap, "fresh:%s", db_name);
  return (MDB_val){(size_t)n < cap ? (size_t)n : cap - 1, buf};
}

static void encode(const lr__freshness *f, uint8_t out[RECORD_WORDS * 8]) {
  int64_t words[RECORD_WORDS] = {f->max_event_us};
  memcpy(words + 1, f->last_write_us, sizeof f->last_write_us);
  for (int w = 0; w < RECORD_WORDS; w++)
    for (int i = 0; i < 8; i++)
      out[w * 8 + i] = (uint8_t)((uint64_t)words[w] >> (8 * i));
}

/* Decodes a record; 0, or -1 when it has another size. */
static int decode(const MDB_val *v, lr__freshness *f) {
  if (v->mv_size != RECORD_WORDS * 8)
    return -1;
  const uint8_t *in = v->mv_data;
  int64_t words[RECORD_WORDS];
  for (int w = 0; w < RECORD_WORDS; w++) {
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
      x = (x << 8) | in[w * 8 + i];
    words[w] = (int64_t)x;
  }
  f->max_event_us = words[0];
  memcpy(f->last_write_us, words + 1, sizeof f->last_write_us);
  return 0;
}

static void set_none(lr__freshness *f) {
  f->max_event_us = LR__FRESH_NONE;
  for (int s = 0; s < LR__FRESH_SOURCES; s++)
    f->last_write_us[s] = LR__FRESH_NONE;
}

void lr__fresh_key(const char *db_name, char *buf, size_t cap) {
  record_key(db_name, buf, cap);
}

void lr__fresh_update(const void *old, size_t old_len, int64_t max_event_us,
                      int source, int64_t now_us,
                      uint8_t out[LR__FRESH_RECORD]) {
  lr__freshness f;
  MDB_val v = {old_len, (void *)old};
  if (!old || decode(&v, &f) != 0)
    set_none(&f); /* none yet, or of an unknown size: started again */
  if (max_event_us > f.max_event_us)
    f.max_event_us = max_event_us;
  f.last_write_us[source] = now_us;
  encode(&f, out);
}

int lr__fresh_note(MDB_txn *txn, MDB_dbi meta, const char *db_name,
                   int64_t max_event_us, int source, int64_t now_us) {
  char buf[600];
  MDB_val k = record_key(db_name, buf, sizeof buf), v;
  int mrc = mdb_get(txn, meta, &k, &v);
  if (mrc && mrc != MDB_NOTFOUND)
    return mrc;
  uint8_t rec[LR__FRESH_RECORD];
  lr__fresh_update(mrc ? NULL : v.mv_data, mrc ? 0 : v.mv_size, max_event_us,
                   source, now_us, rec);
  v = (MDB_val){sizeof rec, rec};
  return mdb_put(txn, meta, &k, &v, 0);
}

void lr__fresh_forget(MDB_txn *txn, MDB_dbi meta, const char *db_name) {
  char buf[600];
  MDB_val k = record_key(db_name, buf, sizeof buf);
  mdb_del(txn, meta, &k, NULL);
}

int lr__store_freshness(lr_store *store, const char *view,
                        lr__freshness *out) {
  set_none(out);
  const lr__online_view *ov = view ? lr__store_view(store, view) : NULL;
  if (!ov)
    return lr__errmsg_set(lr__store_err(store), LR_ENOTFOUND,
                          "unknown feature view '%s'", view ? view : "(null)");
  char buf[600];
  MDB_val k = record_key(ov->db_name, buf, sizeof buf);
  lr__buf value;
  lr__buf_init(&value);
  int rc = lr__store_meta_read(store, k.mv_data, &value);
  MDB_val v = {value.len, value.data};
  if (rc == 0 && decode(&v, out) != 0)
    rc = lr__errmsg_set(lr__store_err(store), LR_ECORRUPT, "the freshness "
                        "record of view '%s' has %zu bytes, not %d: write "
                        "the view again to renew it", view, value.len, RECORD_WORDS * 8);
  lr__buf_free(&value);
  return rc == LR_ENOTFOUND ? 0 : rc;
}
