/*
 * write.c - lr_write_rows: rows into one view's online database, in one
 * LMDB write transaction, newer wins.
 *
 * Everything that can be wrong with the input (a missing or unknown column,
 * a wrong type, a null key) is checked first (columns.c), so a bad batch
 * fails whole and fast. Each row is then packed into the view's
 * current layout: every slot ever used gets a cell, removed features' slots
 * are written as null.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codec/entry.h"
#include "../codec/row.h"
#include "../util/dtype.h"
#include "../registry/odfv.h"
#include "../util/timefmt.h"
#include "columns.h"
#include "digest.h"
#include "outbox.h"
#include "writer.h"

/* A packed row held back in latest-only mode. */
typedef struct held {
  int has;
  uint8_t key[LR__KEY_MAX];
  size_t key_len;
  int64_t event, created;
  lr__buf row;
} held;

/* What a transaction on a primary changed, for its log entry (outbox.h):
 * every pair stored, by every writer of the transaction, in order; past
 * LR__OUTBOX_MAX_RECORDS the entry becomes a SNAPSHOT instead. */
typedef struct capture {
  int logged;         /* a primary: the change goes to the outbox */
  int overflow;       /* too much for one entry */
  size_t changes;     /* pairs stored (any store) */
  MDB_dbi outbox;
  lr__buf records;
  const char *group;  /* the database of the last record's pairs */
} capture;

/* An on-demand view stored on write: computed from the rows written to its
 * source view and put, in the same transaction, into its own database. */
typedef struct derived {
  lr__writer *w;       /* writes the on-demand view's rows (shares the txn) */
  lr__odfv *odfv;
  int *input_feature;  /* per program input: the source view's feature */
} derived;

struct lr__writer {
  lr_store *store;
  lr__online_view *ov;
  lr__env *env;       /* the generation written (top writer: a reference) */
  MDB_dbi meta_dbi;   /* LR__META_DB in env */
  lr__digest digest;  /* what this transaction changed of the view's
                         digest: applied at commit */
  MDB_txn *txn;       /* derived writers share their parent's */
  MDB_cursor *cur;    /* on the view's database; closed before txn ends */
  capture *cap;       /* the transaction's (derived writers: their
                         parent's) */
  capture own_cap;
  derived *derived;
  int n_derived;
  lr__cell *cells;   /* next_slot cells */
  int *slot_feature; /* per slot: the feature index, or -1 (removed) */
  lr__buf payload, row;
  lr_value *key_values;
  /* the columns of the put under way */
  const lr_column *cols;
  column_map map;
  /* While the database was empty when the write began and keys arrive in
   * increasing order, rows are appended (MDB_APPEND: no search, full
   * pages) and no stored row can compete. */
  int appending;
  uint8_t last_key[LR__KEY_MAX];
  size_t last_len;
  /* Latest-only mode (lr__writer_latest_only): the newest row of the
   * current run of equal keys, stored when another key comes. */
  int latest_only, in_order;
  held held;
  /* lr__writer_replace_ties: a row put wins over a stored one with equal
   * times, whatever their bytes. */
  int replace_ties;
};

/* 1 when `key` sorts after the last key appended (appending stays on). */
static int can_append(lr__writer *w, const uint8_t *key, size_t len) {
  if (!w->appending)
    return 0;
  size_t n = len < w->last_len ? len : w->last_len;
  int c = memcmp(key, w->last_key, n);
  if (w->last_len && (c < 0 || (c == 0 && len <= w->last_len))) {
    w->appending = 0; /* out of order: from here on, search as usual */
    return 0;
  }
  memcpy(w->last_key, key, len);
  w->last_len = len;
  return 1;
}

