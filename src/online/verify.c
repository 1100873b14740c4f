/*
 * verify.c - what a store can prove about itself: lr_store_digests (each
 * view's recorded digest, digest.h) and lr_store_verify, which walks the
 * live generation, decodes every key and row under its view's layout, and
 * recomputes each digest to compare with the record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codec/row.h"
#include "digest.h"
#include "scan.h"
#include "store.h"

/* The start of a public call that hands back text: checks the arguments,
 * resets the thread's message and takes the snapshot. */
static int call_begin(lr_store *store, char **text, lr__scan *s) {
  if (!store || !text)
    return LR_EINVAL;
  *text = NULL;
  lr__buf_reset(lr__store_err(store));
  return lr__scan_begin(store, s, lr__store_err(store));
}

/* Its end: drops the snapshot and hands `out` over when all went well. */
static int call_end(lr__scan *s, lr__buf *out, int rc, char **text) {
  lr__scan_end(s);
  if (rc == 0 && lr__buf_failed(out))
    rc = LR_ENOMEM;
  if (rc == 0)
    *text = lr__buf_steal(out);
  lr__buf_free(out);
  return rc;
}

/* Appends `"VIEW": {"rows": N, "digest": "HEX"}`. */
static void put_digest(lr__buf *out, const char *view, const lr__digest *d) {
  char hex[33];
  lr__digest_hex(d, hex);
  lr__buf_json_str(out, view);
  lr__buf_printf(out, ": {\"rows\": %llu, \"digest\": \"%s\"}",
                 (unsigned long long)d->rows, hex);
}

int lr_store_digests(lr_store *store, char **json) {
  lr__scan s;
  int rc = call_begin(store, json, &s);
  if (rc)
    return rc;
  lr__buf out;
  lr__buf_init(&out);
  lr__buf_putc(&out, '{');
  for (int i = 0, first = 1; rc == 0 && i < store->n_views; i++) {
    const lr__online_view *ov = &store->views[i];
    lr__digest d;
    if (!lr__view_is_stored(ov->view) ||
        (rc = lr__scan_recorded(store, &s, i, &d, lr__store_err(store))))
      continue;
    lr__buf_puts(&out, first ? "" : ", ");
    put_digest(&out, ov->view->name, &d);
    first = 0;
  }
  lr__buf_putc(&out, '}');
  return call_end(&s, &out, rc, json);
}

/* Checks one pair: its key decodes under the view's key types and its row
 * under the view's layout. */
static int pair_ok(const lr__online_view *ov, const MDB_val *k,
                   const MDB_val *v, lr__cell *cells, const char **why) {
  lr__keypart parts[16];
  uint8_t scratch[LR__KEY_MAX];
  lr__row_header h;
  if (lr__scan_decode_key(ov, k->mv_data, k->mv_size, parts, scratch) < 0)
    *why = "the key does not decode";
  else if (lr__row_decode(v->mv_data, v->mv_size, ov->view->slot_types,
                          ov->view->next_slot, &h, cells) != 0)
    *why = "the row does not decode";
  else if (!lr__time_in_range(h.event_us))
    *why = "the row's event time is out of range";
  else
    return 1;
  return 0;
}

/* Walks the database of `ov`: every pair must decode, and their digest
 * must be the one recorded. */
