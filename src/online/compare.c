/*
 * compare.c - lr_store_compare: two stores' versions and online views,
 * each store read in one snapshot (scan.h). Views are matched by name.
 * Where the digests both meta databases record agree, the view holds the
 * same rows (the record changes in the transaction of every write), and
 * nothing is read; elsewhere, or on request, both databases are walked at
 * once in key order (LMDB's), which finds every key that is on one side
 * only or holds other bytes, and counts each side's digest again, split
 * into the key space's buckets (digest.h) so that the report says where
 * the two differ. compare_report.c writes what was found.
 */
#include <stdlib.h>
#include <string.h>

#include "../codec/row.h"
#include "compare.h"
#include "scan.h"

/* One call: both sides, their snapshots and their messages. */
typedef struct cmp {
  lr_store *stores[2];
  lr__scan scans[2];
  lr__buf err[2];
  lr__cmp_side sides[2];
  unsigned flags;
} cmp;

/* LMDB's default order of keys: their bytes, then the shorter first. */
static int key_order(const MDB_val *a, const MDB_val *b) {
  size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
  int c = memcmp(a->mv_data, b->mv_data, n);
  return c ? c : (a->mv_size > b->mv_size) - (a->mv_size < b->mv_size);
}

/* A cursor of the walk: where it is, and whether it is past the end. */
typedef struct walker {
  MDB_cursor *cur; /* NULL: the view has no database on that side */
  MDB_val k, v;
  int more;
} walker;