/* Packs row `r` into w->row; returns its (event, created) times. */
static void pack_row(lr__writer *w, size_t r, int64_t *event,
                     int64_t *created) {
  const lr__view *v = w->ov->view;
  lr__buf_reset(&w->payload);
  lr__buf_reset(&w->row);
  for (uint32_t s = 0; s < v->next_slot; s++) {
    int f = w->slot_feature[s];
    if (f < 0) {
      memset(&w->cells[s], 0, sizeof w->cells[s]);
      w->cells[s].is_null = 1;
      continue;
    }
    lr__value_to_cell(&w->cols[w->map.feature[f]].values[r], v->features[f].dtype,
            &w->payload, &w->cells[s]);
  }
  for (uint32_t s = 0; s < v->next_slot; s++)
    if (w->cells[s].len || w->cells[s].count)
      w->cells[s].ptr = (const uint8_t *)w->payload.data +
                        (uintptr_t)w->cells[s].ptr;
  *event = w->cols[w->map.event].values[r].v.ts;
  const lr_value *cv = w->map.created >= 0
                           ? &w->cols[w->map.created].values[r] : NULL;
  *created = cv && cv->type != LR_TYPE_NULL ? cv->v.ts : LR__ROW_NO_CREATED;
  lr__row_encode(v->slot_types, v->next_slot, w->cells, *event, *created,
                 &w->row);
}

/* Makes the transaction's log entry a SNAPSHOT: replicas take a
 * snapshot rather than these pairs. */
static void capture_overflow(capture *cap) {
  cap->overflow = 1;
  lr__buf_free(&cap->records);
}

/* Notes a pair stored, for the transaction's log entry. */
static void capture_pair(capture *cap, const char *db_name, const uint8_t *key,
                         size_t key_len, const lr__buf *row) {
  cap->changes++;
  if (!cap->logged || cap->overflow)
    return;
  if (cap->records.len > LR__OUTBOX_MAX_RECORDS) {
    capture_overflow(cap);
    return;
  }
  lr__entry_put_pair(&cap->records, &cap->group, db_name, key, key_len,
                     row->data, row->len);
}

/* 1 when the row put (event, created, row) must not replace the stored
 * one: newer wins, and of equal times the greater bytes, unless the writer
 * replaces ties. A tie replaced against that order makes the log entry a
 * SNAPSHOT, since replicas apply pairs by the order and would keep theirs. */
static int stored_wins(lr__writer *w, int64_t event, int64_t created,
                       const lr__buf *row, const lr__row_header *h,
                       const MDB_val *old) {
  if (lr__row_newer_wins(event, created, row->data, row->len, h->event_us,
                         h->created_us, old->mv_data, old->mv_size) >= 0)
    return 0;
  if (!w->replace_ties ||
      lr__row_compare_times(event, created, h->event_us, h->created_us) != 0)
    return 1;
  if (w->cap->logged)
    capture_overflow(w->cap);
  return 0;
}

/* Stores packed row `row` under `key` unless the stored row is newer.
 * The cursor finds the stored row and replaces it where it is; keys that
 * rise land on its current page, which LMDB searches first. */
static int store_row(lr__writer *w, const uint8_t *key_bytes, size_t key_len,
                     const lr__buf *row, int64_t event, int64_t created,
                     lr_write_stats *stats) {
  MDB_val key = {key_len, (void *)key_bytes}, found = key, old;
  MDB_val data = {row->len, row->data};
  unsigned flags = MDB_APPEND;
  uint64_t hash[2];
  if (!can_append(w, key_bytes, key_len)) {
    int mrc = mdb_cursor_get(w->cur, &found, &old, MDB_SET_KEY);
    lr__row_header h;
    if (mrc == 0 && lr__row_header_read(old.mv_data, old.mv_size, &h) == 0 &&
        stored_wins(w, event, created, row, &h, &old)) {
      stats->rows_skipped++;
      return 0;
    }
    if (mrc != 0 && mrc != MDB_NOTFOUND)
      return lr__store_mdb_error(lr__store_err(w->store), mrc, "cannot read a row");
    if (mrc == 0 && old.mv_size == row->len &&
        memcmp(old.mv_data, row->data, row->len) == 0) {
      stats->rows_written++; /* the very row stored: nothing to change,
                                no page to dirty, no digest to move */
      return 0;
    }
    if (mrc == 0) { /* the pair replaced leaves the digest */
      lr__digest_pair(key_bytes, key_len, old.mv_data, old.mv_size, hash);
      lr__digest_sub(&w->digest, hash);
    }
    flags = mrc == 0 ? MDB_CURRENT : 0;
  }
  int mrc = mdb_cursor_put(w->cur, &key, &data, flags);
  if (mrc)
    return lr__store_mdb_error(lr__store_err(w->store), mrc, "cannot write a row");
  lr__digest_pair(key_bytes, key_len, row->data, row->len, hash);
  lr__digest_add(&w->digest, hash);
  capture_pair(w->cap, w->ov->db_name, key_bytes, key_len, row);
  stats->rows_written++;
  return 0;
}

