/*
 * scan.c - a read snapshot of a store's views and what the calls that walk
 * them share (scan.h).
 */
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "version.h"

void lr__scan_end(lr__scan *s) {
  if (s->txn)
    mdb_txn_abort(s->txn);
  lr__env_release(s->env);
  free(s->dbis);
  free(s->has_dbi);
  *s = (lr__scan){0};
}

/* 1 when a view the snapshot has no database for has rows recorded: its
 * database was created after the handles were looked up. */
static int missed_a_database(lr_store *store, lr__scan *s) {
  for (int i = 0; s->has_meta && i < store->n_views; i++) {
    lr__digest d;
    if (lr__view_is_stored(store->views[i].view) && !s->has_dbi[i] &&
        lr__digest_read(s->txn, s->meta, store->views[i].db_name, &d) == 0 &&
        d.rows)
      return 1;
  }
  return 0;
}

/* One attempt: the handles, then the transaction. */
static int begin_once(lr_store *store, lr__scan *s, lr__buf *err) {
  *s = (lr__scan){.env = lr__store_env(store)};
  s->dbis = calloc((size_t)store->n_views + 1, sizeof *s->dbis);
  s->has_dbi = calloc((size_t)store->n_views + 1, 1);
  if (!s->dbis || !s->has_dbi)
    return LR_ENOMEM;
  s->has_meta = lr__env_dbi(s->env, LR__META_DB, 0, &s->meta);
  for (int i = 0; i < store->n_views; i++)
    s->has_dbi[i] = (unsigned char)(lr__view_is_stored(store->views[i].view) &&
        lr__env_dbi(s->env, store->views[i].db_name, 0, &s->dbis[i]));
  int mrc = mdb_txn_begin(lr__env_mdb(s->env), NULL, MDB_RDONLY, &s->txn);
  if (mrc) {
    s->txn = NULL;
    return lr__store_mdb_error(err, mrc, "cannot start a read");
  }
  return 0;
}

int lr__scan_begin(lr_store *store, lr__scan *s, lr__buf *err) {
  *s = (lr__scan){0};
  int rc = lr__store_need_lmdb(store, "reading every stored row (digests, "
                               "compare, samples, skew)", err);
  if (rc)
    return rc;
  rc = lr__store_refresh(store, err);
  if (rc < 0)
    return rc;
  for (int attempt = 0; attempt < 3; attempt++) {
    rc = begin_once(store, s, err);
    if (rc == 0 && !missed_a_database(store, s))
      return 0;
    lr__scan_end(s);
    if (rc)
      return rc;
  }
  lr__buf_printf(err, "the online store at %s keeps creating databases "
                 "while it is read; try again", store->root);
  return LR_EIO;
}

int lr__scan_recorded(lr_store *store, lr__scan *s, int vi, lr__digest *d,
                      lr__buf *err) {
  memset(d, 0, sizeof *d);
  int mrc = s->has_meta ? lr__digest_read(s->txn, s->meta,
                                          store->views[vi].db_name, d)
                        : 0;
  return mrc ? lr__store_mdb_error(err, mrc, "cannot read a digest") : 0;
}

int lr__scan_version(lr__scan *s, lr_data_version *v, lr__buf *err) {
  int mrc = lr__env_version(s->env, s->txn, s->has_meta, s->meta, v);
  return mrc ? lr__store_mdb_error(err, mrc, "cannot read the version") : 0;
}

int lr__scan_cursor(lr__scan *s, int vi, MDB_cursor **cur, lr__buf *err) {
  *cur = NULL;
  int mrc = s->has_dbi[vi] ? mdb_cursor_open(s->txn, s->dbis[vi], cur) : 0;
  if (mrc)
    *cur = NULL;
  return mrc ? lr__store_mdb_error(err, mrc, "cannot read a view") : 0;
}

int lr__scan_decode_key(const lr__online_view *ov, const void *key,
                        size_t len, lr__keypart *parts, uint8_t *scratch) {
  int n = ov->n_keys < 16 ? ov->n_keys : 16;
  for (int i = 0; i < n; i++)
    parts[i].dtype = ov->key_types[i];
  return lr__key_decode(key, len, parts, n, scratch) == 0 ? n : -1;
}

void lr__scan_describe_key(lr__buf *out, const lr__online_view *ov,
                           const void *key, size_t len) {
  lr__keypart parts[16];
  uint8_t scratch[LR__KEY_MAX];
  int n = lr__scan_decode_key(ov, key, len, parts, scratch);
  if (n < 0) {
    lr__buf_puts(out, "0x");
    for (size_t i = 0; i < len; i++)
      lr__buf_printf(out, "%02x", ((const uint8_t *)key)[i]);
    return;
  }
  for (int i = 0; i < n; i++) {
    lr__buf_printf(out, "%s%s=", i ? ", " : "", ov->key_names[i]);
    if (parts[i].dtype == LR__DT_INT32 || parts[i].dtype == LR__DT_INT64)
      lr__buf_put_int(out, parts[i].i);
    else
      lr__buf_json_strn(out, parts[i].ptr, parts[i].len);
  }
}