static int step(walker *w, MDB_cursor_op op) {
  int mrc = w->cur ? mdb_cursor_get(w->cur, &w->k, &w->v, op) : MDB_NOTFOUND;
  w->more = mrc == 0;
  return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/* The event time of a stored row, or LR__NO_EVENT. */
static int64_t event_of(const MDB_val *row) {
  lr__row_header h;
  return row && lr__row_header_read(row->mv_data, row->mv_size, &h) == 0
             ? h.event_us
             : LR__NO_EVENT;
}

/* Counts a differing key, and keeps the first LR__COMPARE_MAX_KEYS. */
static void note_key(lr__view_cmp *v, int kind, int bucket, const MDB_val *k,
                     const MDB_val *const rows[2]) {
  if (v->keys_differing++ >= LR__COMPARE_MAX_KEYS)
    return;
  lr__key_diff *d = &v->keys[v->n_keys++];
  d->len = k->mv_size < LR__KEY_MAX ? k->mv_size : LR__KEY_MAX;
  memcpy(d->key, k->mv_data, d->len);
  d->bucket = bucket;
  d->kind = kind;
  for (int s = 0; s < 2; s++)
    d->event_us[s] = event_of(rows[s]);
}

/* One key of the walk, with its row on each side (NULL: none there). */
static void visit(lr__view_cmp *v, const MDB_val *k,
                  const MDB_val *const rows[2]) {
  int bucket = lr__digest_bucket(k->mv_data, k->mv_size);
  for (int s = 0; s < 2; s++) {
    if (!rows[s])
      continue;
    uint64_t hash[2];
    lr__digest_pair(k->mv_data, k->mv_size, rows[s]->mv_data,
                    rows[s]->mv_size, hash);
    lr__digest_add(&v->rows[s], hash);
    lr__digest_add(&v->buckets[bucket][s], hash);
  }
  if (!rows[1])
    note_key(v, LR__ONLY_IN_STORE, bucket, k, rows);
  else if (!rows[0])
    note_key(v, LR__ONLY_IN_OTHER, bucket, k, rows);
  else if (rows[0]->mv_size != rows[1]->mv_size ||
           memcmp(rows[0]->mv_data, rows[1]->mv_data, rows[0]->mv_size))
    note_key(v, LR__ROWS_DIFFER, bucket, k, rows);
}

/* Walks both sides' databases of the view together, in key order.
 * Returns an LMDB code, with the side it came from in *side. */
static int walk(lr__view_cmp *v, MDB_cursor *const cur[2], int *side) {
  walker w[2] = {{.cur = cur[0]}, {.cur = cur[1]}};
  int mrc = 0;
  for (*side = 0; *side < 2; ++*side)
    if ((mrc = step(&w[*side], MDB_FIRST)) != 0)
      return mrc;
  while (w[0].more || w[1].more) {
    int order = !w[1].more   ? -1
                : !w[0].more ? 1
                             : key_order(&w[0].k, &w[1].k);
    const int moves[2] = {order <= 0, order >= 0}; /* has the key */
    const MDB_val *const rows[2] = {moves[0] ? &w[0].v : NULL,
                                    moves[1] ? &w[1].v : NULL};
    visit(v, moves[0] ? &w[0].k : &w[1].k, rows);
    for (*side = 0; *side < 2; ++*side)
      if (moves[*side] && (mrc = step(&w[*side], MDB_NEXT)) != 0)
        return mrc;
  }
  return 0;
}

/* Counts both sides of the view with index vi[s] from their rows. */
static int count_view(cmp *c, const int vi[2], lr__view_cmp *v) {
  MDB_cursor *cur[2] = {NULL, NULL};
  int rc = 0, side = 0;
  v->counted = 1;
  memset(v->buckets, 0, LR__DIGEST_BUCKETS * sizeof *v->buckets);
  for (; rc == 0 && side < 2; side++)
    rc = lr__scan_cursor(&c->scans[side], vi[side], &cur[side],
                         &c->err[side]);
  if (rc == 0) {
    int mrc = walk(v, cur, &side);
    if (mrc)
      rc = lr__store_mdb_error(&c->err[side], mrc, "cannot read a view");
  }
  for (int s = 0; s < 2; s++)
    if (cur[s])
      mdb_cursor_close(cur[s]);
  return rc;
}

/* Compares one view, present where vi[s] >= 0 (its index in side s). */
static int compare_view(cmp *c, const int vi[2], lr__view_cmp *v) {
  for (int s = 0; s < 2; s++) {
    v->present[s] = vi[s] >= 0;
    int rc = v->present[s] ? lr__scan_recorded(c->stores[s], &c->scans[s],
                                               vi[s], &v->recorded[s],
                                               &c->err[s])
                           : 0;
    if (rc)
      return rc;
  }
  if (!v->present[0] || !v->present[1] ||
      (!(c->flags & LR_COMPARE_FULL) &&
       lr__digest_equal(&v->recorded[0], &v->recorded[1])))
    return 0;
  return count_view(c, vi, v);
}

/* The index of the stored view `name` of `store`, or -1. */
static int stored_view(lr_store *store, const char *name) {
  const lr__online_view *ov = lr__store_view(store, name);
  return ov && lr__view_is_stored(ov->view) ? (int)(ov - store->views) : -1;
}

/* Compares every view stored on either side, the store's first (in its
 * registry's order), and appends each to `body`. */
static int compare_views(cmp *c, lr__buf *body, int *n_views,
                         int *n_differ) {
  lr__view_cmp *v = calloc(1, sizeof *v);
  lr__digest(*buckets)[2] = calloc(LR__DIGEST_BUCKETS, sizeof *buckets);
  int rc = v && buckets ? 0 : LR_ENOMEM;
  for (int side = 0; rc == 0 && side < 2; side++) {
    lr_store *mine = c->stores[side], *theirs = c->stores[1 - side];
    for (int i = 0; rc == 0 && i < mine->n_views; i++) {
      const lr__online_view *ov = &mine->views[i];
      int match = stored_view(theirs, ov->view->name);
      if (!lr__view_is_stored(ov->view) || (side == 1 && match >= 0))
        continue; /* not online, or compared with the store's views */
      int vi[2] = {side == 0 ? i : match, side == 0 ? match : i};
      *v = (lr__view_cmp){.name = ov->view->name, .ov = ov,
                          .buckets = buckets};
      rc = compare_view(c, vi, v);
      if (rc == 0) {
        lr__compare_report_view(body, c->flags, v, *n_views == 0);
        ++*n_views;
        *n_differ += !lr__view_cmp_identical(v);
      }
    }
  }
  free(buckets);
  free(v);
  return rc;
}

/* The failure of side `s` as the store's message: which store, then why. */
static void put_failure(cmp *c, int s, lr__buf *msg) {
  lr__buf_printf(msg, "%s at %s: %s", s ? "the other store" : "the store",
                 c->stores[s]->root, lr__buf_str(&c->err[s]));
}

/* Takes both snapshots, the store's first, and reads their versions. */
static int begin_both(cmp *c) {
  int rc = 0;
  for (int s = 0; rc == 0 && s < 2; s++) {
    c->sides[s].root = c->stores[s]->root;
    rc = lr__scan_begin(c->stores[s], &c->scans[s], &c->err[s]);
    if (rc == 0)
      rc = lr__scan_version(&c->scans[s], &c->sides[s].version, &c->err[s]);
  }
  return rc;
}

/* The comparison itself, its report into `out`. */
static int run(cmp *c, lr__buf *out, int *identical) {
  lr__buf body;
  lr__buf_init(&body);
  int n_views = 0, n_differ = 0;
  int rc = begin_both(c);
  if (rc == 0)
    rc = compare_views(c, &body, &n_views, &n_differ);
  for (int s = 0; s < 2; s++)
    lr__scan_end(&c->scans[s]);
  if (rc == 0)
    lr__compare_report(out, c->flags, c->sides, &body, n_views, n_differ);
  if (rc == 0 && (lr__buf_failed(&body) || lr__buf_failed(out)))
    rc = LR_ENOMEM;
  *identical = rc == 0 && n_differ == 0;
  lr__buf_free(&body);
  return rc;
}

int lr_store_compare(lr_store *store, lr_store *other, unsigned flags,
                     int *identical, char **report) {
  if (!store || !other || !identical || !report)
    return LR_EINVAL;
  *report = NULL;
  lr__buf_reset(lr__store_err(store));
  cmp c = {.stores = {store, other}, .flags = flags};
  lr__buf out;
  lr__buf_init(&c.err[0]);
  lr__buf_init(&c.err[1]);
  lr__buf_init(&out);
  int rc = run(&c, &out, identical);
  for (int s = 0; rc && s < 2; s++) /* one side failed, at most */
    if (lr__buf_str(&c.err[s])[0])
      put_failure(&c, s, lr__store_err(store));
  if (rc == 0)
    *report = lr__buf_steal(&out);
  lr__buf_free(&c.err[0]);
  lr__buf_free(&c.err[1]);
  lr__buf_free(&out);
  return rc;
}