/* Stores the held row, if any. */
static int flush_held(lr__writer *w, lr_write_stats *stats) {
  held *h = &w->held;
  if (!h->has)
    return 0;
  h->has = 0;
  return store_row(w, h->key, h->key_len, &h->row, h->event, h->created,
                   stats);
}

/* Latest-only mode: the row just packed (w->row) replaces the held one when
 * their keys are equal and it is not older; another key stores the held
 * row first. */
static int hold_row(lr__writer *w, const uint8_t *key, size_t key_len,
                    int64_t event, int64_t created, lr_write_stats *stats) {
  held *h = &w->held;
  int c = 1;
  if (h->has) {
    c = memcmp(key, h->key, key_len < h->key_len ? key_len : h->key_len);
    c = c ? c : (key_len > h->key_len) - (key_len < h->key_len);
  }
  if (c == 0 &&
      lr__row_compare_times(event, created, h->event, h->created) < 0)
    return 0; /* older than the held row: dropped */
  if (c < 0 && w->in_order)
    return LR__WRITER_UNORDERED;
  int rc = c == 0 ? 0 : flush_held(w, stats);
  lr__buf row = h->row; /* the new row becomes the held one */
  h->row = w->row;
  w->row = row;
  memcpy(h->key, key, key_len);
  h->key_len = key_len;
  h->event = event;
  h->created = created;
  h->has = 1;
  return rc;
}

/* Packs row `r` and stores it (or holds it, in latest-only mode). */
static int put_row(lr__writer *w, size_t r, lr_write_stats *stats) {
  for (int k = 0; k < w->ov->n_keys; k++)
    w->key_values[k] = w->cols[w->map.key[k]].values[r];
  uint8_t key_bytes[LR__KEY_MAX];
  size_t key_len;
  int rc = lr__store_encode_key(w->ov, w->key_values, key_bytes, &key_len,
                                lr__store_err(w->store), "row", r);
  if (rc)
    return rc;
  int64_t event, created;
  pack_row(w, r, &event, &created);
  if (lr__buf_failed(&w->row) || lr__buf_failed(&w->payload))
    return LR_ENOMEM;
  if (w->latest_only)
    return hold_row(w, key_bytes, key_len, event, created, stats);
  return store_row(w, key_bytes, key_len, &w->row, event, created, stats);
}

lr__online_view *lr__writer_view(lr_store *store, const char *view,
                                 int *rc) {
  lr__online_view *ov = view ? lr__store_view(store, view) : NULL;
  *rc = 0;
  if (!store->writable) {
    lr__buf_puts(lr__store_err(store), "the store was opened read-only; open it "
                                 "with LR_STORE_READWRITE to write");
    *rc = LR_EREADONLY;
  } else if (store->repl.role == LR__ROLE_REPLICA) {
    lr__buf_printf(lr__store_err(store), "this repo is a replica: it follows "
                   "the write log %s (stream %s) and takes no writes; write "
                   "on the primary that logs there", store->repl.log,
                   store->repl.stream);
    *rc = LR_EREADONLY;
  } else if (!ov) {
    lr__buf_printf(lr__store_err(store), "unknown feature view '%s'",
                   view ? view : "(null)");
    *rc = LR_ENOTFOUND;
  } else if (ov->view->kind != LR__VIEW_BATCH) {
    lr__buf_printf(lr__store_err(store), "'%s' is an on-demand view: it is "
                   "computed from the rows of the feature views it reads; "
                   "write those", view);
    *rc = LR_EINVAL;
  } else if (!ov->view->online) {
    lr__buf_printf(lr__store_err(store), "view '%s' is not stored online (online: "
                   "false)", view);
    *rc = LR_EINVAL;
  }
  return *rc ? NULL : ov;
}

static void writer_free(lr__writer *w) {
  if (!w)
    return; /* a derived writer that failed to start */
  for (int d = 0; d < w->n_derived; d++) {
    writer_free(w->derived[d].w);
    lr__odfv_free(w->derived[d].odfv);
    free(w->derived[d].input_feature);
  }
  free(w->derived);
  free(w->map.key);
  free(w->map.feature);
  free(w->cells);
  free(w->slot_feature);
  free(w->key_values);
  lr__buf_free(&w->payload);
  lr__buf_free(&w->row);
  lr__buf_free(&w->held.row);
  lr__buf_free(&w->own_cap.records);
  free(w);
}

