/*
 * write.c - a writer's rows (writer.h): packed and stored into one
 * view's online database, newer wins, and the on-demand views stored on
 * write computed from them; writer.c begins and commits the transaction.
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
#include "../util/dtype.h"
#include "../util/timefmt.h"
#include "outbox.h"
#include "writer_state.h"

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
  if (w->rw) { /* sent at the end of the put, newer wins on the server */
    lr__rwrite_add(w->rw, key_bytes, key_len, row->data, row->len, event);
    (void)created, (void)stats;
    return 0;
  }
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
  if (event > w->max_event) /* every row put, whichever is kept */
    w->max_event = event;
  if (w->latest_only)
    return hold_row(w, key_bytes, key_len, event, created, stats);
  return store_row(w, key_bytes, key_len, &w->row, event, created, stats);
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
  w->n_cols = n_cols;
  lr__buf *err = lr__store_err(w->store);
  int rc = lr__columns_map(err, w->ov, cols, n_cols, &w->map);
  if (rc == 0)
    rc = lr__columns_check(err, w->ov, cols, &w->map, n_rows);
  if (rc == 0) /* the kept rows' columns are named and ordered as cols */
    rc = lr__writer_checks_rows(w, &w->cols, &n_rows);
  for (size_t r = 0; rc == 0 && r < n_rows; r++)
    rc = put_row(w, r, stats);
  for (int d = 0; rc == 0 && n_rows && d < w->n_derived; d++)
    rc = put_derived(w, &w->derived[d], n_rows);
  if (rc == 0 && w->rw && w->hold)
    w->sink = stats;
  else if (rc == 0 && w->rw)
    rc = lr__writer_send_redis(w, stats);
  return rc;
}

void lr__writer_latest_only(lr__writer *w, int in_order) {
  w->latest_only = 1;
  w->in_order = in_order;
  lr__writer_checks_grouped(w);
  for (int d = 0; d < w->n_derived; d++)
    lr__writer_latest_only(w->derived[d].w, in_order);
}

void lr__writer_log_as_snapshot(lr__writer *w) {
  w->cap->overflow = 1;
  lr__buf_free(&w->cap->records);
}

void lr__writer_replace_ties(lr__writer *w) {
  w->replace_ties = 1;
  if (w->rw)
    lr__rwrite_replace_ties(w->rw, 1);
  for (int d = 0; d < w->n_derived; d++)
    lr__writer_replace_ties(w->derived[d].w);
}

int lr__writer_flush(lr__writer *w, lr_write_stats *stats) {
  int rc = flush_held(w, stats);
  if (rc == 0 && w->rw && w->hold)
    w->sink = stats;
  else if (rc == 0 && w->rw)
    rc = lr__writer_send_redis(w, stats);
  lr_write_stats ignored = {0, 0};
  for (int d = 0; rc == 0 && d < w->n_derived; d++)
    rc = lr__writer_flush(w->derived[d].w, &ignored);
  return rc;
}