static int verify_view(lr_store *store, lr__scan *s, int vi,
                       lr__buf *report) {
  const lr__online_view *ov = &store->views[vi];
  lr__digest want, got = {0, {0, 0}};
  int rc = lr__scan_recorded(store, s, vi, &want, lr__store_err(store));
  MDB_cursor *cur = NULL;
  lr__cell *cells = calloc((size_t)ov->view->next_slot + 1, sizeof *cells);
  if (rc == 0 && !cells)
    rc = LR_ENOMEM;
  if (rc == 0)
    rc = lr__scan_cursor(s, vi, &cur, lr__store_err(store));
  if (rc == 0 && cur) {
    MDB_val k, v;
    for (int op = MDB_FIRST; rc == 0 && mdb_cursor_get(cur, &k, &v, op) == 0;
         op = MDB_NEXT) {
      const char *why;
      if (!pair_ok(ov, &k, &v, cells, &why)) {
        lr__buf_printf(lr__store_err(store), "view '%s', key ", ov->view->name);
        lr__scan_describe_key(lr__store_err(store), ov, k.mv_data, k.mv_size);
        lr__buf_printf(lr__store_err(store), ": %s; restore the store from a copy "
                       "or load the view again with materialize", why);
        rc = LR_ECORRUPT;
      }
      uint64_t hash[2];
      lr__digest_pair(k.mv_data, k.mv_size, v.mv_data, v.mv_size, hash);
      lr__digest_add(&got, hash);
    }
    mdb_cursor_close(cur);
  }
  free(cells);
  if (rc == 0 && !lr__digest_equal(&want, &got)) {
    char w[33], g[33];
    lr__digest_hex(&want, w);
    lr__digest_hex(&got, g);
    lr__buf_printf(lr__store_err(store), "view '%s': the recorded digest is %s "
                   "over %llu rows, but the rows stored give %s over %llu; "
                   "restore the store from a copy or load the view again "
                   "with materialize", ov->view->name, w,
                   (unsigned long long)want.rows, g,
                   (unsigned long long)got.rows);
    rc = LR_ECORRUPT;
  }
  if (rc == 0) {
    char g[33];
    lr__digest_hex(&got, g);
    lr__buf_printf(report, "%s: %llu rows, digest %s: ok\n", ov->view->name,
                   (unsigned long long)got.rows, g);
  }
  return rc;
}

int lr_store_verify(lr_store *store, char **report) {
  lr__scan s;
  int rc = call_begin(store, report, &s);
  if (rc)
    return rc;
  lr__buf out;
  lr__buf_init(&out);
  for (int i = 0; rc == 0 && i < store->n_views; i++)
    if (lr__view_is_stored(store->views[i].view))
      rc = verify_view(store, &s, i, &out);
  return call_end(&s, &out, rc, report);
}

int lr__store_count_digests(lr_store *store, lr__env *env) {
  int n = 0;
  const char **names = calloc((size_t)store->n_views + 1, sizeof *names);
  MDB_dbi *dbis = calloc((size_t)store->n_views + 1, sizeof *dbis);
  for (int i = 0; names && dbis && i < store->n_views; i++)
    if (lr__view_is_stored(store->views[i].view))
      names[n++] = store->views[i].db_name;
  MDB_dbi meta;
  int mrc = names && dbis ? 0 : ENOMEM;
  for (int i = 0; mrc == 0 && i < n; i++) /* before the transaction */
    mrc = lr__env_dbi(env, names[i], 1, &dbis[i]) ? 0 : MDB_NOTFOUND;
  if (mrc == 0 && !lr__env_dbi(env, LR__META_DB, 1, &meta))
    mrc = MDB_NOTFOUND;
  MDB_txn *txn = NULL;
  if (mrc == 0)
    mrc = lr__env_write_begin(env, &txn);
  for (int i = 0; mrc == 0 && i < n; i++) {
    lr__digest d = {0, {0, 0}}, old;
    mrc = lr__digest_count(txn, dbis[i], &d);
    if (mrc == 0)
      mrc = lr__digest_read(txn, meta, names[i], &old);
    if (mrc == 0) { /* record = counted: add the difference */
      lr__digest delta = d;
      uint64_t lo = delta.sum[0] - old.sum[0];
      delta.sum[1] -= old.sum[1] + (delta.sum[0] < old.sum[0]);
      delta.sum[0] = lo;
      delta.rows -= old.rows;
      mrc = lr__digest_apply(txn, meta, names[i], &delta);
    }
  }
  if (txn)
    mrc = mrc ? (mdb_txn_abort(txn), mrc) : mdb_txn_commit(txn);
  free(names);
  free(dbis);
  return mrc ? lr__store_mdb_error(lr__store_err(store), mrc,
                                   "cannot count the views' digests")
             : 0;
}