/* A writer of view `ov` (database `dbi`) inside transaction `txn`. */
static int writer_new(lr_store *store, lr__online_view *ov, MDB_txn *txn,
                      MDB_dbi dbi, lr__writer **out) {
  const lr__view *v = ov->view;
  lr__writer *w = calloc(1, sizeof *w);
  if (!w)
    return LR_ENOMEM;
  w->store = store;
  w->ov = ov;
  w->txn = txn;
  w->cap = &w->own_cap;
  lr__buf_init(&w->own_cap.records);
  w->cells = calloc((size_t)v->next_slot + 1, sizeof(lr__cell));
  w->slot_feature = malloc(((size_t)v->next_slot + 1) * sizeof(int));
  w->key_values = calloc((size_t)ov->n_keys + 1, sizeof(lr_value));
  w->map.key = calloc((size_t)ov->n_keys + 1, sizeof(int));
  w->map.feature = calloc((size_t)v->n_features + 1, sizeof(int));
  if (!w->cells || !w->slot_feature || !w->key_values || !w->map.key ||
      !w->map.feature) {
    writer_free(w);
    return LR_ENOMEM;
  }
  for (uint32_t s = 0; s < v->next_slot; s++)
    w->slot_feature[s] = -1;
  for (int f = 0; f < v->n_features; f++)
    w->slot_feature[v->features[f].slot] = f;
  MDB_stat st;
  w->appending = mdb_stat(txn, dbi, &st) == 0 && st.ms_entries == 0;
  int mrc = mdb_cursor_open(txn, dbi, &w->cur);
  if (mrc) {
    writer_free(w);
    return lr__store_mdb_error(lr__store_err(store), mrc, "cannot open a cursor");
  }
  *out = w;
  return 0;
}

/* Adds a derived writer for on-demand view `dv`, whose database is dbi. */
static int add_derived(lr__writer *w, lr__online_view *dv, MDB_dbi dbi) {
  derived *d = &w->derived[w->n_derived];
  int rc = lr__odfv_compile(&w->store->reg, dv->view, NULL,
                            lr__store_err(w->store), &d->odfv);
  if (rc == 0)
    rc = writer_new(w->store, dv, w->txn, dbi, &d->w);
  if (rc == 0) {
    d->w->meta_dbi = w->meta_dbi;
    d->w->cap = w->cap;
  }
  d->input_feature = rc ? NULL : calloc((size_t)d->odfv->n_inputs + 1,
                                        sizeof(int));
  if (rc == 0 && !d->input_feature)
    rc = LR_ENOMEM;
  for (int i = 0; rc == 0 && i < d->odfv->n_inputs; i++)
    d->input_feature[i] = (int)(d->odfv->input_fields[i] -
                                w->ov->view->features);
  w->n_derived++; /* freed with w, also when incomplete */
  return rc;
}

/* The databases a write of `ov` uses, into names[] (room for n_views + 3):
 * its own, those of the on-demand views stored on write that read it (in
 * store order), on a primary the outbox, then the meta database. They are opened (created) before
 * the write transaction begins: one thread may hold one write transaction
 * per environment, and creating a database takes one. Returns how many. */
static int write_databases(lr_store *store, const lr__online_view *ov,
                           const char **names) {
  int n = 0;
  names[n++] = ov->db_name;
  for (int i = 0; i < store->n_views; i++)
    if (lr__view_derives_from(store->views[i].view, ov->view))
      names[n++] = store->views[i].db_name;
  if (store->repl.role == LR__ROLE_PRIMARY)
    names[n++] = LR__OUTBOX_DB;
  names[n++] = LR__META_DB;
  return n;
}

/* Attaches a writer for each on-demand view stored on write that reads w's
 * view; dbis as write_databases() listed them. */
static int attach_derived(lr__writer *w, const MDB_dbi *dbis) {
  lr_store *store = w->store;
  w->derived = calloc((size_t)store->n_views + 1, sizeof *w->derived);
  if (!w->derived)
    return LR_ENOMEM;
  int rc = 0, next = 1;
  for (int i = 0; rc == 0 && i < store->n_views; i++)
    if (lr__view_derives_from(store->views[i].view, w->ov->view))
      rc = add_derived(w, &store->views[i], dbis[next++]);
  return rc;
}

/* Begins the transaction and makes the writer of `ov` in it. */
static int begin_on(lr_store *store, lr__online_view *ov, const char **names,
                    MDB_dbi *dbis, lr__writer **out) {
  int n = write_databases(store, ov, names);
  MDB_txn *txn;
  lr__env *env;
  int rc = lr__store_write_begin(store, names, n, dbis, &env, &txn,
                                 lr__store_err(store));
  if (rc)
    return rc;
  lr__writer *w = NULL;
  rc = writer_new(store, ov, txn, dbis[0], &w);
  if (rc == 0) {
    w->env = env;
    w->meta_dbi = dbis[n - 1];
    w->cap->logged = store->repl.role == LR__ROLE_PRIMARY;
    if (w->cap->logged)
      w->cap->outbox = dbis[n - 2];
    rc = attach_derived(w, dbis);
  }
  if (rc) {
    writer_free(w);
    mdb_txn_abort(txn);
    lr__env_release(env);
    return rc;
  }
  *out = w;
  return 0;
}

int lr__writer_begin(lr_store *store, const char *view, lr__writer **out) {
  *out = NULL;
  lr__buf_reset(lr__store_err(store));
  int rc;
  lr__online_view *ov = lr__writer_view(store, view, &rc);
  if (!ov)
    return rc ? rc : LR_EINVAL;
  const char **names = calloc((size_t)store->n_views + 3, sizeof *names);
  MDB_dbi *dbis = calloc((size_t)store->n_views + 3, sizeof *dbis);
  rc = names && dbis ? begin_on(store, ov, names, dbis, out) : LR_ENOMEM;
  free(names);
  free(dbis);
  return rc;
}

/* Computes the derived view `d` over the n rows just put and writes them:
 * the same keys and times, its features from its program, run at the time
 * of the write. */
static int put_derived(lr__writer *w, const derived *d, size_t n) {
  const lr__view *dv = d->w->ov->view;
  int n_keys = w->ov->n_keys, n_cols = n_keys + 2 + dv->n_features;
  lr__eval *e = NULL;
  lr_column *cols = calloc((size_t)n_cols, sizeof *cols);
  lr_value *values = calloc((size_t)dv->n_features * n + 1, sizeof *values);
  int64_t *now = malloc(n * sizeof *now);
  int rc = cols && values && now ? lr__eval_create(d->odfv->prog, (int)n, &e)
                                 : LR_ENOMEM;
  for (int i = 0; rc == 0 && i < d->odfv->n_inputs; i++)
    for (size_t r = 0; r < n; r++)
      lr__eval_set(e, i, (int)r,
                   &w->cols[w->map.feature[d->input_feature[i]]].values[r]);
  int64_t at = lr__time_now_us();
  for (size_t r = 0; rc == 0 && r < n; r++)
    now[r] = at;
  if (rc == 0)
    rc = lr__eval_run(e, (int)n, now);
  for (int k = 0; rc == 0 && k < n_keys; k++)
    cols[k] = (lr_column){w->ov->key_names[k], w->cols[w->map.key[k]].values};
  int c = n_keys;
  if (rc == 0) {
    cols[c++] = (lr_column){EVENT_COLUMN, w->cols[w->map.event].values};
    if (w->map.created >= 0)
      cols[c++] = (lr_column){CREATED_COLUMN, w->cols[w->map.created].values};
  }
  for (int k = 0; rc == 0 && k < dv->n_features; k++) {
    lr_value *col = values + (size_t)k * n;
    for (size_t r = 0; r < n; r++)
      lr__eval_get(e, k, (int)r, &col[r]);
    cols[c++] = (lr_column){dv->features[k].name, col};
  }
  lr_write_stats ignored = {0, 0};
  if (rc == 0)
    rc = lr__writer_put(d->w, cols, c, n, &ignored);
  lr__eval_free(e);
  free(cols);
  free(values);
  free(now);
  return rc;
}

int lr__writer_put(lr__writer *w, const lr_column *cols, int n_cols,
                   size_t n_rows, lr_write_stats *stats) {
  w->cols = cols;
  lr__buf *err = lr__store_err(w->store);
  int rc = lr__columns_map(err, w->ov, cols, n_cols, &w->map);
  if (rc == 0)
    rc = lr__columns_check(err, w->ov, cols, &w->map, n_rows);
  for (size_t r = 0; rc == 0 && r < n_rows; r++)
    rc = put_row(w, r, stats);
  for (int d = 0; rc == 0 && n_rows && d < w->n_derived; d++)
    rc = put_derived(w, &w->derived[d], n_rows);
  return rc;
}

void lr__writer_latest_only(lr__writer *w, int in_order) {
  w->latest_only = 1;
  w->in_order = in_order;
  for (int d = 0; d < w->n_derived; d++)
    lr__writer_latest_only(w->derived[d].w, in_order);
}

void lr__writer_log_as_snapshot(lr__writer *w) {
  w->cap->overflow = 1;
  lr__buf_free(&w->cap->records);
}

void lr__writer_replace_ties(lr__writer *w) {
  w->replace_ties = 1;
  for (int d = 0; d < w->n_derived; d++)
    lr__writer_replace_ties(w->derived[d].w);
}

int lr__writer_flush(lr__writer *w, lr_write_stats *stats) {
  int rc = flush_held(w, stats);
  lr_write_stats ignored = {0, 0};
  for (int d = 0; rc == 0 && d < w->n_derived; d++)
    rc = lr__writer_flush(w->derived[d].w, &ignored);
  return rc;
}

int lr__writer_put_meta(lr__writer *w, const char *key, const void *value,
                        size_t len) {
  MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)value};
  int mrc = mdb_put(w->txn, w->meta_dbi, &k, &v, 0);
  return mrc ? lr__store_mdb_error(lr__store_err(w->store), mrc,
                                   "cannot record the load")
             : 0;
}

/* Closes the cursors of w and its derived writers (LMDB frees a write
 * transaction's cursors when it ends: they must be closed before). */
static void close_cursors(lr__writer *w) {
  if (!w)
    return; /* a derived writer that failed to start */
  for (int d = 0; d < w->n_derived; d++)
    close_cursors(w->derived[d].w);
  if (w->cur)
    mdb_cursor_close(w->cur);
  w->cur = NULL;
}

/* Adds what w and its derived writers changed to their views' digests. */
static int apply_digests(lr__writer *w) {
  int mrc = lr__digest_apply(w->txn, w->meta_dbi, w->ov->db_name, &w->digest);
  for (int d = 0; mrc == 0 && d < w->n_derived; d++)
    mrc = apply_digests(w->derived[d].w);
  return mrc;
}

int lr__writer_commit(lr__writer *w) {
  close_cursors(w);
  int mrc = apply_digests(w);
  capture *cap = w->cap;
  if (!mrc && cap->changes)
    mrc = lr__outbox_count(w->txn, w->meta_dbi,
                           cap->logged ? &cap->outbox : NULL,
                           lr__env_gen(w->env), 0,
                           cap->overflow ? LR__ENTRY_SNAPSHOT : LR__ENTRY_ROWS,
                           &cap->records, NULL);
  if (mrc)
    mdb_txn_abort(w->txn);
  else
    mrc = mdb_txn_commit(w->txn);
  int rc = mrc ? lr__store_mdb_error(lr__store_err(w->store), mrc, "cannot commit")
               : 0;
  lr__env_release(w->env);
  writer_free(w);
  return rc;
}

void lr__writer_abort(lr__writer *w) {
  if (!w)
    return;
  close_cursors(w);
  mdb_txn_abort(w->txn);
  lr__env_release(w->env);
  writer_free(w);
}

int lr_write_rows(lr_store *store, const char *view, const lr_column *columns,
                  int n_columns, size_t n_rows, lr_write_stats *stats) {
  lr_write_stats local = {0, 0};
  if (!stats)
    stats = &local;
  memset(stats, 0, sizeof *stats);
  if (!store)
    return LR_EINVAL;
  if ((!columns && n_columns) || n_columns < 0)
    return lr__errmsg_set(lr__store_err(store), LR_EINVAL, "no columns "
                          "given (%d)", n_columns);
  lr__writer *w = NULL;
  int rc = lr__writer_begin(store, view, &w);
  if (rc == 0 && w)
    rc = lr__writer_put(w, columns, n_columns, n_rows, stats);
  if (rc == 0 && w)
    rc = lr__writer_commit(w);
  else
    lr__writer_abort(w); /* NULL when begin failed */
  if (rc)
    memset(stats, 0, sizeof *stats);
  return rc;
}
